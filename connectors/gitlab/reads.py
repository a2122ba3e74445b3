"""What to read for one changed GitLab issue, given the snapshot syncd stored of it.

The issue listing (one request per 100 changed issues) carries every field syncd stores
plus ``user_notes_count``; an issue's notes and each kind of resource event cost at least
one request more. The stored snapshot keeps GitLab's own values of those fields
(``Task.tracker_fields``, see ``tracked``), so a sync reads only what can have changed:

- **Closed**: nothing. Rules look at open tasks only and digests need ``closed_at``, which
  the listing carries; the close itself is ``closed_by``'s activity at ``closed_at``.
- **Never stored** (or stored before these values were kept) and open, or **reopened**:
  all of it — notes, label and state events (the start of the current spell), and the
  events of a milestone, iteration or weight the issue carries now.
- Otherwise, open and stored:

  - notes when ``user_notes_count`` differs from the stored count plus the notes syncd
    posted since (``OwnWrites``), or when ``updated_at`` moved and nothing stored explains
    it — an edited comment, a system note about something not stored (time spent, a
    link…): the notes say what happened and who did it;
  - label events only when the change can move the start of work: a doing label
    appeared on a task with no start yet (a reopen is a full read anyway). Other label
    changes (priority, type…) are activity at ``updated_at``; a change of syncd's own
    labels (``SYNCD_LABEL_PREFIX``) that this process did not make is read, to tell
    syncd from a person;
  - milestone, iteration or weight events when that field changed;
  - a due date, assignee, title or description change without a notes read is activity
    at ``updated_at`` by an unnamed person (syncd never changes those fields). Its
    system note names the person and replaces the entry when the notes are next read.

A note syncd posted, or labels it set, bump ``updated_at`` too: ``OwnWrites`` remembers
them (per process), so an issue whose only change is syncd's own note is not read again —
its comment is added from the note GitLab answered with.

Known blind spots, each closed at the issue's next notes read: a comment edited in the
same poll interval as a stored field's change; a person's change made within the second
after syncd's own note (GitLab's ``Date`` has whole seconds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.http.timestamps import parse_timestamp
from syncd.core.models import Activity, Person, Task

__all__ = [
    "FIELD_EVENT_KINDS",
    "SYNCD_LABEL_PREFIX",
    "OwnWrites",
    "Plan",
    "merge_activity",
    "plan_reads",
    "start_after",
    "tracked",
    "until_after",
]

SYNCD_LABEL_PREFIX = "syncd-"
"""The labels syncd itself sets start with this (``syncd.reminders.ATTENTION_LABEL``)."""

FIELD_EVENT_KINDS = ("milestone", "iteration", "weight")
"""Fields whose changes only their resource events tell (who, when)."""

_INFERRED = {
    "due_date": "due",
    "assignees": "assignee",
    "title": "title",
    "description": "description",
}
"""Stored fields whose change, unless the notes are read, is inferred activity."""
_COMPARED = ("state", "labels", *_INFERRED, *FIELD_EVENT_KINDS)

_FROM_NOTES = frozenset({"assignee", "due", "title", "description", "other"})
"""``Activity.field`` values only system notes give (``mapping``): a notes read replaces
them all. Milestone system notes (older GitLab) are kept and de-duplicated instead, as
milestone events give the same field."""
_FROM_SOURCE: dict[str, frozenset[str]] = {
    "notes": _FROM_NOTES,
    "labels": frozenset({"labels"}),
    "states": frozenset({"status"}),
    "iteration": frozenset({"iteration"}),
    "weight": frozenset({"weight"}),
    "milestone": frozenset(),
}


def _digest(value: Any) -> str:
    text = "" if value is None else str(value)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ref_id(value: Any) -> str:
    return str(value.get("id") or "") if isinstance(value, dict) else ""


def tracked(issue: Mapping[str, Any]) -> dict[str, str]:
    """GitLab's values of what ``plan_reads`` compares. A field GitLab leaves out (weight
    and iteration on Free) reads as empty, like one that is not set."""
    weight = issue.get("weight")
    return {
        "user_notes_count": str(issue.get("user_notes_count", "")),
        "state": str(issue.get("state") or ""),
        "labels": "\x1f".join(sorted(str(n) for n in issue.get("labels") or ())),
        "due_date": str(issue.get("due_date") or ""),
        "assignees": ",".join(
            sorted(str(a.get("id")) for a in issue.get("assignees") or () if isinstance(a, dict))
        ),
        "title": _digest(issue.get("title")),
        "description": _digest(issue.get("description")),
        "milestone": _ref_id(issue.get("milestone")),
        "iteration": _ref_id(issue.get("iteration")),
        "weight": "" if weight is None else str(weight),
    }


@dataclass(frozen=True)
class OwnNote:
    note: dict[str, Any]
    """GitLab's answer to the note POST."""
    until: datetime
    """GitLab's time just after it answered: the issue's ``updated_at`` bump is before."""


@dataclass
class OwnWrites:
    """What this process wrote (notes, labels), per issue key, until a sync has seen it."""

    limit: int = 10_000
    notes: dict[str, list[OwnNote]] = field(default_factory=dict)
    labels: dict[str, tuple[datetime, frozenset[str]]] = field(default_factory=dict)

    def noted(self, key: str, note: dict[str, Any], until: datetime) -> None:
        self.notes.setdefault(key, []).append(OwnNote(note, until))
        self._trim(self.notes)

    def labelled(self, key: str, issue: Mapping[str, Any]) -> None:
        """``issue``: GitLab's answer to the label PUT (its ``updated_at`` and labels)."""
        try:
            at = parse_timestamp(str(issue["updated_at"]), "label update.updated_at")
        except (KeyError, ValueError):
            return
        self.labels[key] = (at, frozenset(str(n) for n in issue.get("labels") or ()))
        self._trim(self.labels)

    def notes_after(self, key: str, since: datetime) -> list[OwnNote]:
        found = []
        for own in self.notes.get(key, ()):
            try:
                created = parse_timestamp(str(own.note["created_at"]), "note.created_at")
            except (KeyError, ValueError):
                continue
            if created > since:
                found.append(own)
        return found

    def forget(self, key: str) -> None:
        self.notes.pop(key, None)
        self.labels.pop(key, None)

    def _trim(self, table: dict[str, Any]) -> None:
        while len(table) > self.limit:  # oldest first: dicts keep insertion order
            del table[next(iter(table))]


@dataclass(frozen=True)
class Plan:
    full: bool = False
    """Nothing stored to build on: read everything (closed issues still read nothing)."""
    notes: bool = False
    labels: bool = False
    """Label events."""
    states: bool = False
    fields: tuple[str, ...] = ()
    """Milestone/iteration/weight events to read."""
    start_from_labels: bool = False
    """The label events are read for a new start of work (after ``Task.updated``)."""
    own_notes: tuple[dict[str, Any], ...] = ()
    """syncd's own notes to add as comments when the notes are not read."""
    inferred: tuple[Activity, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        """What this plan reads, by ``_FROM_SOURCE`` name."""
        read = [("notes", self.notes), ("labels", self.labels), ("states", self.states)]
        return tuple(name for name, yes in read if yes) + self.fields


def _closed_by(issue: Mapping[str, Any], bot: Person) -> tuple[Activity, ...]:
    """The close as activity (``closed_by`` at ``closed_at``), without the state events."""
    who, at = issue.get("closed_by"), issue.get("closed_at")
    if not isinstance(who, dict) or who.get("id") is None or not at:
        return ()
    name, username = str(who.get("name") or ""), who.get("username")
    person = Person(id=str(who["id"]), name=name, username=username)
    moment = parse_timestamp(str(at), "issue.closed_at")
    return (Activity(author=person, at=moment, field="status", is_bot=person.id == bot.id),)


def plan_reads(
    issue: Mapping[str, Any],
    prev: Task | None,
    own: OwnWrites,
    key: str,
    *,
    doing: Sequence[str],
    bot: Person,
) -> Plan:
    """What to read for ``issue`` (the listing's JSON) given its stored snapshot ``prev``."""
    now = tracked(issue)
    before = dict(prev.tracker_fields) if prev is not None else {}
    closed = now["state"] == "closed"
    if closed:
        was_open = before.get("state", "opened") != "closed" or prev is None
        return Plan(inferred=_closed_by(issue, bot) if was_open else ())
    if prev is None or not before or before.get("state") == "closed":
        fields = tuple(f for f in FIELD_EVENT_KINDS if now[f])
        return Plan(full=True, notes=True, labels=True, states=True, fields=fields)
    assert prev is not None
    updated = parse_timestamp(str(issue["updated_at"]), f"issue {key}.updated_at")
    changed = {name for name in _COMPARED if now[name] != before.get(name, "")}
    mine = own.notes_after(key, prev.updated)
    try:
        notes_moved = int(now["user_notes_count"]) != int(before["user_notes_count"]) + len(mine)
    except (KeyError, ValueError):
        notes_moved = True
    if updated <= prev.updated and not (changed or mine or notes_moved):
        return Plan()  # the stored snapshot is this version (a full sync lists it again)
    labels_read, start_read = False, False
    inferred: list[Activity] = []
    explained = bool(changed) or (bool(mine) and updated <= max(m.until for m in mine))
    if "labels" in changed:
        old, new = set(before["labels"].split("\x1f")), set(now["labels"].split("\x1f"))
        old.discard("")
        new.discard("")
        ours = own.labels.get(key)
        if ours is not None and ours == (updated, frozenset(new)):
            inferred.append(Activity(author=bot, at=updated, field="labels", is_bot=True))
        elif prev.start is None and (new & set(doing)) and not (old & set(doing)):
            labels_read = start_read = True
        elif all(n.startswith(SYNCD_LABEL_PREFIX) for n in old ^ new):
            labels_read = True  # syncd's label, changed by another process or a person
        else:
            inferred.append(Activity(author=None, at=updated, field="labels"))
    notes = notes_moved or not explained
    if not notes:
        for name in sorted(changed & set(_INFERRED)):
            inferred.append(Activity(author=None, at=updated, field=_INFERRED[name]))
    return Plan(
        notes=notes,
        labels=labels_read,
        fields=tuple(f for f in FIELD_EVENT_KINDS if f in changed),
        start_from_labels=start_read,
        own_notes=() if notes else tuple(m.note for m in mine),
        inferred=tuple(inferred),
    )


def merge_activity(
    stored: Iterable[Activity],
    read: Iterable[Activity],
    inferred: Iterable[Activity],
    sources: Iterable[str],
) -> tuple[Activity, ...]:
    """The stored activity with what was read in place of what those reads replace (a read
    returns an issue's complete notes or events of a kind), oldest first, no duplicates."""
    replaced: set[str] = set()
    for source in sources:
        replaced |= _FROM_SOURCE[source]
    kept = [a for a in stored if a.field not in replaced]
    return tuple(sorted(dict.fromkeys([*kept, *read, *inferred]), key=lambda a: a.at))


def start_after(
    label_events: Sequence[Mapping[str, Any]], doing: Sequence[str], since: datetime
) -> datetime | None:
    """Start of work for a task that had none at ``since`` and now carries a doing label:
    the first entry into one after ``since`` (any earlier entry came before the last
    reopen, or the stored start would not be empty). Failing that, the latest entry."""
    adds = sorted(
        parse_timestamp(str(e["created_at"]), f"label event {e.get('id')}.created_at")
        for e in label_events
        if e.get("action") == "add" and (e.get("label") or {}).get("name") in doing
    )
    later = [at for at in adds if at > since]
    if later:
        return later[0]
    return adds[-1] if adds else None


def until_after(note: Mapping[str, Any], tracker_time: datetime | None) -> datetime | None:
    """The moment before which GitLab bumped the issue for ``note``: its answer's ``Date``
    (+1 s, ``TrackerClock.after_latest``), or a second after the note's own time. None for
    a note without a readable time (it is then read back like anyone's)."""
    try:
        created = parse_timestamp(str(note.get("created_at")), "note.created_at")
    except ValueError:
        return None
    return max(created + timedelta(seconds=1), tracker_time or created)
