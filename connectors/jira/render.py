"""Rendering a tracker-neutral ``Reminder`` as a Jira comment body.

- Cloud REST v3 takes ADF. The mention is a ``mention`` node by accountId; every document
  must validate against Atlassian's ADF schema (Jira answers 400 otherwise; the tests
  validate against ``adf-schema-v1-full.json``).
- Cloud REST v2 takes wiki markup with ``[~accountid:<id>]``; Data Center ``[~username]``.
  Text from people (task titles in details, section templates) is escaped so it cannot turn
  into markup, macros or links.

The reminder's tag (``connectors.markers``: the marker and the findings it names) normally
travels as a comment property, not in the text. Only while a server is not known to keep
comment properties (``marker_in_text=True``) do we add it as a last line in small grey text;
``connectors.markers.parse_tags`` reads it back.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.base import MARKER_PREFIX
from connectors.markers import tag_text
from syncd.core.models import Reminder
from syncd.core.usertext import balance_bidi

__all__ = [
    "PROPERTY_KEY",
    "escape_wiki",
    "marker_id",
    "marker_in_body",
    "render_adf",
    "render_wiki",
]

PROPERTY_KEY = "syncd"
"""The comment property carrying ``{"marker": <marker id>}``."""

_GREY = "#97a0af"
_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|*_+^~?#!-])")
_MARKER_TEXT = re.compile(re.escape(MARKER_PREFIX) + r"([A-Za-z0-9._:/=-]+)")


def marker_id(marker: str) -> str:
    """The marker without the ``syncd:`` prefix: the one normalisation, used for the
    property value, the text line (which adds the prefix once) and ``find_marker``."""
    return marker[len(MARKER_PREFIX) :] if marker.startswith(MARKER_PREFIX) else marker


def _tag(reminder: Reminder) -> str:
    return tag_text(marker_id(reminder.marker), reminder.covers, reminder.generation)


def _text(value: str, *marks: dict[str, Any]) -> dict[str, Any]:
    # Balanced: a bidi control left open in text from people cannot reorder what follows.
    node: dict[str, Any] = {"type": "text", "text": balance_bidi(value)}
    if marks:
        node["marks"] = list(marks)
    return node


def _paragraph(*inline: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": [n for n in inline if n.get("text", "x")]}


def render_adf(reminder: Reminder, *, marker_in_text: bool = False) -> dict[str, Any]:
    """The reminder as an ADF ``doc`` (REST v3)."""
    first: list[dict[str, Any]] = []
    if reminder.mention is not None:
        # The mention is an atom Jira draws from the account (the text is its fallback),
        # so it is only balanced: an override in a display name cannot leak past it.
        first.append(
            {
                "type": "mention",
                "attrs": {
                    "id": reminder.mention.id,
                    "text": f"@{balance_bidi(reminder.mention.name)}",
                },
            }
        )
        first.append(_text(" "))
    if reminder.intro:
        first.append(_text(reminder.intro))
    content: list[dict[str, Any]] = [_paragraph(*first)] if first else []
    items = []
    for item in reminder.items:
        item_content: list[dict[str, Any]] = [_paragraph(_text(item.title, {"type": "strong"}))]
        details = [d for d in item.details if d.strip()]
        if details:
            item_content.append(
                {
                    "type": "bulletList",
                    "content": [
                        {"type": "listItem", "content": [_paragraph(_text(d))]} for d in details
                    ],
                }
            )
        items.append({"type": "listItem", "content": item_content})
    if items:
        content.append({"type": "bulletList", "content": items})
    if reminder.outro:
        content.append(_paragraph(_text(reminder.outro)))
    if marker_in_text:
        content.append(
            _paragraph(
                _text(
                    _tag(reminder),
                    {"type": "textColor", "attrs": {"color": _GREY}},
                    {"type": "subsup", "attrs": {"type": "sub"}},
                )
            )
        )
    if not content:
        content.append({"type": "paragraph", "content": []})
    return {"type": "doc", "version": 1, "content": content}


def escape_wiki(value: str) -> str:
    """Backslash-escape wiki markup characters so user text stays text, with unpaired
    bidi controls dropped so it cannot reorder the rest of the line."""
    return _WIKI_SPECIAL.sub(r"\\\1", balance_bidi(value)).replace("\n", " ")


def render_wiki(reminder: Reminder, *, cloud: bool, marker_in_text: bool = False) -> str:
    """The reminder as wiki markup (REST v2): Cloud mentions by accountId, DC by username."""
    lines: list[str] = []
    first = escape_wiki(reminder.intro)
    if reminder.mention is not None:
        who = reminder.mention
        handle = f"accountid:{who.id}" if cloud else (who.username or who.id)
        first = f"[~{handle}] {first}".rstrip()
    if first:
        lines.append(first)
    for item in reminder.items:
        lines.append(f"* *{escape_wiki(item.title)}*")
        lines.extend(f"** {escape_wiki(d)}" for d in item.details if d.strip())
    if reminder.outro:
        lines.extend(["", escape_wiki(reminder.outro)])
    if marker_in_text:
        lines.extend(["", f"{{color:{_GREY}}}~{_tag(reminder)}~{{color}}"])
    return "\n".join(lines)


def marker_in_body(body: str) -> str | None:
    """The marker of a comment whose text carries the fallback line, if any."""
    match = _MARKER_TEXT.search(body)
    return match.group(1) if match else None
