"""Reading YAML (and JSON, its subset) that nobody vetted, within bounds.

The policy file is reloaded on SIGHUP by a long-running daemon, and seed files come from
whoever runs ``syncd sandbox``: both are input like any other. PyYAML alone will happily
spend all memory on a few lines: an alias bomb ("billion laughs": nine anchors, each ten
aliases of the one before) composes into a small graph of shared nodes, but everything
that walks it — our line map, pydantic — expands it to 10⁹ nodes. A recursive alias
(``&a [*a]``) never ends, and a few hundred thousand ``[`` exhaust Python's recursion.

So, before anything walks the document:

- the file is read up to ``MAX_FILE_BYTES`` and refused past it;
- it must be UTF-8 (a BOM is allowed): otherwise the byte offset and line are named;
- at most ``MAX_ALIASES`` aliases, together standing for at most ``MAX_ALIAS_NODES`` nodes
  (an alias counts the size of what it points at, its own aliases expanded), no alias
  pointing into the node that contains it, and nesting at most ``MAX_DEPTH`` deep.

Every problem is a ``DocumentError`` with a line when one is known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_ALIASES",
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "DocumentError",
    "decode_utf8",
    "load_yaml",
    "read_text",
]

MAX_FILE_BYTES = 2 * 1024 * 1024
"""A policy is a few kilobytes; a generated one for hundreds of sources stays far below."""
MAX_ALIASES = 100
MAX_ALIAS_NODES = 10_000
MAX_DEPTH = 32
"""A policy nests about six levels; the bound also keeps every walk of the document
(with aliases expanded up to ``MAX_ALIAS_NODES``) far from Python's recursion limit."""

_BOM = b"\xef\xbb\xbf"


class DocumentError(Exception):
    """A file that cannot be read as a bounded YAML document; ``line`` is 1-based."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


def decode_utf8(raw: bytes) -> str:
    """``raw`` as text, or a ``DocumentError`` naming the first bad byte's offset."""
    start = len(_BOM) if raw.startswith(_BOM) else 0
    try:
        return raw[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        line = raw.count(b"\n", 0, offset) + 1
        raise DocumentError(
            f"not UTF-8 text: byte 0x{raw[offset]:02x} at byte offset {offset} "
            f"({exc.reason}); save the file as UTF-8",
            line,
        ) from None


def read_text(path: Path, *, what: str = "file", limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of ``path``, read no further than ``limit`` bytes (a FIFO or
    ``/dev/zero`` named by mistake must not be read forever)."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(limit + 1)
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise DocumentError(
            f"larger than {limit // (1024 * 1024)} MB, the most a {what} may be; "
            "is this the right file?"
        )
    return decode_utf8(raw)


def _line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark is not None else None


class _BoundedLoader(yaml.SafeLoader):
    """``SafeLoader`` counting aliases, what they stand for, and depth while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._alias_nodes = 0
        self._depth = 0
        self._open: set[str] = set()  # anchors whose node is still being composed
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise DocumentError(f"nested more than {MAX_DEPTH} levels deep", _line(event))
        anchor = event.anchor
        if anchor is not None:
            self._open.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open.discard(anchor)
        return node

    def _alias(
        self, event: yaml.AliasEvent, parent: yaml.Node | None, index: Any
    ) -> yaml.Node | None:
        line = _line(event)
        if event.anchor in self._open:
            raise DocumentError(f"alias *{event.anchor} points into itself (a loop)", line)
        node = super().compose_node(parent, index)
        if node is None:
            return node
        self._aliases += 1
        self._alias_nodes += self._size(node)
        if self._aliases > MAX_ALIASES:
            raise DocumentError(f"more than {MAX_ALIASES} aliases (*name)", line)
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise DocumentError(
                f"aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?); "
                "write the repeated parts out or reference them less",
                line,
            )
        return node

    def _size(self, node: yaml.Node) -> int:
        """Nodes ``node`` stands for with every alias in it expanded (memoized: shared
        nodes are counted once per use but computed once)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self._size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(self._size(k) + self._size(v) for k, v in node.value)
        self._sizes[id(node)] = size
        return size


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and the composed node tree (for line numbers) of one YAML document."""
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DocumentError(
            f"not valid YAML: {problem}", mark.line + 1 if mark is not None else None
        ) from None
    finally:
        loader.dispose()
    return data, node
