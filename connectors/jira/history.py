"""The changelog → human activity and the start of the current spell of work.

- Activity (for the ``stale`` rule): every field a person changed — status, assignee,
  priority, summary, a custom field, an attachment, a link, logged work… — except ordering
  noise (``ORDERING_FIELDS``: re-ranking on a board, the sprint a task is carried into when a
  sprint closes), which a person does not experience as working on the task. The bot's own
  changes are kept but marked ``is_bot`` so they never count.
- Start: the first entry into an in-progress status after the task last *left* done — a
  reopened task starts a new spell, and its checkpoint is computed from when work on it
  begins again (the reopen itself only if it goes straight into progress); reopened and
  not yet in progress → None, and the rules fall back to the creation time. Moving back to
  "To Do" without passing through done does not start a new spell. GitLab's
  ``mapping.work_start`` applies the same rule to doing labels and reopen events.

The changelog names statuses, not their categories, so categories come from the site's
status list (``GET /status``) and, failing that, from the names Jira ships with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.jira.values import JiraContext, parse_ts, person
from syncd.core.models import Activity, StatusCategory

__all__ = [
    "ACTIVITY_FIELDS",
    "DEFAULT_CATEGORIES",
    "ORDERING_FIELDS",
    "activity_of",
    "spell_start",
    "start_of",
    "status_category",
]

ACTIVITY_FIELDS = {
    "duedate": "due",
    "summary": "title",
}
"""Changelog field name → ``Activity.field`` where the names differ from the normalized
ones (GitLab's are the same words); any other field keeps its changelog name, lowercased."""

ORDERING_FIELDS = frozenset({"rank", "sprint"})
"""Changelog fields (lowercased names) that only order work: Jira Software writes "Rank"
when anyone drags a card on a board or backlog ("Ranked higher") and "Sprint" when a
completed sprint carries its open issues into the next one — for every issue at once, by
whoever pressed the button. Neither is work on the task."""

DEFAULT_CATEGORIES: dict[str, StatusCategory] = {
    **dict.fromkeys(
        ("to do", "open", "backlog", "new", "selected for development", "reopened"),
        StatusCategory.NEW,
    ),
    **dict.fromkeys(
        ("in progress", "in review", "review", "testing", "in testing", "doing"),
        StatusCategory.IN_PROGRESS,
    ),
    **dict.fromkeys(
        ("done", "closed", "resolved", "cancelled", "canceled", "won't do"), StatusCategory.DONE
    ),
}


def status_category(
    status_id: Any, name: Any, known: Mapping[str, StatusCategory]
) -> StatusCategory | None:
    """Category of a status named in the changelog, by id first, then by name."""
    for candidate in (status_id, name):
        if candidate is None:
            continue
        text = str(candidate)
        if text in known:
            return known[text]
        if text.lower() in known:
            return known[text.lower()]
    if name is not None:
        return DEFAULT_CATEGORIES.get(str(name).lower())
    return None


def _ordered(
    histories: Sequence[dict[str, Any]], where: str
) -> list[tuple[datetime, dict[str, Any]]]:
    # The embedded changelog comes newest first, the paged endpoint oldest first: sort.
    stamped = [
        (parse_ts(h.get("created"), f"{where}.changelog[{n}].created"), h)
        for n, h in enumerate(histories)
    ]
    stamped.sort(key=lambda pair: pair[0])
    return stamped


def activity_of(
    histories: Sequence[dict[str, Any]], ctx: JiraContext, where: str
) -> tuple[Activity, ...]:
    out: list[Activity] = []
    for at, history in _ordered(histories, where):
        author = person(history.get("author"), ctx.cloud)
        is_bot = author is not None and author.id == ctx.bot.id
        items = history.get("items") or ()
        names = {str(item.get("field") or "").strip().lower() for item in items}
        for name in sorted(names - ORDERING_FIELDS - {""}):
            field = ACTIVITY_FIELDS.get(name, name)
            out.append(Activity(author=author, at=at, field=field, is_bot=is_bot))
    return tuple(out)


def _status_moves(
    histories: Sequence[dict[str, Any]], ctx: JiraContext
) -> list[tuple[datetime, StatusCategory | None, StatusCategory | None]]:
    """Every status change, oldest first, as (when, category before, category after)."""
    moves: list[tuple[datetime, StatusCategory | None, StatusCategory | None]] = []
    for at, history in _ordered(histories, "changelog"):
        for item in history.get("items") or ():
            if str(item.get("field", "")).lower() != "status":
                continue
            before = status_category(
                item.get("from"), item.get("fromString"), ctx.status_categories
            )
            after = status_category(item.get("to"), item.get("toString"), ctx.status_categories)
            moves.append((at, before, after))
    return moves


def _last_exit(moves: Sequence[tuple[datetime, Any, Any]]) -> int:
    """Index of the last move out of done (a reopen), or -1."""
    last_exit = -1
    for n, (_, before, after) in enumerate(moves):
        if before is StatusCategory.DONE and after is not StatusCategory.DONE:
            last_exit = n
    return last_exit


def start_of(histories: Sequence[dict[str, Any]], ctx: JiraContext) -> datetime | None:
    """First entry into in-progress after the last exit from done; None if there is none."""
    moves = _status_moves(histories, ctx)
    last_exit = _last_exit(moves)
    # From the exit itself: a task reopened straight into progress starts its spell there.
    for at, _, after in moves[max(last_exit, 0) :]:
        if after is StatusCategory.IN_PROGRESS:
            return at
    return None


def spell_start(
    histories: Sequence[dict[str, Any]], ctx: JiraContext, planned: datetime | None
) -> datetime | None:
    """Start of the current spell of work given the "Start date" field (``planned``, the
    start of that day) — the later of the planned start and the last reopen.

    A planned start is the team's own word for when work begins, so it wins over the move
    into progress; but a task reopened after that date is a new spell, measured (as
    without a start date) from when work on it begins again, or from the reopen itself
    while it waits — never from a date months before the task came back."""
    if planned is None:
        return start_of(histories, ctx)
    moves = _status_moves(histories, ctx)
    last_exit = _last_exit(moves)
    if last_exit < 0 or moves[last_exit][0] <= planned:
        return planned
    return start_of(histories, ctx) or moves[last_exit][0]
