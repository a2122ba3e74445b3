"""ADF ↔ Jira wiki markup, for bodies written through one REST version and read through the
other (Cloud keeps one document and serves v3 as ADF, v2 as wiki markup).

A comment syncd posts as ADF through v3 must read back through v2 with its heading, list,
mention (``[~accountid:…]``) and marker intact, and the reverse. Not a complete converter
(panels become plain blocks, tables are flattened): enough for descriptions and comments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["adf_to_text", "adf_to_wiki", "wiki_to_adf"]

Json = dict[str, Any]


# --------------------------------------------------------------------------- ADF → wiki


def _inline_wiki(nodes: list[Any]) -> str:
    out: list[str] = []
    for node in nodes:
        if not isinstance(node, Mapping):
            continue
        kind = node.get("type")
        attrs = node.get("attrs") or {}
        if kind == "text":
            text = str(node.get("text", ""))
            for mark in node.get("marks") or []:
                mtype = mark.get("type")
                if mtype == "strong":
                    text = f"*{text}*"
                elif mtype == "em":
                    text = f"_{text}_"
                elif mtype == "code":
                    text = "{{" + text + "}}"
                elif mtype == "strike":
                    text = f"-{text}-"
                elif mtype == "link":
                    text = f"[{text}|{(mark.get('attrs') or {}).get('href', '')}]"
            out.append(text)
        elif kind == "hardBreak":
            out.append("\n")
        elif kind == "mention":
            out.append(f"[~accountid:{attrs.get('id', '')}]")
        elif kind == "emoji":
            out.append(str(attrs.get("text") or attrs.get("shortName") or ""))
        elif kind == "inlineCard":
            out.append(f"[{attrs.get('url', '')}]")
        elif kind == "status":
            out.append(str(attrs.get("text", "")))
        elif kind == "date":
            out.append(str(attrs.get("timestamp", "")))
        else:
            out.append(_inline_wiki(node.get("content") or []))
    return "".join(out)


def _list_wiki(node: Mapping[str, Any], prefix: str) -> list[str]:
    kind = node.get("type")
    marker = prefix + ("#" if kind == "orderedList" else "*")
    lines: list[str] = []
    for item in node.get("content") or []:
        if item.get("type") == "taskItem":
            box = "[x]" if (item.get("attrs") or {}).get("state") == "DONE" else "[ ]"
            lines.append(f"{marker} {box} {_inline_wiki(item.get('content') or [])}")
            continue
        first = True
        for child in item.get("content") or []:
            if child.get("type") in ("bulletList", "orderedList", "taskList"):
                lines.extend(_list_wiki(child, marker))
            elif first:
                lines.append(f"{marker} {_block_wiki(child)}")
                first = False
            else:
                lines.append(_block_wiki(child))
    return lines


def _block_wiki(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    content = node.get("content") or []
    if kind == "paragraph":
        return _inline_wiki(content)
    if kind == "heading":
        return f"h{(node.get('attrs') or {}).get('level', 1)}. {_inline_wiki(content)}"
    if kind in ("bulletList", "orderedList", "taskList"):
        return "\n".join(_list_wiki(node, ""))
    if kind == "codeBlock":
        return "{code}\n" + _inline_wiki(content) + "\n{code}"
    if kind == "blockquote":
        return "{quote}\n" + "\n\n".join(_block_wiki(c) for c in content) + "\n{quote}"
    if kind == "panel":
        return "{panel}\n" + "\n\n".join(_block_wiki(c) for c in content) + "\n{panel}"
    if kind == "rule":
        return "----"
    if any(isinstance(c, Mapping) and c.get("type") == "text" for c in content):
        return _inline_wiki(content)
    return "\n\n".join(_block_wiki(c) for c in content if isinstance(c, Mapping))


def adf_to_wiki(doc: Mapping[str, Any]) -> str:
    blocks = [_block_wiki(b) for b in doc.get("content") or [] if isinstance(b, Mapping)]
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def adf_to_text(doc: Mapping[str, Any]) -> str:
    """Plain text: wiki markup without the markup characters that carry meaning."""
    return adf_to_wiki(doc)


# --------------------------------------------------------------------------- wiki → ADF

_INLINE = re.compile(
    r"\[~accountid:(?P<acc>[^\]]+)\]|\[~(?P<user>[^\]]+)\]|\{\{(?P<code>.+?)\}\}"
    r"|\[(?P<ltext>[^\]|]+)\|(?P<href>[^\]]+)\]|\[(?P<url>https?://[^\]]+)\]"
    r"|(?<![\w*])\*(?P<strong>[^*\n]+)\*(?![\w*])|(?<![\w_])_(?P<em>[^_\n]+)_(?![\w_])"
)
_LIST = re.compile(r"^([*#]+) (.*)$")
_HEADING = re.compile(r"^h([1-6])\. (.*)$")


def _text(text: str, marks: list[Json] | None = None) -> list[Json]:
    if not text:
        return []
    node: Json = {"type": "text", "text": text}
    if marks:
        node["marks"] = marks
    return [node]


def _inline_adf(text: str) -> list[Json]:
    out: list[Json] = []
    lines = text.split("\n")
    for n, line in enumerate(lines):
        pos = 0
        for m in _INLINE.finditer(line):
            out.extend(_text(line[pos : m.start()]))
            if m.group("acc") or m.group("user"):
                out.append({"type": "mention", "attrs": {"id": m.group("acc") or m.group("user")}})
            elif m.group("code") is not None:
                out.extend(_text(m.group("code"), [{"type": "code"}]))
            elif m.group("href"):
                out.extend(
                    _text(m.group("ltext"), [{"type": "link", "attrs": {"href": m.group("href")}}])
                )
            elif m.group("url"):
                out.extend(
                    _text(m.group("url"), [{"type": "link", "attrs": {"href": m.group("url")}}])
                )
            elif m.group("strong"):
                out.extend(_text(m.group("strong"), [{"type": "strong"}]))
            else:
                out.extend(_text(m.group("em"), [{"type": "em"}]))
            pos = m.end()
        out.extend(_text(line[pos:]))
        if n < len(lines) - 1:
            out.append({"type": "hardBreak"})
    return out


def _list_adf(items: list[tuple[str, str]]) -> Json:
    """``items``: (marker, text) lines of one list; nesting follows the marker length."""
    depth = len(items[0][0])
    kind = "orderedList" if items[0][0].endswith("#") else "bulletList"
    nodes: list[Json] = []
    i = 0
    while i < len(items):
        text = items[i][1]
        j = i + 1
        while j < len(items) and len(items[j][0]) > depth:
            j += 1
        content: list[Json] = [{"type": "paragraph", "content": _inline_adf(text)}]
        if j > i + 1:
            content.append(_list_adf(items[i + 1 : j]))
        nodes.append({"type": "listItem", "content": content})
        i = j
    return {"type": kind, "content": nodes}


def wiki_to_adf(wiki: str) -> dict[str, Any]:
    blocks: list[Json] = []
    paragraph: list[str] = []
    items: list[tuple[str, str]] = []
    lines = wiki.split("\n")

    def flush() -> None:
        if paragraph:
            blocks.append({"type": "paragraph", "content": _inline_adf("\n".join(paragraph))})
            paragraph.clear()
        if items:
            blocks.append(_list_adf(list(items)))
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if line.startswith("{code"):
            flush()
            end = next(
                (k for k in range(i + 1, len(lines)) if lines[k].strip() == "{code}"), len(lines)
            )
            code = "\n".join(lines[i + 1 : end])
            blocks.append({"type": "codeBlock", "content": _text(code)})
            i = end + 1
            continue
        heading = _HEADING.match(line)
        listed = _LIST.match(line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            blocks.append(
                {
                    "type": "heading",
                    "attrs": {"level": int(heading.group(1))},
                    "content": _inline_adf(heading.group(2)),
                }
            )
        elif line.strip() == "----":
            flush()
            blocks.append({"type": "rule"})
        elif listed:
            if paragraph:
                flush()
            if items and (
                len(listed.group(1)) < len(items[0][0]) or listed.group(1)[0] != items[0][0][0]
            ):
                flush()
            items.append((listed.group(1), listed.group(2)))
        else:
            if items:
                flush()
            paragraph.append(line)
        i += 1
    flush()
    return {"type": "doc", "version": 1, "content": blocks}
