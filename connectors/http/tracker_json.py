"""Decoding tracker answers so that no document, however deeply nested, stops a sync.

Python's JSON decoder recurses once per nesting level and gives up with ``RecursionError``
near the interpreter's recursion limit (about a thousand levels). A Jira Cloud description
is ADF — JSON — and an editor bug, an import or a hostile user can nest lists inside lists
a few hundred times; each ADF list level is four JSON levels. The whole search page holding
that one issue then failed to decode, and with it the whole source, on every poll.

So every response the connectors' sessions receive becomes a ``TrackerResponse`` (see
``adopt``): its ``json()`` is the standard one, and only when that runs out of recursion
the body is decoded again by ``loads_deep``, which keeps its own stack (no recursion at all)
and replaces anything nested deeper than ``MAX_DEPTH`` levels by ``None``. No real tracker
object nests that deep; what is left out is logged with the request path, and the issue
itself is still read (its description's parsers cap their depth as well, ``rules.documents.adf``).
"""

from __future__ import annotations

import json.decoder
import re
from collections.abc import Callable
from json.decoder import JSONDecodeError
from typing import Any
from urllib.parse import urlsplit

import requests

from syncd.core.logs import get_logger

__all__ = ["MAX_DEPTH", "TrackerResponse", "adopt", "loads_deep"]

MAX_DEPTH = 200
"""Levels of nesting kept when a body is too deep for the standard decoder."""

_log = get_logger("syncd.connectors.json")
# The standard decoder's own string scanner (C): escapes and surrogates exactly as json.loads.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?")
_CONSTANTS: tuple[tuple[str, Any], ...] = (
    ("null", None),
    ("true", True),
    ("false", False),
    ("NaN", float("nan")),
    ("Infinity", float("inf")),
    ("-Infinity", float("-inf")),
)


def _scalar(s: str, pos: int) -> tuple[Any, int]:
    """The string, number or constant starting at ``pos``, and the index after it."""
    char = s[pos : pos + 1]
    if char == '"':
        return _scanstring(s, pos + 1, True)
    for literal, value in _CONSTANTS:
        if s.startswith(literal, pos):
            return value, pos + len(literal)
    number = _NUMBER.match(s, pos)
    if number is None:
        raise JSONDecodeError("Expecting value", s, pos)
    integer, frac, exp = number.groups()
    if frac or exp:
        return float(integer + (frac or "") + (exp or "")), number.end()
    return int(integer), number.end()


def _key(s: str, pos: int) -> tuple[str, int]:
    """An object key and its colon; returns the key and the index of its value."""
    pos = _WS.match(s, pos).end()  # type: ignore[union-attr]
    if s[pos : pos + 1] != '"':
        raise JSONDecodeError("Expecting property name enclosed in double quotes", s, pos)
    key, pos = _scanstring(s, pos + 1, True)
    pos = _WS.match(s, pos).end()  # type: ignore[union-attr]
    if s[pos : pos + 1] != ":":
        raise JSONDecodeError("Expecting ':' delimiter", s, pos)
    return key, pos + 1


def loads_deep(s: str, max_depth: int = MAX_DEPTH) -> tuple[Any, int]:
    """Decode ``s`` like ``json.loads`` with an explicit stack instead of recursion.
    Containers nested deeper than ``max_depth`` become ``None``; returns the value and how
    many subtrees were left out that way. Raises ``json.JSONDecodeError`` (a ValueError).

    A container joins its parent when it closes, so dropping one that is too deep is just
    not attaching it."""
    stack: list[dict[str, Any] | list[Any]] = []
    keys: list[str] = []  # the pending key of each open object, innermost last
    pruned = 0
    pos = _WS.match(s, 0).end()  # type: ignore[union-attr]
    while True:
        # A value starts at ``pos``: open a container, or read a scalar.
        char = s[pos : pos + 1]
        value: Any
        if char in ("{", "["):
            pos = _WS.match(s, pos + 1).end()  # type: ignore[union-attr]
            if s[pos : pos + 1] == ("}" if char == "{" else "]"):
                value, pos = ({} if char == "{" else []), pos + 1
            else:
                stack.append({} if char == "{" else [])
                if char == "{":
                    key, pos = _key(s, pos)
                    keys.append(key)
                pos = _WS.match(s, pos).end()  # type: ignore[union-attr]
                continue
        else:
            value, pos = _scalar(s, pos)
        # A value is complete: attach it, then close as many containers as end here.
        while True:
            if not stack:
                end = _WS.match(s, pos).end()  # type: ignore[union-attr]
                if end != len(s):
                    raise JSONDecodeError("Extra data", s, end)
                return value, pruned
            top = stack[-1]
            if isinstance(top, list):
                top.append(value)
            else:
                top[keys[-1]] = value
            pos = _WS.match(s, pos).end()  # type: ignore[union-attr]
            char = s[pos : pos + 1]
            if char == ",":
                pos += 1
                if isinstance(top, dict):
                    keys[-1], pos = _key(s, pos)
                pos = _WS.match(s, pos).end()  # type: ignore[union-attr]
                break
            if char != ("]" if isinstance(top, list) else "}"):
                raise JSONDecodeError("Expecting ',' delimiter", s, pos)
            pos += 1
            depth = len(stack)
            value = stack.pop()
            if isinstance(value, dict):
                keys.pop()
            if depth > max_depth:
                pruned += depth == max_depth + 1  # count each left-out subtree once
                value = None


class TrackerResponse(requests.Response):
    """A response whose ``json()`` survives any depth (see the module docstring)."""

    def json(self, **kwargs: Any) -> Any:
        try:
            return super().json(**kwargs)
        except RecursionError:
            pass
        encoding = self.encoding or "utf-8"  # what requests assumes for application/json
        try:
            value, pruned = loads_deep(self.content.decode(encoding))
        except (UnicodeDecodeError, LookupError):
            value, pruned = loads_deep(self.text)
        except JSONDecodeError as exc:
            raise requests.exceptions.JSONDecodeError(exc.msg, exc.doc, exc.pos) from None
        _log.warning(
            "tracker answer nested too deeply; the deepest parts are left out",
            path=urlsplit(self.url or "").path,
            kept_levels=MAX_DEPTH,
            left_out=pruned,
        )
        return value


def adopt(response: requests.Response) -> requests.Response:
    """Make ``response`` a ``TrackerResponse`` in place (requests builds the instance deep
    inside its adapter; both trackers' sessions call this on every answer)."""
    if type(response) is requests.Response:
        response.__class__ = TrackerResponse
    return response
