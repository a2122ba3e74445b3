"""Direction isolation of user text (task titles, names, client names) inside syncd's words.

A title such as ``"Баннер \\u202e"`` (RIGHT-TO-LEFT OVERRIDE, left open) reverses every
character after it on the line, including syncd's own "— Иван · срок 24 ноя". Even a
clean Hebrew or Arabic title pulls neighbouring numbers and punctuation to its side. The
Unicode Bidirectional Algorithm (UAX #9) has the remedy: an *isolate*. Text between FSI
(U+2068) and PDI (U+2069) is laid out on its own and counts as one neutral character
from the outside, so nothing inside can move anything outside.

An isolate only holds if the text inside cannot close it or carry an open embedding past
it, so first every *unpaired* embedding, override or isolate control is dropped; paired
ones (a Hebrew user's own RLE … PDF) stay, since they are part of what was written.
Direction marks (LRM, RLM, ALM) stay too: they open nothing and inside an isolate they
only affect the user's own text.

Stdlib only: rules, connectors and the digest renderers all import it.
"""

from __future__ import annotations

__all__ = [
    "BIDI_CONTROLS",
    "FSI",
    "PDI",
    "balance_bidi",
    "isolate",
]

FSI = "\u2068"
"""FIRST STRONG ISOLATE: the isolate takes the direction of its first strong letter."""
PDI = "\u2069"
"""POP DIRECTIONAL ISOLATE: closes the isolate."""

_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
"""LRE, RLE, LRO, RLO: closed by PDF."""
_PDF = "\u202c"
_ISOLATES = frozenset("\u2066\u2067\u2068")
"""LRI, RLI, FSI: closed by PDI."""
_MARKS = frozenset("\u200e\u200f\u061c")
"""LRM, RLM, ALM."""
BIDI_CONTROLS = frozenset({*_EMBEDDINGS, _PDF, *_ISOLATES, PDI, *_MARKS})
"""Every character that steers bidirectional layout."""
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
"""Paragraph and line separators end every embedding and isolate (UAX #9, X8)."""


def _paired(line: str) -> set[int]:
    """Positions of the controls of ``line`` that open and close a matched pair, nested
    as UAX #9 nests them: PDI closes its isolate and every embedding opened inside it;
    PDF closes the last embedding only if no isolate was opened after it."""
    keep: set[int] = set()
    stack: list[tuple[int, bool]] = []  # (position, is_isolate)
    for pos, char in enumerate(line):
        if char in _EMBEDDINGS or char in _ISOLATES:
            stack.append((pos, char in _ISOLATES))
        elif char == _PDF:
            if stack and not stack[-1][1]:
                keep.update((stack.pop()[0], pos))
        elif char == PDI:
            opener = next((i for i in range(len(stack) - 1, -1, -1) if stack[i][1]), None)
            if opener is not None:
                del stack[opener + 1 :]  # embeddings left open inside: dropped
                keep.update((stack.pop()[0], pos))
    return keep


def balance_bidi(text: str) -> str:
    """``text`` without the embedding, override and isolate controls that have no
    partner on their line, so it can neither leak a direction nor close an isolate
    around it. Text without such controls comes back unchanged."""
    if not any(c in _EMBEDDINGS or c in _ISOLATES or c in (_PDF, PDI) for c in text):
        return text
    out: list[str] = []
    start = 0
    for end in [*(i for i, c in enumerate(text) if c in _LINE_BREAKS), len(text)]:
        line = text[start:end]
        keep = _paired(line)
        out.extend(
            c
            for i, c in enumerate(line)
            if i in keep or not (c in _EMBEDDINGS or c in _ISOLATES or c in (_PDF, PDI))
        )
        out.append(text[end : end + 1])
        start = end + 1
    return "".join(out)


def isolate(text: str | None) -> str:
    """``text`` balanced and wrapped in FSI … PDI; "" stays "" (nothing to isolate)."""
    if not text:
        return ""
    return f"{FSI}{balance_bidi(text)}{PDI}"
