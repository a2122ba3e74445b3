"""Small helpers shared by the built-in rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from rules.base import Context

__all__ = ["casefolded", "iso", "utc"]


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
