"""What each channel sends for a document: a daily/weekly ``Digest`` or the monthly slot's
``MonthlyDigest``. Senders ask here instead of knowing about renderers."""

from __future__ import annotations

from typing import Any

from syncd.digest.i18n import translator
from syncd.digest.model import Digest
from syncd.digest.monthly import MonthlyDigest
from syncd.digest.render import (
    render_html,
    render_markdown,
    render_mattermost,
    render_slack,
    render_teams,
    render_telegram,
    render_text,
    render_webhook,
)
from syncd.digest.render.common import subject as digest_subject
from syncd.digest.render.monthly import render_monthly, render_monthly_payload
from syncd.digest.render.more import SECTION_PREVIEW

__all__ = [
    "Document",
    "html_body",
    "json_payload",
    "markdown_body",
    "subject",
    "telegram_messages",
    "text_body",
]

Document = Digest | MonthlyDigest


def subject(doc: Document) -> str:
    if isinstance(doc, Digest):
        return digest_subject(doc, translator(doc.language))
    t = translator(doc.language)
    return f"{t('title.monthly')} · {doc.period.removeprefix('monthly:')}"


def text_body(doc: Document) -> str:
    """The e-mail's text part: long sections collapsed, as in its HTML part."""
    if isinstance(doc, Digest):
        return render_text(doc, preview=SECTION_PREVIEW)
    return str(render_monthly(doc, "text"))


def html_body(doc: Document) -> str:
    if isinstance(doc, Digest):
        return render_html(doc)
    return str(render_monthly(doc, "html"))


def markdown_body(doc: Document, *, mattermost: bool = False) -> str:
    if isinstance(doc, Digest):
        return render_mattermost(doc) if mattermost else render_markdown(doc)
    return str(render_monthly(doc, "mattermost" if mattermost else "md"))


def telegram_messages(doc: Document) -> list[str]:
    if isinstance(doc, Digest):
        return render_telegram(doc)
    messages = render_monthly(doc, "telegram")
    assert isinstance(messages, list)
    return messages


def json_payload(doc: Document, fmt: str) -> dict[str, Any]:
    """Slack blocks, Teams card envelope or webhook JSON."""
    if isinstance(doc, MonthlyDigest):
        return render_monthly_payload(doc, fmt)
    if fmt == "slack":
        return render_slack(doc)
    if fmt == "teams":
        return render_teams(doc)
    if fmt == "webhook":
        return render_webhook(doc, render_text(doc))
    raise ValueError(f"{fmt!r} is not a JSON channel")
