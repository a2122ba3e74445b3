"""GitLab issue, notes and resource events (plain dicts) → the normalized ``Task``.

- Scoped labels carry what Jira has fields for: ``type::design`` → issue type ``Design``,
  ``priority::high`` → ``High``, ``component::Frontend`` → a component. The other labels
  stay labels, except the doing labels, which are the status (as on Jira).
- Status: ``closed`` → done; open with one of ``SourceConfig.doing_labels`` → in progress
  (status = that label); otherwise ``opened`` → new.
- Comments are the non-system notes, oldest first, their times (and system notes') to the
  second (``note_time``). A note is the bot's if its author is the account syncd uses —
  never for carrying marker text, which anyone can type or quote.
- Activity (what a person changed): system notes (assignee, due date, title, description,
  links, time spent…), label, state, milestone, iteration and weight events — each
  authored by the person who made the change; syncd's own account's are marked ``is_bot``.
  GitLab records no event for re-ordering issues on a board, so there is no ordering noise
  to drop here (Jira's "Rank").
- Start of the current spell of work (the same rule as Jira's ``history.start_of``): the
  first entry into a doing label after the last reopen — the reopen itself if the issue
  still carried a doing label then; with no reopen, the first doing label ever; else None
  (the rules then fall back to the creation time).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connectors.http.timestamps import parse_timestamp
from connectors.text_sanitize import clean_task
from rules.documents.sections import document_source, parse_description, to_plain_text
from syncd.core.models import Activity, Comment, Person, StatusCategory, Task

__all__ = ["GitLabContext", "map_issue", "note_time", "project_path", "work_start"]

_SYSTEM_FIELDS = (
    (re.compile(r"^(assigned to|unassigned|reassigned)\b"), "assignee"),
    (re.compile(r"due date"), "due"),  # the same Activity.field as Jira's
    (re.compile(r"^changed title\b"), "title"),
    (re.compile(r"^changed the description\b"), "description"),
    (re.compile(r"^changed milestone\b|^removed milestone\b"), "milestone"),
)


@dataclass(frozen=True)
class GitLabContext:
    source: str
    bot_id: str
    doing_labels: tuple[str, ...]
    aliases: Mapping[str, Sequence[str]] | None = None
    """Section headings (built-in plus the source's ``section_aliases``)."""


def _person(raw: Any) -> Person | None:
    if not isinstance(raw, dict) or raw.get("id") is None:
        return None
    return Person(id=str(raw["id"]), name=str(raw.get("name") or ""), username=raw.get("username"))


def project_path(issue: dict[str, Any]) -> str:
    """``agency/shop`` from ``references.full`` (``agency/shop#12``)."""
    full = str((issue.get("references") or {}).get("full") or "")
    return full.rsplit("#", 1)[0]


def note_time(moment: datetime) -> datetime:
    """A note's time to the second: all GitLab's GraphQL API gives (``Time#iso8601``), so
    REST's milliseconds are dropped too. A note then has one time however it was read —
    a stale finding's fingerprint is its last activity's time, and must not change
    because the same note was read once over REST and once over GraphQL."""
    return moment.replace(microsecond=0)


def _capital(value: str) -> str:
    return value[:1].upper() + value[1:]


def _at(event: dict[str, Any]) -> datetime:
    return parse_timestamp(event["created_at"], f"event {event.get('id')}.created_at")


def work_start(
    label_events: Sequence[dict[str, Any]],
    state_events: Sequence[dict[str, Any]],
    doing: tuple[str, ...],
) -> datetime | None:
    """First entry into a doing label after the last reopen (see the module docstring)."""
    reopens = [_at(e) for e in state_events if e.get("state") == "reopened"]
    spell_from = max(reopens) if reopens else None
    carried: set[str] = set()  # doing labels on the issue at the moment of the reopen
    for event in sorted(label_events, key=_at):
        name = (event.get("label") or {}).get("name")
        if name not in doing:
            continue
        at = _at(event)
        if spell_from is not None and at <= spell_from:
            if event.get("action") == "add":
                carried.add(name)
            else:
                carried.discard(name)
            continue
        if event.get("action") == "add":
            return spell_from if carried else at
    return spell_from if carried else None


def _activity(
    notes: Sequence[dict[str, Any]],
    label_events: Sequence[dict[str, Any]],
    state_events: Sequence[dict[str, Any]],
    ctx: GitLabContext,
    field_events: Mapping[str, Sequence[dict[str, Any]]],
) -> tuple[Activity, ...]:
    out: list[Activity] = []

    def add(author: Person | None, at: str, name: str, *, note: bool = False) -> None:
        is_bot = author is not None and author.id == ctx.bot_id
        moment = parse_timestamp(at, f"{name} event.created_at")
        out.append(
            Activity(
                author=author,
                at=note_time(moment) if note else moment,
                field=name,
                is_bot=is_bot,
            )
        )

    for note in notes:
        if note.get("system"):
            body = str(note.get("body") or "")
            name = next((f for rx, f in _SYSTEM_FIELDS if rx.search(body)), "other")
            add(_person(note.get("author")), note["created_at"], name, note=True)
    for event in label_events:
        add(_person(event.get("user")), event["created_at"], "labels")
    for event in state_events:
        add(_person(event.get("user")), event["created_at"], "status")
    for name, events in field_events.items():
        for event in events:
            add(_person(event.get("user")), event["created_at"], name)
    return tuple(sorted(out, key=lambda a: a.at))


def _comment(note: dict[str, Any], ctx: GitLabContext) -> Comment:
    author = _person(note.get("author")) or Person(id="", name="unknown")
    body = str(note.get("body") or "")
    return Comment(
        id=str(note["id"]),
        author=author,
        created=note_time(parse_timestamp(note["created_at"], f"note {note.get('id')}.created_at")),
        body=to_plain_text(body, "markdown"),
        is_bot=author.id == ctx.bot_id,
    )


def map_issue(
    issue: dict[str, Any],
    notes: Sequence[dict[str, Any]],
    label_events: Sequence[dict[str, Any]],
    state_events: Sequence[dict[str, Any]],
    ctx: GitLabContext,
    *,
    field_events: Mapping[str, Sequence[dict[str, Any]]] | None = None,
) -> Task:
    """``field_events``: other resource events by ``Activity.field`` (milestone, iteration,
    weight). Raises ``KeyError``/``ValueError`` on a malformed issue; the caller names the
    key."""
    labels = [str(n) for n in issue.get("labels") or []]
    plain: list[str] = []
    priority: str | None = None
    issue_type = "Task"
    components: list[str] = []
    for name in labels:
        scope, _, value = name.partition("::")
        if value and scope == "priority":
            priority = _capital(value)
        elif value and scope == "type":
            issue_type = _capital(value)
        elif value and scope == "component":
            components.append(value)
        elif name not in ctx.doing_labels:  # a doing label is the status, not a label
            plain.append(name)
    doing = next((n for n in labels if n in ctx.doing_labels), None)
    if issue["state"] == "closed":
        status, category = "closed", StatusCategory.DONE
    elif doing:
        status, category = doing, StatusCategory.IN_PROGRESS
    else:
        status, category = "opened", StatusCategory.NEW
    description = issue.get("description") or ""
    path = project_path(issue)
    where = f"issue {path}#{issue.get('iid')}"
    due = issue.get("due_date")
    task = Task(
        source=ctx.source,
        key=f"{path}#{issue['iid']}",
        id=str(issue["id"]),
        url=str(issue.get("web_url") or ""),
        project=path,
        title=str(issue.get("title") or ""),
        description_text=to_plain_text(description, "markdown"),
        description_format="markdown",
        description_source=document_source(description),
        sections=parse_description(description, "markdown", ctx.aliases),
        status=status,
        status_category=category,
        assignees=tuple(p for p in (_person(a) for a in issue.get("assignees") or []) if p),
        reporter=_person(issue.get("author")),
        priority=priority,
        labels=tuple(plain),
        components=tuple(components),
        issue_type=issue_type,
        created=parse_timestamp(issue["created_at"], f"{where}.created_at"),
        updated=parse_timestamp(issue["updated_at"], f"{where}.updated_at"),
        start=work_start(label_events, state_events, ctx.doing_labels),
        due=date.fromisoformat(due) if due else None,
        resolved=(
            parse_timestamp(issue["closed_at"], f"{where}.closed_at")
            if issue.get("closed_at")
            else None
        ),
        comments=tuple(_comment(n, ctx) for n in notes if not n.get("system")),
        activity=_activity(notes, label_events, state_events, ctx, field_events or {}),
    )
    return clean_task(task)  # the one place tracker text is made safe (lone surrogates, NUL)
