"""Task URLs come from trackers, but a digest must never carry a ``javascript:`` link or a
URL that breaks out of its Markdown/HTML/mrkdwn wrapper."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

__all__ = ["safe_url"]

# Everything RFC 3986 allows except the characters that end a Markdown link target or a
# Slack ``<url|text>`` (parentheses, pipe, angle brackets, quotes, spaces).
_SAFE = ":/?#[]@!$&*+,;=%~-._'"


def safe_url(url: str | None) -> str:
    """An http(s) URL with unsafe characters percent-encoded, or "" (render no link)."""
    if not url:
        return ""
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    if scheme not in ("http", "https"):
        return ""
    return quote(url, safe=_SAFE.replace("'", ""))
