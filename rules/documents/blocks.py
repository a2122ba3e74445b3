"""The format-neutral shape every description parser produces: a flat list of blocks.

ADF, Jira wiki markup, Markdown and plain text each become a list of :class:`Block` — a
heading, a label line (``*Goal:* text``), a line of text, a list item or a checklist item —
so recognising sections (``rules.documents.sections``) is written once. Parsers never raise on odd
input: what they do not understand becomes plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Block",
    "BlockKind",
    "Segment",
    "label_candidate",
    "line_block",
    "normalize_label",
    "split_check",
]

BlockKind = Literal["heading", "label", "text", "item", "check", "code", "open", "close"]
"""``code`` is verbatim text (code blocks): never read as a label. ``open``/``close`` mark
a container — a panel, callout, quote or expand — around the blocks between them; an
``open`` block's text is the container's title ("" when it has none)."""


@dataclass(slots=True, frozen=True)
class Block:
    kind: BlockKind
    text: str
    """Heading/label: the label as written; other kinds: the content (plain text)."""
    rest: str = ""
    """Label only: what follows the label on the same line (``Goal: <rest>``)."""
    strong: bool = False
    """Label only: written in bold, so an unknown bold label still ends a section."""
    checked: bool = False
    """Check only: the box is ticked."""


_NOT_LABEL_CHARS = re.compile(r"[^\w\s-]+")
# Numbering before a heading ("1.", "2)", "1.2", "3 -"), with emoji or punctuation around
# it. A bare number is a quantity, not numbering: "8 sizes" is a list item, not "Sizes".
_LEADING_NUMBER = re.compile(r"^[\W_]*(?:(?:\d+(?:\.\d+)+\.?|\d+[.)]|\d+(?=\s*[-–—:]))[\W_]*)*")
_PARENS = re.compile(r"\([^()]*\)")
_SPACES = re.compile(r"\s+")
# "Goal: text", "Цель — текст", "AC - text". The label is short: a sentence with a colon
# in it ("Note that the client said: ...") must not become a label.
_PLAIN_LABEL = re.compile(r"^\s*(?P<label>[^:：\n]{1,60}?)\s*(?:[:：]|\s[—–-]\s)\s*(?P<rest>.*)$")
# A checklist item: "[ ]"/"[x]" boxes, the box and tick glyphs people paste from other
# tools ("☐ 8 sizes", "✅ PNG"), and Jira wiki's tick emoticon "(/)".
_UNTICKED = "☐⬜□▢◻◽"
_TICKED = "☑☒✅✓✔"
_CHECK = re.compile(
    rf"""^\s*(?:\[(?P<mark>[ xXхХ✓✔]?)\]
    |(?P<glyph>[{_UNTICKED}{_TICKED}])\ufe0f?
    |(?P<tick>\(/\)))
    \s*(?P<text>.*)$""",
    re.DOTALL | re.VERBOSE,
)


def normalize_label(text: str) -> str:
    """Reduce a heading or label to what aliases are compared with: lower case, ё → е,
    no numbering, emoji, punctuation or parenthesised remarks ("1. 🎯 Цель (кратко):" →
    "цель")."""
    text = _PARENS.sub(" ", text.casefold().replace("ё", "е"))
    text = _LEADING_NUMBER.sub("", text)
    text = _NOT_LABEL_CHARS.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip(" -")


def label_candidate(line: str) -> tuple[str, str] | None:
    """Split ``Label: rest`` (or ``Label — rest``); None when the line has no separator."""
    match = _PLAIN_LABEL.match(line)
    if match is None:
        return None
    return match.group("label"), match.group("rest").strip()


def split_check(text: str) -> tuple[bool, bool, str]:
    """``[ ] text`` / ``[x] text`` / ``☐ text`` / ``✅ text`` → (is_checkbox, checked, text)."""
    match = _CHECK.match(text)
    if match is None:
        return False, False, text
    if match.group("glyph") is not None:
        checked = match.group("glyph") in _TICKED
    else:
        checked = match.group("tick") is not None or match.group("mark") not in ("", " ")
    return True, checked, match.group("text").strip()


Segment = tuple[str, bool]
"""A run of inline text and whether it is bold."""


def line_block(segments: list[Segment], kind: BlockKind = "text") -> Block | None:
    """One line of inline segments → a block; a leading bold ``Label:`` becomes a label.

    ``*Goal:* text``, ``**Goal**: text`` and a short line that is bold as a whole
    (``**Цель**``) are labels; anything else is ``kind``. Empty lines give None.
    """
    texts = [t for t, _ in segments]
    plain = "".join(texts).strip()
    if not plain:
        return None
    first = next((i for i, (t, _) in enumerate(segments) if t.strip()), None)
    if kind in ("text", "item") and first is not None and segments[first][1]:
        bold = ""
        index = first
        while index < len(segments) and (segments[index][1] or not segments[index][0].strip()):
            bold += segments[index][0]
            index += 1
        after = "".join(texts[index:]).strip()
        bold = bold.strip()
        if bold.endswith((":", "：")):
            return Block("label", bold[:-1].strip(), after, strong=kind == "text")
        if after.startswith((":", "：")):
            return Block("label", bold, after[1:].strip(), strong=kind == "text")
        if not after and len(bold) <= 60:
            return Block("label", bold, "", strong=kind == "text")
    if kind in ("item", "text"):
        is_check, checked, rest = split_check(plain)
        if is_check:
            return Block("check", rest, checked=checked)
    return Block(kind, plain)
