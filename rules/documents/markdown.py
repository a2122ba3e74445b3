"""Markdown (GitLab descriptions and notes) → blocks, through markdown-it-py's token stream.

Parsing with a real CommonMark parser (tables and strikethrough enabled, as GitLab renders
them) rather than regexes keeps code blocks, emphasis and lists unambiguous. HTML comments —
GitLab description templates are full of them — are dropped. A block quote is a container
(``open``/``close`` blocks): people put callouts in quotes (``> **Важно**`` and a list, or
GitLab's alert ``> [!note] Title``), and so is a collapsible ``<details>`` section.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from rules.documents.blocks import Block, BlockKind, Segment, line_block

__all__ = ["markdown_blocks"]

_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
# GitLab's collapsible sections. A summary is short: the bound keeps scanning linear on
# hostile input (an unclosed "<summary>" repeated thousands of times).
_DETAILS = re.compile(
    r"(<details\b[^<>]*>|</details\s*>|<summary\b[^<>]*>.{0,300}?</summary\s*>)", re.I | re.S
)
_SUMMARY = re.compile(r"<summary\b[^<>]*>(.{0,300}?)</summary\s*>", re.I | re.S)
# GitLab alerts: "> [!note]" or "> [!warning] Custom title" on the quote's first line.
_ALERT = re.compile(r"^\[!(?:note|tip|important|caution|warning)\]\s*(.*)$", re.IGNORECASE)


def _inline_lines(token: Token) -> list[list[Segment]]:
    lines: list[list[Segment]] = [[]]
    strong = 0
    for child in token.children or ():
        kind = child.type
        if kind in ("softbreak", "hardbreak"):
            lines.append([])
        elif kind == "strong_open":
            strong += 1
        elif kind == "strong_close":
            strong = max(0, strong - 1)
        elif kind in ("text", "code_inline"):
            lines[-1].append((child.content, strong > 0))
        elif kind == "html_inline" and child.content.lower().startswith("<br"):
            lines.append([])
    return lines


def _flat(token: Token) -> str:
    return " ".join("".join(t for t, _ in line).strip() for line in _inline_lines(token)).strip()


def _html_blocks(content: str) -> list[Block]:
    """Raw HTML: its text, line by line. ``<details>``/``</details>`` (GitLab's collapsible
    sections) are a container whose ``<summary>`` is the title."""
    out: list[Block] = []
    for part in _DETAILS.split(_HTML_COMMENT.sub("", content)):
        tag = part.strip().lower()
        if tag.startswith("<details"):
            out.append(Block("open", ""))
        elif tag == "</details>":
            out.append(Block("close", ""))
        elif (summary := _SUMMARY.fullmatch(part.strip())) is not None and out:
            title = " ".join(_TAG.sub(" ", summary.group(1)).split())
            if out[-1] == Block("open", ""):
                out[-1] = Block("open", title)
            elif title:
                out.append(Block("text", title))
        else:
            text = _TAG.sub(" ", part)
            out.extend(Block("text", line.strip()) for line in text.splitlines() if line.strip())
    return out


def markdown_blocks(text: str) -> list[Block]:
    out: list[Block] = []
    heading = False
    item_pending = False
    row: list[str] | None = None
    quote_opened = -1  # index in ``out`` of a quote's ``open`` block until its first line
    for token in _MD.parse(text):
        kind = token.type
        if kind == "blockquote_open":
            quote_opened = len(out)
            out.append(Block("open", ""))
        elif kind == "blockquote_close":
            quote_opened = -1
            out.append(Block("close", ""))
        elif kind == "heading_open":
            heading = True
        elif kind == "heading_close":
            heading = False
        elif kind == "list_item_open":
            item_pending = True
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            cells = [c for c in row if c]
            if len(cells) >= 2:
                out.append(Block("label", cells[0], " | ".join(cells[1:])))
            elif cells:
                out.append(Block("text", cells[0]))
            row = None
        elif kind == "inline":
            quote_first = quote_opened >= 0 and quote_opened == len(out) - 1
            quote_opened = -1
            if heading:
                out.append(Block("heading", _flat(token)))
            elif row is not None:
                row.append(_flat(token))
            else:
                first: BlockKind = "item" if item_pending else "text"
                item_pending = False
                lines = _inline_lines(token)
                if quote_first and lines:
                    alert = _ALERT.match("".join(t for t, _ in lines[0]).strip())
                    if alert is not None:
                        out[-1] = Block("open", alert.group(1).strip())
                        lines = lines[1:]
                for index, segments in enumerate(lines):
                    block = line_block(segments, first if index == 0 else "text")
                    if block is not None:
                        out.append(block)
        elif kind in ("fence", "code_block"):
            out.extend(Block("code", line) for line in token.content.splitlines() if line.strip())
        elif kind == "html_block":
            out.extend(_html_blocks(token.content))
    return out
