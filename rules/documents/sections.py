"""A task description → named sections (Goal, Acceptance criteria, …), in any format.

The account manager's rules ask what a description *says* — is there a goal, are there
clear requirements — not how it is marked up. Each format parser (``rules.documents.adf``,
``rules.documents.wiki``, ``rules.documents.markdown``, plain text here) produces blocks;
this module finds the
sections among them by comparing headings and labels with aliases in Russian and English.

A section starts at a heading, a bold label (``*Goal:*``) or a plain label line
(``Goal: text``) whose text is a known alias; it ends at the next heading or bold label.
Unknown plain labels (``Note: …``) stay inside the current section as content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from rules.documents.adf import adf_blocks, load_adf
from rules.documents.blocks import Block, label_candidate, normalize_label, split_check
from rules.documents.markdown import markdown_blocks
from rules.documents.wiki import wiki_blocks
from syncd.core.models import Section

__all__ = [
    "DEFAULT_ALIASES",
    "blocks_of",
    "document_source",
    "merge_aliases",
    "parse_description",
    "section_filled",
    "strip_placeholders",
    "to_plain_text",
]

Aliases = Mapping[str, Sequence[str]]

DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "goal": ("Цель", "Цели", "Цель задачи", "Goal", "Goals", "Objective", "Objectives"),
    "acceptance": (
        "Критерии приёмки",
        "Критерии приемки",
        "Критерии готовности",
        "Критерии приёмки задачи",
        "Definition of Done",
        "DoD",
        "Acceptance criteria",
        "AC",
        "Требования",
    ),
    # Specialist briefs (design, copy, markup), required only where a rule says so.
    "formats": ("Форматы", "Формат", "Formats", "Format"),
    "sizes": ("Размеры", "Размер", "Sizes", "Size", "Dimensions"),
    "audience": ("Целевая аудитория", "Аудитория", "ЦА", "Audience", "Target audience"),
    "tone": ("Тон", "Тон коммуникации", "Тональность", "Tone", "Tone of voice"),
    "length": ("Объём", "Объём текста", "Length", "Word count"),
    "mockup": ("Макет", "Ссылка на макет", "Дизайн-макет", "Mockup", "Layout"),
    "clients": ("Почтовые клиенты", "Браузеры", "Устройства", "Email clients", "Browsers"),
}

_FORMATS = ("adf", "wiki", "markdown", "text")
_TEXT_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_TEXT_ITEM = re.compile(r"^(?:[-*•–]|\d+[.)])\s+(.*)$")
_PLACEHOLDER = re.compile(
    r"""<[^<>\n]{0,80}>
    |\((?:например|напр\.|e\.g\.|for\s+example)[^()]*\)
    |\[\s*(?:заполнить|заполните|fill(?:\s+in)?|todo|tbd|\.{2,}|…)?\s*\]
    |«\s*(?:\.{2,}|…)?\s*»
    |\.{2,}|…
    |(?<!\w)(?:tbd|tba|todo|fixme|n/a|заполнить|заполните|xxx)(?!\w)
    |(?<!\w)[-—–_*#•=]+(?!\w)""",
    re.IGNORECASE | re.VERBOSE,
)
_SPACES = re.compile(r"\s+")


def merge_aliases(
    extra: Aliases | None = None, *, replace: bool = False
) -> dict[str, tuple[str, ...]]:
    """Defaults plus configured aliases (added per name; ``replace`` drops the defaults of
    the names given)."""
    merged = dict(DEFAULT_ALIASES)
    for name, values in (extra or {}).items():
        base = () if replace else merged.get(name, ())
        merged[name] = (*base, *(v for v in values if v not in base))
    return merged


@lru_cache(maxsize=32)
def _index(frozen: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, str]:
    index: dict[str, str] = {}
    for name, values in frozen:
        for value in (name, *values):
            index.setdefault(normalize_label(value), name)
    index.pop("", None)
    return index


def _alias_index(aliases: Aliases | None) -> dict[str, str]:
    source = DEFAULT_ALIASES if aliases is None else aliases
    return _index(tuple(sorted((k, tuple(v)) for k, v in source.items())))


def _text_blocks(text: str) -> list[Block]:
    out: list[Block] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if (heading := _TEXT_HEADING.match(line)) is not None:
            out.append(Block("heading", heading.group(1)))
        elif (item := _TEXT_ITEM.match(line)) is not None:
            is_check, checked, rest = split_check(item.group(1))
            out.append(
                Block("check", rest, checked=checked) if is_check else Block("item", item.group(1))
            )
        else:
            is_check, checked, rest = split_check(line)
            out.append(Block("check", rest, checked=checked) if is_check else Block("text", line))
    return out


def blocks_of(raw: str | dict[str, Any] | None, fmt: str) -> list[Block]:
    """Blocks of a description in ``fmt``; unknown formats and non-JSON "ADF" read as text."""
    if raw is None:
        return []
    if fmt == "adf":
        doc = load_adf(raw)
        if doc is not None:
            return adf_blocks(doc)
    if not isinstance(raw, str):
        return []
    if fmt == "wiki":
        return wiki_blocks(raw)
    if fmt == "markdown":
        return markdown_blocks(raw)
    return _text_blocks(raw)


class _Builder:
    __slots__ = ("checks", "lines", "name", "title")

    def __init__(self, name: str, title: str) -> None:
        self.name, self.title = name, title
        self.lines: list[str] = []
        self.checks = 0


class _Sectionizer:
    """Walks the blocks once, keeping the section being filled.

    Containers (panels, callouts, quotes, expands) are transparent: a section's heading is
    often outside the callout that holds its content. A container titled with an alias
    starts that section; any other title — or, for untitled containers, a first line that
    reads as one (``> **Важно**``, an ADF panel's bold first line) — is the callout's name,
    not the start of an unknown section. A section left empty with a placeholder ("TBD")
    does not take a following container as its content. When the container closes, the
    section open before it continues, unless the container only named a section whose
    content follows it.
    """

    __slots__ = ("current", "found", "fresh", "index", "outer")

    def __init__(self, index: dict[str, str]) -> None:
        self.index = index
        self.found: dict[str, _Builder] = {}
        self.current: _Builder | None = None
        self.outer: list[_Builder | None] = []
        self.fresh = False  # the previous block opened a container

    def start(self, name: str, title: str, rest: str) -> None:
        builder = self.found.setdefault(name, _Builder(name, title.strip()))
        if rest:
            builder.lines.append(rest)
        self.current = builder

    def open(self, title: str) -> None:
        self.outer.append(self.current)
        current = self.current
        if current is not None and any(not strip_placeholders(ln) for ln in current.lines):
            # "Цель: TBD" and then a callout: the section was left empty on purpose and
            # the callout is about something else.
            self.current = None
        name = self.index.get(normalize_label(title)) if title else None
        if name:
            self.start(name, title, "")
        self.fresh = not title

    def close(self) -> None:
        if not self.outer:
            return  # a stray closing tag
        outer = self.outer.pop()
        inner = self.current
        if inner is outer or inner is None or inner.lines or inner.checks:
            self.current = outer

    def is_title(self, block: Block) -> bool:
        """An untitled container's first line that names the callout."""
        if block.kind == "heading" or (block.kind == "label" and block.strong and not block.rest):
            return normalize_label(block.text) not in self.index
        return False

    def feed(self, block: Block) -> None:
        kind = block.kind
        fresh, self.fresh = self.fresh, False
        if kind == "open":
            self.open(block.text)
            return
        if kind == "close":
            self.close()
            return
        if fresh and self.is_title(block):
            return
        index = self.index
        if kind == "heading":
            name = index.get(normalize_label(block.text))
            if name:
                self.start(name, block.text, "")
            else:
                self.current = None
            return
        if kind == "label":
            name = index.get(normalize_label(block.text))
            if name:
                self.start(name, block.text, block.rest)
            elif block.strong and not block.rest:
                self.current = None
            elif self.current is not None:
                line = f"{block.text}: {block.rest}" if block.rest else block.text
                self.current.lines.append(line)
            return
        if kind in ("text", "item"):
            candidate = label_candidate(block.text)
            name = index.get(normalize_label(candidate[0])) if candidate else None
            if name is None and len(block.text) <= 60:
                candidate, name = (block.text, ""), index.get(normalize_label(block.text))
            if name and candidate:
                self.start(name, candidate[0], candidate[1])
                return
        current = self.current
        if current is None:
            return
        if kind == "check":
            if strip_placeholders(block.text):
                current.checks += 1
                current.lines.append(block.text)
        else:
            current.lines.append(block.text)

    def sections(self) -> tuple[Section, ...]:
        return tuple(
            Section(
                name=b.name,
                title=b.title,
                text="\n".join(b.lines).strip(),
                checklist_items=b.checks,
            )
            for b in self.found.values()
        )


def _sectionize(blocks: list[Block], index: dict[str, str]) -> tuple[Section, ...]:
    walker = _Sectionizer(index)
    for block in blocks:
        walker.feed(block)
    return walker.sections()


def parse_description(
    raw: str | dict[str, Any] | None, fmt: str, aliases: Aliases | None = None
) -> tuple[Section, ...]:
    """Named sections of a description. ``fmt`` is ``adf`` (dict or JSON string), ``wiki``,
    ``markdown`` or ``text``; ``aliases`` maps section name → aliases and replaces
    :data:`DEFAULT_ALIASES` when given (see :func:`merge_aliases`). Never raises on content."""
    if fmt not in _FORMATS:
        fmt = "text"
    return _sectionize(blocks_of(raw, fmt), _alias_index(aliases))


def document_source(raw: str | dict[str, Any] | list[Any] | None) -> str:
    """A description as written, for ``Task.description_source``: markup as is, ADF as
    compact JSON; "" for nothing, or for a document too deep or odd to serialize (rules
    then fall back to the plain text)."""
    if raw is None or isinstance(raw, str):
        return raw or ""
    try:
        return json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        return ""


def _plain_line(block: Block) -> str:
    if block.kind == "close":
        return ""
    if block.kind == "label":
        return f"{block.text}: {block.rest}" if block.rest else block.text
    if block.kind == "check":
        return f"[{'x' if block.checked else ' '}] {block.text}"
    return block.text


def to_plain_text(raw: str | dict[str, Any] | None, fmt: str) -> str:
    """A comment or description flattened to plain text, one line per block: what rules
    match keywords against (``Checkpoint: …`` rather than ``*Checkpoint:*`` or ADF JSON)."""
    if fmt == "text":
        return raw if isinstance(raw, str) else ""
    lines = (_plain_line(b) for b in blocks_of(raw, fmt))
    return "\n".join(line for line in lines if line)


def strip_placeholders(text: str) -> str:
    """Text without template placeholders (TBD, TODO, …, «...», <...>, [заполнить], -, n/a,
    and the "(например: …)" hints of syncd's own templates)."""
    return _SPACES.sub(" ", _PLACEHOLDER.sub(" ", text)).strip()


def section_filled(section: Section | None, min_chars: int = 10) -> bool:
    """Filled = one checklist item, or one line of at least ``min_chars`` characters once
    template placeholders are removed."""
    if section is None:
        return False
    if section.checklist_items > 0:
        return True
    for raw in section.text.splitlines():
        line = raw.strip()
        if len(line) < min_chars:
            continue  # stripping only shortens
        if not _may_hold_placeholder(line) or len(strip_placeholders(line)) >= min_chars:
            return True
    return False


_TRIGGER_CHARS = "<[«…—–_*#•=("
_TRIGGER_TEXT = ("..", "-", "tbd", "tba", "todo", "fixme", "n/a", "заполн", "xxx")


def _may_hold_placeholder(line: str) -> bool:
    """A cheap pre-check (plain substring tests) so the common, clearly written line skips
    the placeholder regex: rules run over every task every cycle."""
    if any(c in line for c in _TRIGGER_CHARS) or " ".join(line.split()) != line:
        return True  # markup, or whitespace the placeholder pass would collapse
    low = line.lower()
    return any(t in low for t in _TRIGGER_TEXT)
