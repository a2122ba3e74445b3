"""Checking a rule's ``valid_until`` against the rule itself: evaluate at ``t1``, take the
bound ``V``, evaluate again at instants in ``[t1, V)`` — the edges, local midnights and
DST changes in between, random points — and demand the very same verdict.

Shared by the property tests over generated tasks and over the golden corpus.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from config.policy import CalendarConfig, RuleScope
from rules.base import FOREVER, Rule
from rules.builtin.checkpoint import Checkpoint, CheckpointParams
from rules.builtin.due_date import DueDate, DueDateParams
from rules.builtin.due_soon import DueSoon, DueSoonParams
from rules.builtin.measurable_goal import MeasurableGoal
from rules.builtin.overdue import Overdue
from rules.builtin.priority_set import PrioritySet
from rules.builtin.required_sections import RequiredSections
from rules.builtin.single_owner import SingleOwner
from rules.builtin.stale import Stale, StaleParams
from rules.calendar import BusinessCalendar
from rules.engine import Engine, ScopedRule
from syncd.core.models import Finding, Task

__all__ = ["CALENDARS", "ENGINES", "Verdict", "assert_holds", "verdict"]

_US = timedelta(microseconds=1)
_HORIZON = timedelta(days=400)
"""How far past ``t1`` a FOREVER bound is probed."""

CALENDARS: dict[str, CalendarConfig] = {
    # Russian holidays and transferred working Saturdays; no DST.
    "ru": CalendarConfig(country="RU", timezone="Europe/Moscow"),
    # No country: checkpoints in wall time; DST at 02:00.
    "ny": CalendarConfig(timezone="America/New_York"),
    # German holidays, a Friday-Saturday weekend; DST at 02:00/03:00.
    "de": CalendarConfig(country="DE", timezone="Europe/Berlin", weekend=(4, 5)),
    # DST changes at local midnight (00:00 → 01:00 in September, 24:00 → 23:00 in April),
    # only Sunday off.
    "cl": CalendarConfig(timezone="America/Santiago", weekend=(6,)),
}


def _rules_a() -> list[Rule]:
    return [
        DueDate(DueDateParams(max_horizon_days=30)),
        SingleOwner(),
        Checkpoint(),
        Overdue(),
        DueSoon(),
        Stale(),
        PrioritySet(),
        RequiredSections(),
        MeasurableGoal(),
    ]


def _rules_b() -> list[Rule]:
    return [
        Checkpoint(
            CheckpointParams(
                fraction=0.5, assignee_comments_count=True, grace_hours=0, business_time=True
            )
        ),
        Checkpoint(CheckpointParams(fraction=0.2, grace_hours=30, business_time=False)),
        DueSoon(DueSoonParams(days=0)),
        DueSoon(DueSoonParams(days=7)),
        Stale(StaleParams(days=1)),
        Stale(StaleParams(days=12)),
        DueDate(DueDateParams(max_horizon_days=3)),
    ]


def _engine(rules: list[Rule]) -> Engine:
    statuses = RuleScope(status_categories=("new", "in_progress", "done"))
    return Engine(
        [ScopedRule.build(rule, statuses) for rule in rules],
        calendars={name: BusinessCalendar(config) for name, config in CALENDARS.items()},
        bot_ids={name: {"u-helper"} for name in CALENDARS},
    )


ENGINES = (_engine(_rules_a()), _engine(_rules_b()))
"""Every built-in rule, with default and with edge parameters, on every calendar (all
status categories in scope, so each rule also sees tasks it usually never gets)."""

Verdict = tuple[tuple[object, ...], ...]


def verdict(findings: Iterable[Finding]) -> Verdict:
    """Everything of the findings a kept result must reproduce: all but ``detected_at``."""
    return tuple(
        (
            f.rule,
            f.source,
            f.task_key,
            f.severity,
            f.message,
            f.fingerprint,
            tuple(sorted(f.data.items())),
        )
        for f in findings
    )


def _midnights(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[datetime]:
    """Local midnights in ``(start, end)``: the first and last few (where a bound is
    off by a day, it is off at one of them)."""
    first, last = calendar.local_date(start), calendar.local_date(min(end, start + _HORIZON))
    days = [first + timedelta(days=n) for n in range(1, (last - first).days + 1)]
    picked = days[:3] + days[-3:] if len(days) > 6 else days
    moments = (calendar.day_start(d) for d in picked)
    return [m for m in moments if start < m < end]


@cache
def _all_offset_changes(zone: str) -> tuple[datetime, ...]:
    """The first instant of each new UTC offset (DST) of a zone, 2025-2028."""
    tz = ZoneInfo(zone)
    found: list[datetime] = []
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(tz).utcoffset()
    while moment.year < 2029:
        moment += timedelta(minutes=30)
        if moment.astimezone(tz).utcoffset() != offset:
            offset = moment.astimezone(tz).utcoffset()
            found.append(moment)
    return tuple(found)


def _offset_changes(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[datetime]:
    """DST changes in ``(start, end)``."""
    changes = _all_offset_changes(calendar.config.timezone)
    return list(changes[bisect_right(changes, start) : bisect_left(changes, end)])


def probes(
    calendar: BusinessCalendar, t1: datetime, until: datetime, rng: random.Random
) -> list[datetime]:
    """Instants in ``[t1, until)`` to evaluate again: both edges, a microsecond either
    side of local midnights and DST changes in between, and random points."""
    end = until if until != FOREVER else t1 + _HORIZON
    points = {t1, end - _US}
    for edge in (*_midnights(calendar, t1, end), *_offset_changes(calendar, t1, end)):
        points.update((edge - _US, edge))
    span = (end - t1) / _US
    points.update(t1 + _US * int(rng.random() * span) for _ in range(4))
    return sorted(p for p in points if t1 <= p < end)


def assert_holds(engine: Engine, task: Task, t1: datetime, rng: random.Random) -> None:
    """Each applying rule's verdict on ``task`` at ``t1`` holds, as it says, until its
    ``valid_until``; the engine's result holds until the earliest of them."""
    ctx = engine.context(task.source, t1)
    calendar = ctx.calendar
    bounds: list[datetime] = []
    for scoped in engine.rules_for(task.source):
        if not scoped.applies(task):
            continue
        rule = scoped.rule
        first = rule.check(task, ctx)
        until = rule.valid_until(task, ctx, first)
        where = f"{rule.name} {rule.params!r} on {task.key} at {t1.isoformat()}"
        assert until is not None, f"{where}: a built-in rule must give a bound"
        assert until.utcoffset() == timedelta(0), f"{where}: bound not in UTC"
        assert until > ctx.now, f"{where}: bound {until} not after now"
        expected = verdict([first] if first else [])
        for t2 in probes(calendar, ctx.now, until, rng):
            again = rule.check(task, engine.context(task.source, t2))
            assert verdict([again] if again else []) == expected, (
                f"{where}: valid until {until.isoformat()}, but differs at {t2.isoformat()}"
            )
        bounds.append(until)
    (result,) = engine.iter_results([task], t1)
    assert result.valid_until == min(bounds, default=FOREVER)


def local(calendar_name: str, day: date, at: time = time(0)) -> datetime:
    """A local wall time of one of :data:`CALENDARS`, as a UTC instant."""
    tz = BusinessCalendar(CALENDARS[calendar_name]).tz
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def spread_nows(year: int = 2026) -> Sequence[datetime]:
    """``now``s over a year: quarter starts, around Moscow's and Berlin's holidays, DST
    changes, month ends, late evenings and just before midnight."""
    return (
        datetime(year, 1, 1, 0, 0, tzinfo=UTC),
        datetime(year, 1, 8, 20, 59, 59, 999999, tzinfo=UTC),
        datetime(year, 3, 8, 7, 30, tzinfo=UTC),
        datetime(year, 3, 29, 0, 59, tzinfo=UTC),
        datetime(year, 5, 9, 12, 0, tzinfo=UTC),
        datetime(year, 9, 6, 3, 59, 59, tzinfo=UTC),
        datetime(year, 11, 1, 5, 30, tzinfo=UTC),
        datetime(year, 11, 5, 12, 0, tzinfo=UTC),
        datetime(year, 11, 20, 9, 0, tzinfo=UTC),
        datetime(year, 11, 27, 20, 59, 59, 999999, tzinfo=UTC),
        datetime(year, 11, 27, 21, 0, tzinfo=UTC),
        datetime(year, 12, 31, 22, 0, tzinfo=UTC),
    )
