"""The renderers drawn from Jinja templates: HTML e-mail, Markdown, Mattermost, plain text
and Telegram HTML (split into messages of at most 4096 characters)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from syncd.digest.i18n import Translator, translator
from syncd.digest.model import METRICS, Digest, DigestSection
from syncd.digest.render.common import (
    mattermost_escape,
    md_escape,
    render_template,
    subject,
    title,
)
from syncd.digest.render.links import safe_url
from syncd.digest.render.more import SECTION_PREVIEW, tracker_links

__all__ = [
    "TELEGRAM_LIMIT",
    "render_html",
    "render_markdown",
    "render_mattermost",
    "render_telegram",
    "render_text",
    "split_telegram",
    "telegram_length",
]

TELEGRAM_LIMIT = 4096
_COLOURS = {
    "check_today": "#0065ff",
    "overdue": "#de350b",
    "at_risk": "#ff991f",
    "due_soon": "#ffc400",
    "violations": "#6554c0",
    "done": "#36b37e",
}


@dataclass(frozen=True)
class _Bar:
    width: int
    overdue: int
    week: int
    rest: int


@dataclass(frozen=True)
class _Collapsed:
    """What an e-mail section leaves out: how many items, and where to see them."""

    text: str
    links: list[tuple[str, str]]
    """(label, url) per tracker view."""


def _collapsed(s: DigestSection, t: Translator, preview: int) -> _Collapsed | None:
    hidden = s.items[preview:]
    if not hidden:
        return None
    links = tracker_links(hidden, s.kind)
    labels = [t("open_in", tracker=link.tracker) for link in links]
    if len(links) > 1:
        labels = [f"{label} ({link.where})" for label, link in zip(labels, links, strict=True)]
    text = t("more", more=t.plural("more", len(hidden)))
    return _Collapsed(text, [(label, link.url) for label, link in zip(labels, links, strict=True)])


def _context(d: Digest, preview: int | None = None) -> dict[str, object]:
    """``preview``: items shown per section before the rest is collapsed (None: all)."""
    t = translator(d.language)
    shown = preview if preview is not None else max((len(s.items) for s in d.sections), default=0)
    return {
        "preview": shown,
        "collapsed": lambda s: _collapsed(s, t, shown),
        "d": d,
        "language": d.language,
        "heading": title(d, t),
        "subject": subject(d, t),
        "metrics": METRICS,
        "link": safe_url,
    }


def render_text(d: Digest, preview: int | None = None) -> str:
    """Plain text; the e-mail's text part passes ``preview`` to collapse long sections
    like the HTML (previews and the webhook's ``text`` show everything)."""
    return render_template("daily.text.j2", **_context(d, preview))


def render_markdown(d: Digest) -> str:
    return render_template("daily.md.j2", esc=md_escape, **_context(d))


def render_mattermost(d: Digest) -> str:
    """Markdown with every ``@mention`` and ``:emoji:`` in user text made inert."""
    return render_template("daily.md.j2", esc=mattermost_escape, **_context(d))


def _bars(d: Digest) -> list[_Bar]:
    most = max((w.open for w in d.workload), default=0) or 1
    bars = []
    for w in d.workload:
        width = max(round(100 * w.open / most), 4)
        total = w.open or 1
        overdue = round(100 * w.overdue / total)
        week = round(100 * w.due_this_week / total)
        bars.append(_Bar(width, overdue, week, max(100 - overdue - week, 0)))
    return bars


def render_html(d: Digest, preview: int | None = SECTION_PREVIEW) -> str:
    """The e-mail: each section shows its first ``preview`` items, then "…and N more"
    with a link to the rest in the tracker (``render.more``)."""
    context = _context(d, preview)
    return render_template("daily.html.j2", colours=_COLOURS, bars=_bars(d), **context)


_TAG = re.compile(r"<[^>]*>")


def telegram_length(message: str) -> int:
    """Length as Telegram counts it: text after entity parsing, tags removed."""
    return len(html.unescape(_TAG.sub("", message)))


def split_telegram(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack lines into messages ≤ ``limit``, preferring section (blank-line) boundaries.
    Lines are self-contained (each closes its own tags), so any line boundary is safe."""
    blocks = [b.strip("\n") for b in text.strip().split("\n\n") if b.strip()]
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if telegram_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
            current = ""
        for line in block.split("\n"):
            if telegram_length(line) > limit:
                raise ValueError("a single Telegram line exceeds the message limit")
            candidate = f"{current}\n{line}" if current else line
            if telegram_length(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = line
    if current:
        messages.append(current)
    return messages


def render_telegram(d: Digest, limit: int = TELEGRAM_LIMIT) -> list[str]:
    return split_telegram(render_template("daily.telegram.j2", **_context(d)), limit)
