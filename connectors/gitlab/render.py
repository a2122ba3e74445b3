"""Rendering a tracker-neutral ``Reminder`` as a GitLab note (Markdown).

Two GitLab facts shape this (``reference/gitlab/NOTES.md``):
- a line starting with ``/`` is a quick action (``/close``, ``/assign``…): a note made only
  of them answers 202 and creates nothing, and a mixed one *runs* them. Text from people
  (task titles, section names, templates) therefore never starts a line with ``/``: such a
  line gets a Markdown backslash escape (``\\/close`` renders as ``/close``). The finished
  body is checked once more, so a future template cannot reintroduce the hole;
- the API returns the raw Markdown, so a hidden ``<!-- syncd:<marker> -->`` survives and does
  not render. People could type ``<!--``/``-->`` into a title and hide or forge it, so those
  sequences are neutralised in their text.
The mention is ``@username`` on the first line, the only ``@`` syncd means to notify.
"""

from __future__ import annotations

import re

from connectors.base import MARKER_PREFIX
from connectors.markers import tag_text
from syncd.core.models import Reminder
from syncd.core.usertext import balance_bidi, isolate

__all__ = ["escape_line", "has_marker", "marker_line", "render_markdown", "starts_quick_action"]

_SLASH = re.compile(r"^(\s*)/")


def marker_line(marker: str, covers: tuple[tuple[str, str], ...] = (), generation: int = 0) -> str:
    """The hidden line carrying the reminder's tag (``connectors.markers``)."""
    return f"<!-- {tag_text(marker, covers, generation)} -->"


def has_marker(body: str, marker: str | None = None) -> bool:
    """True if ``body`` carries ``marker`` (any syncd marker when None), in the tag of
    either format."""
    if marker is None:
        return f"<!-- {MARKER_PREFIX}" in body
    line = marker_line(marker)
    return line in body or line.removesuffix(" -->") + " reminds=" in body


def escape_line(text: str) -> str:
    """One line of people's text, safe inside a bot note (and with unpaired bidi controls
    dropped, so it cannot reorder the rest of the line)."""
    text = balance_bidi(text).replace("<!--", "&lt;!--").replace("-->", "--&gt;")
    return _SLASH.sub(lambda m: m.group(1) + "\\/", text)


def _lines(text: str, indent: str = "") -> list[str]:
    return [indent + escape_line(line) for line in text.splitlines() if line.strip()]


def starts_quick_action(body: str) -> bool:
    return any(line.lstrip().startswith("/") for line in body.splitlines())


def render_markdown(reminder: Reminder) -> str:
    intro = " ".join(_lines(reminder.intro)) or "syncd reminder"
    if reminder.mention is not None:
        who = reminder.mention
        intro = (
            (f"@{who.username}" if who.username else escape_line(isolate(who.name))) + " " + intro
        )
    out = [intro, ""]
    for item in reminder.items:
        title = " ".join(_lines(item.title))
        out.append(f"- **{title}**")
        out.extend(_lines("\n".join(item.details), "  "))
    if reminder.outro:
        out += ["", *_lines(reminder.outro)]
    out += ["", marker_line(reminder.marker, reminder.covers, reminder.generation)]
    body = "\n".join(out)
    if starts_quick_action(body):  # defence in depth: never reachable through the escapes
        raise ValueError("a rendered reminder would start a line with '/' (a quick action)")
    return body
