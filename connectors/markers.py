"""How syncd recognises its own reminders on a tracker, whoever posted them.

A reminder comment carries a *tag*: ``syncd:<marker>`` and, for a reminder about findings,
the findings it names — ``syncd:<marker> reminds=g<generation>,<rule>/<fingerprint>,…``.
The marker is the ledger's claim key (it lets a crashed post be confirmed, not repeated);
the ``reminds`` part is the reminder's identity on the tracker: the task (the comment is on
it), each finding's rule and fingerprint, and how many times they had been reminded about
before (the generation). None of it names the source, so renaming a source, a second
installation on the same tracker or a restored old backup recognises what is already there.

Tags written before the ``reminds`` part existed carry only the marker (a hash over the
source name, task, generation and findings): ``PostedReminder.covers`` is None for them and
the daemon resolves them from its ledger or by recomputing the old hash.

On Jira the same facts travel in the comment property (``property_value``); the text form
is the fallback for servers that drop properties, and GitLab's only form (an HTML comment).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MARKER_PREFIX",
    "PostedReminder",
    "comment_carrying",
    "from_property",
    "parse_tags",
    "property_value",
    "tag_text",
]

MARKER_PREFIX = "syncd:"
"""Every comment syncd writes carries ``syncd:<marker>`` (see the module docstring)."""

_MARKER = r"[A-Za-z0-9._:=-]+"
_RULE = re.compile(r"[A-Za-z0-9_.-]+")
_FINGERPRINT = re.compile(r"[A-Za-z0-9]+")
_TAG = re.compile(
    re.escape(MARKER_PREFIX)
    + rf"(?P<marker>{_MARKER})"
    + r"(?: reminds=g(?P<gen>\d{1,6})(?P<covers>(?:,[A-Za-z0-9_.-]+/[A-Za-z0-9]+)*))?"
)

Covers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PostedReminder:
    """One syncd comment found on a task."""

    comment_id: str
    marker: str
    generation: int | None = None
    covers: Covers | None = None
    """(rule, fingerprint) of the findings it names; None for a tag of the old format,
    which only carries the marker."""


def _check(covers: Iterable[tuple[str, str]]) -> Covers:
    checked = tuple(covers)
    for rule, fp in checked:
        if not _RULE.fullmatch(rule) or not _FINGERPRINT.fullmatch(fp):
            raise ValueError(f"finding {rule!r}/{fp!r} cannot be written into a syncd tag")
    return checked


def tag_text(marker: str, covers: Iterable[tuple[str, str]] = (), generation: int = 0) -> str:
    """The tag as text (without any markup around it)."""
    if not re.fullmatch(_MARKER, marker):
        raise ValueError(f"marker {marker!r}: only letters, digits and . _ : = - are allowed")
    checked = _check(covers)
    if not checked:
        return f"{MARKER_PREFIX}{marker}"
    names = "".join(f",{rule}/{fp}" for rule, fp in checked)
    return f"{MARKER_PREFIX}{marker} reminds=g{generation}{names}"


def parse_tags(text: str, comment_id: str) -> list[PostedReminder]:
    """Every tag in a comment's text (one, in practice)."""
    found = []
    for match in _TAG.finditer(text):
        covers: Covers | None = None
        generation: int | None = None
        if match.group("gen") is not None:
            generation = int(match.group("gen"))
            pairs = [p.split("/", 1) for p in match.group("covers").split(",") if p]
            covers = tuple((rule, fp) for rule, fp in pairs)
        found.append(PostedReminder(comment_id, match.group("marker"), generation, covers))
    return found


def property_value(
    marker: str, covers: Iterable[tuple[str, str]] = (), generation: int = 0
) -> dict[str, Any]:
    """The Jira comment property's value: the same facts as ``tag_text``."""
    checked = _check(covers)
    value: dict[str, Any] = {"marker": marker}
    if checked:
        value["generation"] = generation
        value["reminds"] = [f"{rule}/{fp}" for rule, fp in checked]
    return value


def from_property(value: Mapping[str, Any], comment_id: str) -> PostedReminder | None:
    """A ``property_value`` read back; None when it is not one of syncd's."""
    marker = value.get("marker")
    if marker is None:
        return None
    reminds = value.get("reminds")
    generation = value.get("generation")
    if not isinstance(reminds, list) or not isinstance(generation, int):
        return PostedReminder(comment_id, str(marker))
    covers = tuple(
        (rule, fp) for rule, _, fp in (str(r).partition("/") for r in reminds) if rule and fp
    )
    return PostedReminder(comment_id, str(marker), generation, covers)


def comment_carrying(posted: Iterable[PostedReminder], marker: str) -> str | None:
    """Id of the first posted reminder with exactly ``marker``."""
    bare = marker.removeprefix(MARKER_PREFIX)
    return next((p.comment_id for p in posted if p.marker == bare), None)
