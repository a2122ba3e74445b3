"""Small helpers shared by the built-in rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from rules.base import Context

__all__ = ["casefolded", "iso", "next_business_day_start", "utc"]


def casefolded(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.casefold() for v in values)


def iso(moment: datetime, ctx: Context) -> str:
    """An instant for ``Finding.data``: ISO 8601 in the team's zone, to the minute, so
    texts can show local time without knowing the calendar."""
    return moment.astimezone(ctx.calendar.tz).replace(second=0, microsecond=0).isoformat()


def utc(moment: datetime) -> datetime:
    """An instant as UTC: bounds are compared with ``min``, and Python compares two
    datetimes sharing a zone by wall time, which is wrong across a DST change."""
    return moment.astimezone(UTC)


def next_business_day_start(ctx: Context) -> datetime:
    """Local midnight starting the next business day after ``ctx.today``: when a count of
    business days up to today ("3 business days overdue") next changes."""
    calendar = ctx.calendar
    return calendar.day_start(calendar.add_business_days(ctx.today, 1))
