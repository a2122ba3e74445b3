"""Markdown → Jira wiki markup and Markdown → ADF, for seed documents.

A seed document is usually written once, in Markdown; the Jira flavours need wiki markup
(REST v2) and ADF (REST v3). Both are derived here from one parse (markdown-it, CommonMark)
so the three forms say the same thing. Covered: headings, paragraphs, bold, italics, inline
code, links, bullet and ordered lists (nested), task-list items (``- [ ]`` / ``- [x]``),
code blocks, block quotes and rules. Raw HTML (e.g. a ``<!-- syncd:… -->`` marker) is kept as
literal text, because that is what a person would see in Jira.

Every ADF document produced validates against Atlassian's ADF JSON Schema
(``schemas/adf-schema-v1-full.json``); ``validate_adf`` is the same check the sandbox's v3
write endpoints use. ``adf_shape_errors`` is the seed loader's form of it: a full schema
validation costs ~11 ms a document, so documents that differ only in free text are validated
once per shape (see ``_Shapes``).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
import pydantic_core
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

__all__ = [
    "adf_errors",
    "adf_shape_errors",
    "markdown_to_adf",
    "markdown_to_wiki",
    "validate_adf",
]

_MD = MarkdownIt("commonmark")
_TASK_PREFIXES = {"[ ] ": "TODO", "[x] ": "DONE", "[X] ": "DONE"}

Json = dict[str, Any]


def _parse(md: str) -> SyntaxTreeNode:
    return SyntaxTreeNode(_MD.parse(md))


def _inline_of(node: SyntaxTreeNode) -> SyntaxTreeNode | None:
    """The ``inline`` child of a paragraph/heading (markdown-it wraps inline content)."""
    for child in node.children:
        if child.type == "inline":
            return child
    return None


def _task_state(item: SyntaxTreeNode) -> str | None:
    """``TODO``/``DONE`` when a list item starts with a task box, else None."""
    if not item.children or item.children[0].type != "paragraph":
        return None
    inline = _inline_of(item.children[0])
    if inline is None or not inline.children or inline.children[0].type != "text":
        return None
    text = inline.children[0].content
    for prefix, state in _TASK_PREFIXES.items():
        if text.startswith(prefix) or text == prefix.rstrip():
            return state
    return None


def _strip_task_box(text: str) -> str:
    return text[4:] if len(text) >= 4 else ""


# --------------------------------------------------------------------------- ADF


class _AdfBuilder:
    def __init__(self) -> None:
        self._ids = 0

    def _local_id(self) -> str:
        # Deterministic ids keep derived documents stable across loads (tests compare them).
        self._ids += 1
        return f"seed-{self._ids}"

    def inline(self, node: SyntaxTreeNode | None, marks: tuple[Json, ...] = ()) -> list[Json]:
        out: list[Json] = []
        if node is None:
            return out
        for child in node.children:
            kind = child.type
            if kind in ("text", "html_inline"):
                out.extend(self._text(child.content, marks))
            elif kind == "code_inline":
                # ADF allows only link/annotation beside a code mark.
                kept = tuple(m for m in marks if m["type"] == "link")
                out.extend(self._text(child.content, (*kept, {"type": "code"})))
            elif kind == "strong":
                out.extend(self.inline(child, (*marks, {"type": "strong"})))
            elif kind == "em":
                out.extend(self.inline(child, (*marks, {"type": "em"})))
            elif kind == "link":
                href = str(child.attrs.get("href", ""))
                out.extend(self.inline(child, (*marks, {"type": "link", "attrs": {"href": href}})))
            elif kind in ("softbreak", "hardbreak"):
                out.append({"type": "hardBreak"})
            elif kind == "image":
                out.extend(self._text(str(child.attrs.get("src", "")), marks))
            else:
                out.extend(self.inline(child, marks))
        return out

    @staticmethod
    def _text(text: str, marks: tuple[Json, ...]) -> list[Json]:
        if not text:
            return []
        node: Json = {"type": "text", "text": text}
        if marks:
            node["marks"] = [dict(m) for m in marks]
        return [node]

    def blocks(self, node: SyntaxTreeNode) -> list[Json]:
        out: list[Json] = []
        for child in node.children:
            out.extend(self.block(child))
        return out

    def block(self, node: SyntaxTreeNode) -> list[Json]:
        kind = node.type
        if kind == "heading":
            level = int(node.tag[1:])
            return [
                {
                    "type": "heading",
                    "attrs": {"level": level},
                    "content": self.inline(_inline_of(node)),
                }
            ]
        if kind == "paragraph":
            return [{"type": "paragraph", "content": self.inline(_inline_of(node))}]
        if kind == "bullet_list":
            if node.children and all(_task_state(i) for i in node.children):
                return [self._task_list(node)]
            return [{"type": "bulletList", "content": [self._list_item(i) for i in node.children]}]
        if kind == "ordered_list":
            start = int(node.attrs.get("start", 1) or 1)
            return [
                {
                    "type": "orderedList",
                    "attrs": {"order": start},
                    "content": [self._list_item(i) for i in node.children],
                }
            ]
        if kind in ("fence", "code_block"):
            text = node.content.rstrip("\n")
            block: Json = {"type": "codeBlock", "content": []}
            if text:
                block["content"] = [{"type": "text", "text": text}]
            if node.info:
                block["attrs"] = {"language": node.info.split()[0]}
            return [block]
        if kind == "blockquote":
            inner = [
                b
                for b in self.blocks(node)
                if b["type"] in ("paragraph", "bulletList", "orderedList", "codeBlock")
            ]
            return [
                {"type": "blockquote", "content": inner or [{"type": "paragraph", "content": []}]}
            ]
        if kind == "hr":
            return [{"type": "rule"}]
        if kind == "html_block":
            return [{"type": "paragraph", "content": self._text(node.content.strip(), ())}]
        return self.blocks(node)

    def _list_item(self, item: SyntaxTreeNode) -> Json:
        content = self.blocks(item)
        # A listItem holds paragraphs/lists/code only; headings etc. become paragraphs.
        allowed = {"paragraph", "bulletList", "orderedList", "taskList", "codeBlock"}
        fixed = [
            c if c["type"] in allowed else {"type": "paragraph", "content": c.get("content", [])}
            for c in content
        ]
        if not fixed or fixed[0]["type"] != "paragraph":
            fixed.insert(0, {"type": "paragraph", "content": []})
        return {"type": "listItem", "content": fixed}

    def _task_list(self, node: SyntaxTreeNode) -> Json:
        items: list[Json] = []
        for item in node.children:
            state = _task_state(item) or "TODO"
            inline = _inline_of(item.children[0])
            content = self.inline(inline)
            if content and content[0]["type"] == "text":
                rest = _strip_task_box(content[0]["text"])
                content = ([{**content[0], "text": rest}] if rest else []) + content[1:]
            items.append(
                {
                    "type": "taskItem",
                    "attrs": {"localId": self._local_id(), "state": state},
                    "content": content,
                }
            )
        return {"type": "taskList", "attrs": {"localId": self._local_id()}, "content": items}


def markdown_to_adf(md: str) -> dict[str, Any]:
    """An ADF ``doc`` node saying what ``md`` says."""
    return {"type": "doc", "version": 1, "content": _AdfBuilder().blocks(_parse(md))}


# --------------------------------------------------------------------------- wiki


def _wiki_inline(node: SyntaxTreeNode | None) -> str:
    if node is None:
        return ""
    parts: list[str] = []
    for child in node.children:
        kind = child.type
        if kind in ("text", "html_inline"):
            parts.append(child.content)
        elif kind == "code_inline":
            parts.append("{{" + child.content + "}}")
        elif kind == "strong":
            parts.append("*" + _wiki_inline(child) + "*")
        elif kind == "em":
            parts.append("_" + _wiki_inline(child) + "_")
        elif kind == "link":
            text = _wiki_inline(child)
            href = str(child.attrs.get("href", ""))
            parts.append(f"[{text}|{href}]" if text and text != href else f"[{href}]")
        elif kind == "softbreak":
            parts.append("\n")
        elif kind == "hardbreak":
            parts.append("\\\\\n")
        elif kind == "image":
            parts.append("!" + str(child.attrs.get("src", "")) + "!")
        else:
            parts.append(_wiki_inline(child))
    return "".join(parts)


def _wiki_list(node: SyntaxTreeNode, prefix: str) -> list[str]:
    marker = prefix + ("#" if node.type == "ordered_list" else "*")
    lines: list[str] = []
    for item in node.children:
        first = True
        for child in item.children:
            if child.type in ("bullet_list", "ordered_list"):
                lines.extend(_wiki_list(child, marker))
                continue
            text = (
                _wiki_inline(_inline_of(child))
                if child.type in ("paragraph", "heading")
                else child.content.strip()
            )
            if first:
                lines.append(f"{marker} {text}")
                first = False
            else:
                lines.append(text)
        if first:
            lines.append(f"{marker} ")
    return lines


def _wiki_block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "heading":
        return f"{node.tag}. {_wiki_inline(_inline_of(node))}"
    if kind == "paragraph":
        return _wiki_inline(_inline_of(node))
    if kind in ("bullet_list", "ordered_list"):
        return "\n".join(_wiki_list(node, ""))
    if kind in ("fence", "code_block"):
        lang = node.info.split()[0] if node.info else ""
        opener = "{code:" + lang + "}" if lang else "{code}"
        return opener + "\n" + node.content.rstrip("\n") + "\n{code}"
    if kind == "blockquote":
        return "{quote}\n" + "\n\n".join(_wiki_block(c) for c in node.children) + "\n{quote}"
    if kind == "hr":
        return "----"
    if kind == "html_block":
        return node.content.strip()
    return "\n\n".join(_wiki_block(c) for c in node.children)


def markdown_to_wiki(md: str) -> str:
    """Jira wiki markup saying what ``md`` says (task boxes stay as ``[ ]``/``[x]`` text:
    wiki markup has no task lists)."""
    root = _parse(md)
    return "\n\n".join(_wiki_block(c) for c in root.children) + ("\n" if root.children else "")


# --------------------------------------------------------------------------- validation


@lru_cache(maxsize=1)
def _adf_validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(_adf_schema())


@lru_cache(maxsize=1)
def _adf_schema() -> Json:
    text = (
        resources.files("connectors.sandbox")
        .joinpath("schemas/adf-schema-v1-full.json")
        .read_text("utf-8")
    )
    schema: Json = json.loads(text)
    return schema


def adf_errors(doc: Any) -> list[str]:
    """Human-readable reasons ``doc`` is not valid ADF (empty list when it is)."""
    validator = _adf_validator()
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]


def validate_adf(doc: Any) -> bool:
    return _adf_validator().is_valid(doc)


# --------------------------------------------------------------------------- shapes

_FREE_FORMS = frozenset({"type", "minLength", "enum"})
_PLACEHOLDER = "\x00free-text"  # in no enum of the schema, non-empty


def _free_string_keys(schema: Json) -> dict[str, frozenset[str]]:
    """Property names whose value the schema checks only as "a string, maybe non-empty, maybe
    one of an enum" wherever the name appears, each with the union of its enum values.

    For such a key, replacing a string value outside every enum by a non-empty placeholder
    (an empty one stays empty) changes no verdict of any subschema that sees it, so two
    documents that differ only there are valid or invalid together. A name constrained
    anywhere else (pattern, $ref to something richer, minLength > 1) is not free; with
    ``additionalProperties``/``patternProperties`` schemas no name is (values could be
    checked under another name)."""
    definitions = schema.get("definitions", {})
    seen: dict[str, list[Any]] = {}
    open_schemas = False

    def resolve(node: Any) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if len(node) != 1 or not ref.startswith("#/definitions/"):
                return None
            node = definitions.get(ref.removeprefix("#/definitions/"))
        return node

    def walk(node: Any) -> None:
        nonlocal open_schemas
        if isinstance(node, dict):
            if isinstance(node.get("additionalProperties"), dict) or "patternProperties" in node:
                open_schemas = True
            props = node.get("properties")
            if isinstance(props, dict):
                for name, sub in props.items():
                    seen.setdefault(name, []).append(resolve(sub))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    if open_schemas:
        return {}
    free: dict[str, frozenset[str]] = {}
    for name, subs in seen.items():
        enums: set[str] = set()
        ok = True
        for sub in subs:
            if not isinstance(sub, dict) or not sub or not set(sub) <= _FREE_FORMS:
                ok = False
                break
            if "type" in sub and sub["type"] != "string":
                ok = False
                break
            if sub.get("minLength", 0) > 1:
                ok = False
                break
            enum = sub.get("enum")
            if enum is not None:
                if not all(isinstance(v, str) for v in enum):
                    ok = False
                    break
                enums.update(enum)
            elif "type" not in sub:
                ok = False
                break
        if ok:
            free[name] = frozenset(enums)
    return free


class _Shapes:
    """Verdicts of the ADF schema per document shape: the document's compact JSON with the
    values of free string keys (see ``_free_string_keys``) replaced by a placeholder. A seed
    of 100,000 tasks holds a handful of shapes, so loading it validates a handful of
    documents. Working on the JSON text (encoded in Rust by ``pydantic_core``, one regex
    pass) keeps the per-document cost in microseconds; a Python walk of the tree cost more
    than the rest of the load, and the stdlib encoder four times as much as this one.

    Documents that are exactly alike (a template description, "Done." comments, a generated
    seed) are recognised by their JSON text alone, before the regex pass: a dict lookup
    instead of ~10 µs of substitution."""

    def __init__(self, limit: int = 4096) -> None:
        free = _free_string_keys(_adf_schema())
        # Enum values as they appear inside the JSON text (no quotes).
        self._kept = {k: {_json_bytes(v)[1:-1] for v in enum} for k, enum in free.items()}
        # A node's or mark's "type" is the shape itself: kept as written (keeping a value is
        # always safe; blanking is what makes shapes shared).
        names = "|".join(re.escape(k) for k in sorted(free) if k != "type")
        # With compact separators a key's opening quote follows "{" or "," and is followed
        # by '":'; inside a JSON string a quote is always escaped, so no text matches. (UTF-8
        # never puts a quote or backslash byte inside a multi-byte character.)
        self._free_value = re.compile(
            rb'(?<=[{,])"(' + names.encode() + rb')":"([^"\\]*(?:\\.[^"\\]*)*)"'
        )
        self._placeholder = _json_bytes(_PLACEHOLDER)
        self._valid: dict[bytes, bool] = {}
        self._exact: dict[bytes, bool] = {}
        self._limit = limit
        self.validations = 0
        """How many documents went to the full schema check (tests read it)."""
        self.substitutions = 0
        """How many documents had their free text blanked (not recognised by their text)."""

    def _blank(self, match: re.Match[bytes]) -> bytes:
        key, value = match.group(1), match.group(2)
        if not value or value in self._kept[key.decode()]:
            return match.group(0)
        return b'"' + key + b'":' + self._placeholder

    def is_valid(self, doc: Any, *, decoded_json: bool = False) -> bool:
        """The schema's verdict on ``doc``. ``decoded_json``: ``doc`` came from
        ``json.loads`` (plain dicts, lists, strings, numbers), so it is the JSON it prints as
        and the check for Python values that only print like JSON is skipped."""
        try:
            text = _json_bytes(doc)
        except (TypeError, ValueError):  # not JSON at all (a lone surrogate, an object)
            text = b""
        # Tuples, non-string keys, dates print like JSON lists, string keys and strings:
        # such a document is not the JSON it prints as, so it gets a verdict of its own.
        if not text or (not decoded_json and json.loads(text) != doc):
            self.validations += 1
            return _adf_validator().is_valid(doc)
        verdict = self._exact.get(text)
        if verdict is not None:
            return verdict
        self.substitutions += 1
        key = self._free_value.sub(self._blank, text)
        verdict = self._valid.get(key)
        if verdict is None:
            self.validations += 1
            verdict = _adf_validator().is_valid(json.loads(key))
            _bounded_put(self._valid, key, verdict, self._limit)
        _bounded_put(self._exact, text, verdict, self._limit)
        return verdict


def _json_bytes(value: Any) -> bytes:
    """Compact JSON (UTF-8) of ``value``; NaN and infinities written as the constants
    ``json.loads`` reads back, so a shape keeps the number its document holds."""
    return pydantic_core.to_json(value, inf_nan_mode="constants")


def _bounded_put(cache: dict[bytes, bool], key: bytes, verdict: bool, limit: int) -> None:
    """Remember a verdict; a full cache starts over (seeds hold few shapes, so a seed of
    unique documents only costs the lookups, not memory)."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = verdict


@lru_cache(maxsize=1)
def _shapes() -> _Shapes:
    return _Shapes()


def adf_shape_errors(doc: Any, *, decoded_json: bool = False) -> list[str]:
    """``adf_errors`` for bulk loading: the same verdict, computed once per document shape;
    the reasons (for a document that fails) come from the full check of that document.
    ``decoded_json``: see ``_Shapes.is_valid``."""
    if _shapes().is_valid(doc, decoded_json=decoded_json):
        return []
    return adf_errors(doc) or ["not valid ADF"]
