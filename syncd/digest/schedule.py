"""When a manager's digests are due.

Cron expressions are read in the manager's time zone (croniter, DST-aware). A slot is
due once its time has passed *today* (local day); a slot missed because the daemon was
down is still sent on start-up the same day, but never replayed for an older day — a
Tuesday digest about Monday is noise. Daily slots run on business days only; the monthly
report goes out on the first business day of the month at the cron's time of day.

Exactly-once is the ledger's job (``Store.claim_digest`` on the period key); this module
only says which period keys are due now.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from croniter import croniter

from config.policy import CalendarConfig, ManagerConfig
from rules.calendar import BusinessCalendar

__all__ = [
    "SlotKind",
    "due_slots",
    "first_business_day",
    "next_fire",
    "period_key",
    "previous_month",
]

SlotKind = Literal["daily", "weekly", "monthly"]
_KINDS: tuple[SlotKind, ...] = ("daily", "weekly", "monthly")


def period_key(kind: SlotKind, day: date) -> str:
    """``daily:2026-11-23``, ``weekly:2026-W48``, ``monthly:2026-11``."""
    if kind == "daily":
        return f"daily:{day.isoformat()}"
    if kind == "weekly":
        year, week, _ = day.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    return f"monthly:{day.year}-{day.month:02d}"


def previous_month(day: date) -> str:
    """``2026-10`` for any day of November 2026: the month a monthly report covers."""
    last = day.replace(day=1) - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def first_business_day(year: int, month: int, calendar: BusinessCalendar) -> date:
    day = date(year, month, 1)
    while not calendar.is_business_day(day):
        day += timedelta(days=1)
    return day


def _expression(manager: ManagerConfig, kind: SlotKind) -> str | None:
    # Valid by construction: ``DigestSchedules`` checks each cron when the policy loads.
    expr: str | None = getattr(manager.schedules, kind)
    if expr is None:
        return None
    if kind == "monthly":
        # The day is the first business day; the cron only gives the time of day.
        minute, hour = expr.split()[:2]
        return f"{minute} {hour} * * *"
    return expr


def _last_fire(expr: str, local_now: datetime) -> datetime:
    # get_prev from "now + 1 s" includes a slot firing exactly at now.
    fired: datetime = croniter(expr, local_now + timedelta(seconds=1)).get_prev(datetime)
    return fired


def due_slots(
    manager: ManagerConfig,
    now: datetime,
    last_sent: Collection[str] = (),
    *,
    calendar: BusinessCalendar | None = None,
) -> list[tuple[SlotKind, str]]:
    """The ``(kind, period)`` slots due at ``now`` that are not in ``last_sent`` (the period
    keys already sent for this manager). ``calendar`` decides business days; default the
    manager's own calendar config or weekends only."""
    if now.tzinfo is None:
        raise ValueError("due_slots needs an aware 'now'")
    calendar = calendar or BusinessCalendar(manager.calendar or CalendarConfig())
    local = now.astimezone(ZoneInfo(manager.timezone))
    today = local.date()
    due: list[tuple[SlotKind, str]] = []
    for kind in _KINDS:
        expr = _expression(manager, kind)
        if expr is None:
            continue
        if kind == "daily" and not calendar.is_business_day(today):
            continue
        if kind == "monthly" and today != first_business_day(today.year, today.month, calendar):
            continue
        fired = _last_fire(expr, local)
        if kind == "weekly":
            # A holiday Monday moves the weekly digest to the week's next business day.
            fired_day = _business_day_in_week(fired.date(), calendar)
            if fired_day != today or not calendar.is_business_day(today):
                continue
        elif fired.date() != today:
            continue
        period = period_key(kind, today)
        if period not in last_sent:
            due.append((kind, period))
    return due


def next_fire(manager: ManagerConfig, now: datetime) -> datetime | None:
    """The first moment after ``now`` at which one of the manager's crons fires (aware,
    in the manager's zone), or None when every digest is switched off. A wake-up time for
    the daemon: whether that moment really brings a digest (business day, first of the
    month, already sent) is :func:`due_slots`' decision."""
    if now.tzinfo is None:
        raise ValueError("next_fire needs an aware 'now'")
    local = now.astimezone(ZoneInfo(manager.timezone))
    fires: list[datetime] = []
    for kind in _KINDS:
        expr = _expression(manager, kind)
        if expr is not None:
            fires.append(croniter(expr, local).get_next(datetime))
    return min(fires, default=None)


def _business_day_in_week(day: date, calendar: BusinessCalendar) -> date | None:
    """``day`` or the first business day after it in the same ISO week (None: none left)."""
    week = day.isocalendar()[:2]
    while not calendar.is_business_day(day):
        day += timedelta(days=1)
        if day.isocalendar()[:2] != week:
            return None
    return day
