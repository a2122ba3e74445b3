"""Atlassian Document Format (Jira Cloud v3) → blocks.

ADF arrives as parsed JSON from a tracker we do not control, and a broken editor or an old
migration can produce anything: wrong types, missing ``content``, thousands of levels of
nesting. Every access here is type-checked and recursion is capped, so a malformed document
yields fewer blocks, never an exception. Panels (any ``panelType``), quotes and expands are
containers: ``open``/``close`` blocks around their content, an expand's title on the
``open``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rules.documents.blocks import Block, BlockKind, Segment, line_block

__all__ = ["MAX_DEPTH", "adf_blocks", "load_adf"]

MAX_DEPTH = 100
"""Deeper nodes are ignored: real documents nest a handful of levels."""

_CONTAINERS = frozenset(
    {
        "doc",
        "layoutSection",
        "layoutColumn",
        "bulletList",
        "orderedList",
        "taskList",
        "decisionList",
        "bodiedExtension",
    }
)
_BOXES = frozenset({"panel", "blockquote", "expand", "nestedExpand"})
"""Containers people put a section's content (or a whole section) in."""
_LIST_ITEMS = frozenset({"listItem", "decisionItem"})
_CELLS = frozenset({"tableHeader", "tableCell"})


def load_adf(raw: str | dict[str, Any] | None) -> dict[str, Any] | list[Any] | None:
    """A JSON string or an already parsed document; None when it is not JSON at all."""
    if raw is None or isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def _attr(node: dict[str, Any], key: str) -> Any:
    attrs = node.get("attrs")
    return attrs.get(key) if isinstance(attrs, dict) else None


def _children(node: dict[str, Any]) -> list[Any]:
    content = node.get("content")
    return content if isinstance(content, list) else []


def _is_strong(node: dict[str, Any]) -> bool:
    marks = node.get("marks")
    if not isinstance(marks, list):
        return False
    return any(isinstance(m, dict) and m.get("type") == "strong" for m in marks)


def _inline_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind == "text":
        text = node.get("text")
        return text if isinstance(text, str) else ""
    if kind == "mention":
        text = _attr(node, "text")
        return text if isinstance(text, str) else "@user"
    if kind == "emoji":
        text = _attr(node, "text") or _attr(node, "shortName")
        return text if isinstance(text, str) else ""
    if kind in ("status", "placeholder"):
        text = _attr(node, "text")
        return text if isinstance(text, str) else ""
    if kind in ("inlineCard", "blockCard"):
        url = _attr(node, "url")
        return url if isinstance(url, str) else ""
    if kind == "date":
        try:
            stamp = int(_attr(node, "timestamp")) / 1000
            return datetime.fromtimestamp(stamp, UTC).date().isoformat()
        except (TypeError, ValueError, OverflowError, OSError):
            return ""
    return ""


def _inline_lines(nodes: list[Any], depth: int) -> list[list[Segment]]:
    """Inline nodes split into lines at hard breaks (and newlines inside text)."""
    lines: list[list[Segment]] = [[]]
    for node in nodes:
        if not isinstance(node, dict):
            continue
        if node.get("type") == "hardBreak":
            lines.append([])
            continue
        if isinstance(node.get("content"), list) and depth < MAX_DEPTH:
            # Inline nodes do not nest in valid ADF; be lenient with invalid ADF.
            for index, sub in enumerate(_inline_lines(_children(node), depth + 1)):
                if index:
                    lines.append([])
                lines[-1].extend(sub)
            continue
        text = _inline_text(node)
        strong = _is_strong(node)
        for index, part in enumerate(text.split("\n")):
            if index:
                lines.append([])
            if part:
                lines[-1].append((part, strong))
    return lines


def _flat(nodes: list[Any], depth: int) -> str:
    """All text under ``nodes`` on one line (table cells, headings, expand titles)."""
    parts: list[str] = []
    for node in nodes:
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            continue
        text = _inline_text(node)
        if text:
            parts.append(text)
        if node.get("content") is not None:
            parts.append(_flat(_children(node), depth + 1))
    return " ".join(p.strip() for p in parts if p.strip())


def _paragraph(node: dict[str, Any], kind: BlockKind, out: list[Block], depth: int) -> None:
    for index, segments in enumerate(_inline_lines(_children(node), depth)):
        block = line_block(segments, kind if index == 0 else "text")
        if block is not None:
            out.append(block)


def _table(node: dict[str, Any], out: list[Block], depth: int) -> None:
    for row in _children(node):
        if not isinstance(row, dict):
            continue
        cells = [
            _flat(_children(c), depth + 2)
            for c in _children(row)
            if isinstance(c, dict) and c.get("type") in _CELLS
        ]
        cells = [c for c in cells if c]
        if len(cells) >= 2:
            out.append(Block("label", cells[0], " | ".join(cells[1:])))
        elif cells:
            out.append(Block("text", cells[0]))


def _walk(node: Any, out: list[Block], depth: int, item: bool = False) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, list):
        for sub in node:
            _walk(sub, out, depth + 1, item)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "heading":
        out.append(Block("heading", _flat(_children(node), depth + 1)))
    elif kind == "paragraph":
        _paragraph(node, "item" if item else "text", out, depth + 1)
    elif kind in _LIST_ITEMS:
        for index, sub in enumerate(_children(node)):
            _walk(sub, out, depth + 1, item=index == 0)
    elif kind == "taskItem":
        text = _flat(_children(node), depth + 1)
        out.append(Block("check", text, checked=_attr(node, "state") == "DONE"))
    elif kind == "codeBlock":
        text = "".join(_inline_text(c) for c in _children(node) if isinstance(c, dict))
        out.extend(Block("code", line) for line in text.splitlines() if line.strip())
    elif kind == "table":
        _table(node, out, depth + 1)
    elif kind in _BOXES:
        title = _attr(node, "title") if kind in ("expand", "nestedExpand") else None
        out.append(Block("open", title.strip() if isinstance(title, str) else ""))
        _walk(_children(node), out, depth + 1)
        out.append(Block("close", ""))
    elif kind == "text":
        block = line_block([(_inline_text(node), _is_strong(node))])
        if block is not None:
            out.append(block)
    elif kind in _CONTAINERS or isinstance(node.get("content"), list):
        _walk(_children(node), out, depth + 1, item and kind not in _CONTAINERS)


def adf_blocks(doc: dict[str, Any] | list[Any] | None) -> list[Block]:
    out: list[Block] = []
    _walk(doc, out, 0)
    return out
