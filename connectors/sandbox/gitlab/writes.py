"""Writes on the sandbox GitLab, recorded the way GitLab records them.

Where a person's change shows up (``reference/gitlab/NOTES.md``): label changes only as
``resource_label_events``, open/close only as ``resource_state_events``; assignee, due
date, title and description changes as system notes authored by that person. Every write
bumps the issue's ``updated_at`` — a new note too.

Notes may carry quick actions: a line ``/close``, ``/label ~x``… is executed and removed from
the body; a body made only of quick actions creates no note (the API answers 202).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from connectors.sandbox.gitlab.state import (
    GitLabState,
    Issue,
    LabelEvent,
    Note,
    StateEvent,
    User,
    WeightEvent,
)

__all__ = ["UNSET", "Changes", "NoteOutcome", "apply_changes", "create_note", "edit_note"]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
_COMMAND = re.compile(r"^/([a-z_]+)(?:[ \t]+(.*))?$")
_KNOWN = {
    "close",
    "reopen",
    "label",
    "unlabel",
    "due",
    "remove_due_date",
    "assign",
    "unassign",
    "title",
}


@dataclass
class Changes:
    """One update of an issue, in GitLab API terms (``PUT /issues/:iid`` parameters)."""

    title: Any = UNSET
    description: Any = UNSET
    state_event: str | None = None
    labels: list[str] | None = None
    add_labels: list[str] = field(default_factory=list)
    remove_labels: list[str] = field(default_factory=list)
    due_date: Any = UNSET
    """A ``date``, None to remove, UNSET to keep."""
    assignee_ids: list[int] | None = None
    weight: Any = UNSET
    """An ``int``, None to remove, UNSET to keep."""


@dataclass
class NoteOutcome:
    note: Note | None
    commands_changes: dict[str, Any]
    summary: list[str]


def _system_note(state: GitLabState, issue: Issue, user: User, body: str, at: datetime) -> None:
    issue.notes.append(Note(state.new_id("note"), user.id, body, at, at, system=True))


def _names(state: GitLabState, ids: list[int]) -> str:
    return ", ".join(f"@{state.users[i].username}" for i in ids if i in state.users)


def apply_changes(state: GitLabState, issue: Issue, user: User, changes: Changes) -> bool:
    """Apply ``changes`` as ``user``; record events/system notes; True if anything changed."""
    at = state.tick(issue)
    changed = False
    if changes.title is not UNSET and changes.title != issue.title:
        _system_note(
            state, issue, user, f"changed title from **{issue.title}** to **{changes.title}**", at
        )
        issue.title, changed = changes.title, True
    if changes.description is not UNSET and changes.description != issue.description:
        _system_note(state, issue, user, "changed the description", at)
        issue.description, changed = changes.description, True
    labels = list(issue.labels) if changes.labels is None else list(dict.fromkeys(changes.labels))
    labels += [n for n in changes.add_labels if n not in labels]
    labels = [n for n in labels if n not in changes.remove_labels]
    for name in labels:
        if name not in issue.labels:
            issue.label_events.append(
                LabelEvent(state.new_id("event"), user.id, at, state.label(name).id, "add")
            )
    for name in issue.labels:
        if name not in labels:
            issue.label_events.append(
                LabelEvent(state.new_id("event"), user.id, at, state.label(name).id, "remove")
            )
    if labels != issue.labels:
        issue.labels, changed = labels, True
    if changes.due_date is not UNSET and changes.due_date != issue.due_date:
        due: date | None = changes.due_date
        text = f"changed due date to {due:%B} {due.day}, {due.year}" if due else "removed due date"
        _system_note(state, issue, user, text, at)
        issue.due_date, changed = due, True
    if changes.assignee_ids is not None and changes.assignee_ids != issue.assignee_ids:
        added = [i for i in changes.assignee_ids if i not in issue.assignee_ids]
        removed = [i for i in issue.assignee_ids if i not in changes.assignee_ids]
        parts = ([f"assigned to {_names(state, added)}"] if added else []) + (
            [f"unassigned {_names(state, removed)}"] if removed else []
        )
        _system_note(state, issue, user, " and ".join(parts), at)
        issue.assignee_ids, changed = list(changes.assignee_ids), True
    if changes.weight is not UNSET and changes.weight != issue.weight:
        # A resource weight event, not a system note (GitLab 13.0+).
        issue.weight_events.append(WeightEvent(state.new_id("event"), user.id, at, changes.weight))
        issue.weight, changed = changes.weight, True
    if changes.state_event == "close" and issue.state != "closed":
        issue.state_events.append(StateEvent(state.new_id("event"), user.id, at, "closed"))
        issue.state, issue.closed_at, issue.closed_by_id, changed = "closed", at, user.id, True
    elif changes.state_event == "reopen" and issue.state == "closed":
        issue.state_events.append(StateEvent(state.new_id("event"), user.id, at, "reopened"))
        issue.state, issue.closed_at, issue.closed_by_id, changed = "opened", None, None, True
    if changed:
        issue.updated_at = at
    return changed


def _label_args(text: str) -> list[str]:
    try:
        words = shlex.split(text.replace("~", " ~"))
    except ValueError:
        words = text.split()
    return [w.lstrip("~") for w in words if w.lstrip("~")]


def _parse_commands(
    state: GitLabState, issue: Issue, body: str
) -> tuple[str, Changes, dict[str, Any], list[str]]:
    """Split quick actions off ``body`` (outside fenced code, as GitLab does)."""
    kept: list[str] = []
    changes = Changes()
    done: dict[str, Any] = {}
    summary: list[str] = []
    fenced = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _COMMAND.match(line)
        if match is None or match.group(1) not in _KNOWN:
            kept.append(line)
            continue
        name, arg = match.group(1), (match.group(2) or "").strip()
        if name in ("close", "reopen"):
            changes.state_event = name
            done["state_event"] = name
            summary.append("Closed this issue." if name == "close" else "Reopened this issue.")
        elif name == "label":
            changes.add_labels += _label_args(arg)
            done["add_label_ids"] = [state.label(n).id for n in changes.add_labels]
            summary.append("Added " + " ".join(f"~{n}" for n in _label_args(arg)) + " label(s).")
        elif name == "unlabel":
            names = _label_args(arg) or list(issue.labels)
            changes.remove_labels += names
            done["remove_label_ids"] = [state.label(n).id for n in changes.remove_labels]
            summary.append("Removed " + " ".join(f"~{n}" for n in names) + " label(s).")
        elif name in ("due", "remove_due_date"):
            try:
                changes.due_date = date.fromisoformat(arg) if name == "due" else None
            except ValueError:
                kept.append(line)
                continue
            done["due_date"] = None if changes.due_date is None else changes.due_date.isoformat()
            summary.append("Set the due date." if changes.due_date else "Removed the due date.")
        elif name in ("assign", "unassign"):
            users = [state.user_by_username(w.lstrip("@")) for w in arg.split()]
            ids = [u.id for u in users if u is not None]
            current = (
                changes.assignee_ids
                if changes.assignee_ids is not None
                else list(issue.assignee_ids)
            )
            if name == "assign":
                changes.assignee_ids = current + [i for i in ids if i not in current]
            else:
                changes.assignee_ids = [i for i in current if ids and i not in ids]
            done["assignee_ids"] = changes.assignee_ids
            summary.append("Assigned." if name == "assign" else "Removed assignee(s).")
        elif name == "title" and arg:
            changes.title = arg
            done["title"] = arg
            summary.append(f'Changed the title to "{arg}".')
    return "\n".join(kept).strip(), changes, done, summary


def create_note(
    state: GitLabState, issue: Issue, user: User, body: str, *, internal: bool = False
) -> NoteOutcome:
    """Create a note (running its quick actions); a body of only commands creates none."""
    text, changes, done, summary = _parse_commands(state, issue, body)
    if done:
        apply_changes(state, issue, user, changes)
    if not text:
        return NoteOutcome(None, done, summary)
    at = state.tick(issue)
    note = Note(state.new_id("note"), user.id, text, at, at, internal=internal)
    issue.notes.append(note)
    issue.updated_at = at
    return NoteOutcome(note, done, summary)


def edit_note(state: GitLabState, issue: Issue, note: Note, body: str) -> None:
    at = state.tick(issue)
    note.body, note.updated_at = body, at
    issue.updated_at = at
