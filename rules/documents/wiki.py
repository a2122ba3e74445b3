"""Jira wiki markup (Data Center, API v2) → blocks.

Wiki markup has no real grammar, so this is a line scanner that knows the constructs people
use in task descriptions: ``h2.`` headings, ``*bold labels:*``, ``*``/``#``/``-`` lists,
``||tables||``, ``{code}``/``{noformat}`` and inline links, mentions and emphasis.
Everything else stays as text. Panels and callouts (``{panel:title=...}``, ``{note}``,
``{info}``, ``{tip}``, ``{warning}``, ``{expand}``) and quotes (``{quote}``, ``bq.``) are
containers: ``open``/``close`` blocks around their content, the title on the ``open``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rules.documents.blocks import Block, Segment, line_block, split_check

__all__ = ["wiki_blocks", "wiki_inline"]

_HEADING = re.compile(r"^h[1-6]\.\s*(.*)$", re.IGNORECASE)
_CODE_OPEN = re.compile(r"^\{(code|noformat)(?::[^}]*)?\}(.*)$", re.IGNORECASE)
_CONTAINER = re.compile(
    r"\{(panel|info|note|tip|warning|expand|quote)(?::([^{}\n]*))?\}", re.IGNORECASE
)
_QUOTE_LINE = re.compile(r"^(?:bq\.\s+)+(.*)$", re.IGNORECASE)  # "bq. bq. x" is one quote
_TITLE = re.compile(r"(?:^|\|)\s*title\s*=\s*([^|]*)", re.IGNORECASE)
_LIST = re.compile(r"^([*#-]+)\s+(.*)$")
_BOLD_START = re.compile(r"^\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\w)(.*)$")

_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\[~(?:accountid:)?([^\[\]\n]+)\]"), r"@\1"),
    (re.compile(r"\[([^|\[\]\n]*)\|([^\[\]\n]*)\]"), r"\1"),
    (re.compile(r"\[((?:https?|mailto|ftp):[^\]\s]*)\]"), r"\1"),
    (re.compile(r"!(?=\S)[^!\n]+\.(?:png|jpe?g|gif|svg|webp)(?:\|[^!\n]*)?!", re.I), ""),
    (re.compile(r"\{\{([^{}\n]*)\}\}"), r"\1"),
    (re.compile(r"\{(?:color|quote|noformat|code|anchor)(?::[^{}\n]*)?\}", re.I), ""),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"(?<![\w+])\+(?=\S)([^+\n]+?)(?<=\S)\+(?![\w+])"), r"\1"),
    (re.compile(r"(?<![\w-])-(?=[^\s-])([^-\n]+?)(?<=\S)-(?![\w-])"), r"\1"),
)


def wiki_inline(text: str) -> str:
    """Inline markup → plain text: links keep their text, mentions become ``@name``."""
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


def _cells(line: str) -> list[str]:
    cleaned = wiki_inline(line)
    return [c.strip() for c in re.split(r"\|\|?", cleaned.strip().strip("|")) if c.strip()]


def _line(line: str) -> Block | None:
    bold = _BOLD_START.match(line)
    if bold is not None:
        segments: list[Segment] = [(wiki_inline(bold.group(1)), True)]
        segments.append((wiki_inline(bold.group(2)), False))
        return line_block(segments)
    return line_block([(wiki_inline(line), False)])


def _content(line: str, out: list[Block]) -> None:
    """One line (or the part of one between container tags) that is not code."""
    if (quote := _QUOTE_LINE.match(line)) is not None:
        out.append(Block("open", ""))
        _content(quote.group(1).strip(), out)
        out.append(Block("close", ""))
    elif (heading := _HEADING.match(line)) is not None:
        out.append(Block("heading", wiki_inline(heading.group(1)).strip()))
    elif line.startswith("|"):
        cells = _cells(line)
        if len(cells) >= 2:
            out.append(Block("label", cells[0], " | ".join(cells[1:])))
        elif cells:
            out.append(Block("text", cells[0]))
    elif (item := _LIST.match(line)) is not None and not set(line) <= {"-"}:
        is_check, checked, rest = split_check(item.group(2))
        if is_check:
            out.append(Block("check", wiki_inline(rest), checked=checked))
        else:
            block = _line(item.group(2))
            if block is not None:
                # A bold label in a list item names a section only when it is known.
                if block.kind == "text":
                    block = replace(block, kind="item")
                elif block.kind == "label":
                    block = replace(block, strong=False)
                out.append(block)
    else:
        block = _line(line)
        if block is not None:
            out.append(block)


def _containers(line: str, out: list[Block], open_tags: list[str]) -> None:
    """A line with container tags in it: ``{note:title=Важно}`` opens, a bare ``{note}``
    closes the innermost open ``note`` (else it opens one: ``{quote}`` toggles)."""
    position = 0
    for tag in _CONTAINER.finditer(line):
        before = line[position : tag.start()].strip()
        if before:
            _content(before, out)
        position = tag.end()
        name, params = tag.group(1).lower(), tag.group(2)
        if params is None and open_tags and open_tags[-1] == name:
            open_tags.pop()
            out.append(Block("close", ""))
        else:
            open_tags.append(name)
            title = _TITLE.search(params or "")
            out.append(Block("open", wiki_inline(title.group(1)).strip() if title else ""))
    rest = line[position:].strip()
    if rest:
        _content(rest, out)


def wiki_blocks(text: str) -> list[Block]:
    out: list[Block] = []
    code_end: str | None = None
    open_tags: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if code_end is not None:
            if line.lower().startswith(code_end):
                code_end = None
            elif line:
                out.append(Block("code", line))
            continue
        if not line:
            continue
        if (code := _CODE_OPEN.match(line)) is not None:
            closing = "{" + code.group(1).lower() + "}"
            rest = code.group(2)
            if closing in rest.lower():
                out.append(Block("code", rest[: rest.lower().index(closing)].strip()))
            else:
                code_end = closing
                if rest.strip():
                    out.append(Block("code", rest.strip()))
            continue
        if "{" in line:
            _containers(line, out, open_tags)
        else:
            _content(line, out)
    return out
