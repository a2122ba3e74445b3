"""Business days, working hours and business time for one team.

Built from a source's ``CalendarConfig``: weekend days, public holidays of a country from
the ``holidays`` library — including Russia's transferred working days (a Saturday that is
a working day because a holiday was moved; ``holidays`` lists them in ``weekend_workdays``)
— the team's time zone and working hours.

Two notions of time are used by the rules:

* **business days** (whole dates): due-soon, stale, horizons;
* **continuous business time**: every business day counts as one unit running from its
  local midnight to the next (23 or 25 hours on DST days), non-business days count zero.
  The checkpoint moment "35 % of the time to the due date" is measured in it, so a
  weekend in between does not pull the checkpoint forward. Such moments can fall at night;
  posting waits for :meth:`BusinessCalendar.next_working_time`.

All arithmetic is done on UTC instants: Python compares and subtracts aware datetimes that
share a tzinfo by wall time, which is wrong across a DST change.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from config.policy import CalendarConfig
from syncd.core.errors import ConfigError

__all__ = ["BusinessCalendar"]

_DAY = timedelta(days=1)
_PAD_YEARS = 2


def _country_holidays(country: str) -> Any:
    try:
        return holidays.country_holidays(country.upper())
    except NotImplementedError:
        raise ConfigError(f"calendar.country: no public holidays known for {country!r}") from None


class BusinessCalendar:
    """One team's calendar. Cheap to query repeatedly: day facts and a cumulative count of
    business days are cached, so business-time questions cost a bisection, not a loop."""

    def __init__(self, config: CalendarConfig | None = None) -> None:
        config = config or CalendarConfig()  # validated: a workday exists, start < end
        self.config = config
        self.tz = ZoneInfo(config.timezone)
        self.weekend = frozenset(config.weekend)
        self.work_start: time = config.working_hours.start
        self.work_end: time = config.working_hours.end
        self._holidays = _country_holidays(config.country) if config.country else None
        self._days: dict[date, bool] = {}
        self._bounds_cache: dict[date, tuple[float, float]] = {}
        self._due_cache: dict[date, datetime] = {}
        self._next_start_cache: dict[date, datetime] = {}
        self._countdown_cache: dict[tuple[date, int], datetime] = {}
        self._table: _Table | None = None
        self._lock = threading.Lock()

    # -- days -------------------------------------------------------------------------
    def is_business_day(self, day: date) -> bool:
        known = self._days.get(day)
        if known is not None:
            return known
        if self._holidays is None:
            result = day.weekday() not in self.weekend
        else:
            # Looking the date up populates its year, ``weekend_workdays`` included.
            holiday = day in self._holidays
            if day.weekday() in self.weekend:
                result = day in self._holidays.weekend_workdays
            else:
                result = not holiday
        self._days[day] = result
        return result

    def add_business_days(self, day: date, n: int) -> date:
        """Move ``n`` business days forward (backward when negative); 0 returns ``day``."""
        step = _DAY if n >= 0 else -_DAY
        for _ in range(abs(n)):
            day += step
            while not self.is_business_day(day):
                day += step
        return day

    def next_business_day_start(self, day: date) -> datetime:
        """Local midnight starting the first business day after ``day``, as a UTC instant:
        when a count of business days up to ``day`` next grows."""
        start = self._next_start_cache.get(day)
        if start is None:
            start = self._next_start_cache[day] = self.day_start(self.add_business_days(day, 1))
        return start

    def countdown_start(self, day: date, n: int) -> datetime:
        """Local midnight (UTC instant) starting the first date from which at most ``n``
        business days are left until ``day``: ``business_days_between(d, day) <= n``.
        For ``n`` = 2 and a Friday, Wednesday 00:00."""
        key = (day, n)
        start = self._countdown_cache.get(key)
        if start is None:
            # The n-th business day back from the last business day on or before ``day``:
            # from it, exactly the n business days after it are left.
            last = day if self.is_business_day(day) else self.add_business_days(day, -1)
            start = self.day_start(self.add_business_days(last, -n))
            self._countdown_cache[key] = start
        return start

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    # -- instants ---------------------------------------------------------------------
    def day_start(self, day: date) -> datetime:
        """Local midnight at the start of ``day``, as a UTC instant."""
        return datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)

    def _bounds(self, day: date) -> tuple[float, float]:
        """(POSIX start, length in seconds) of a local day: 23 or 25 h on DST days."""
        known = self._bounds_cache.get(day)
        if known is None:
            start = self.day_start(day).timestamp()
            known = (start, self.day_start(day + _DAY).timestamp() - start)
            self._bounds_cache[day] = known
        return known

    def due_end(self, due: date) -> datetime:
        """The instant a date-only due date ends: the next local midnight (exclusive).
        A task due on 25 Nov in Moscow is overdue from 2025-11-25T21:00Z, not before."""
        end = self._due_cache.get(due)
        if end is None:
            end = self._due_cache[due] = datetime.combine(due + _DAY, time(0), tzinfo=self.tz)
        return end

    def is_working_time(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        return (
            self.is_business_day(local.date())
            and self.work_start <= local.time().replace(tzinfo=None) < self.work_end
        )

    def next_working_time(self, moment: datetime) -> datetime:
        """``moment`` if within working hours, else the start of the next working period
        (a reminder found at 03:30 waits until 09:00), in the team's zone."""
        local = moment.astimezone(self.tz)
        if self.is_working_time(local):
            return local
        day = local.date()
        if not (self.is_business_day(day) and local.time().replace(tzinfo=None) < self.work_start):
            day = self.add_business_days(day, 1)
        return datetime.combine(day, self.work_start, tzinfo=self.tz)

    # -- continuous business time -----------------------------------------------------
    def _table_for(self, first: date, last: date) -> _Table:
        """A cumulative table covering ``first``..``last`` (+1 day). Tables are never
        changed, only replaced, so one computation reads one consistent snapshot even
        while another thread grows the table."""
        table = self._table
        if table is None or not table.covers(first, last):
            with self._lock:
                table = self._table
                if table is None or not table.covers(first, last):
                    lo = date(first.year - _PAD_YEARS, 1, 1)
                    hi = date(last.year + _PAD_YEARS, 12, 31)
                    if table is not None:
                        lo, hi = min(lo, table.base), max(hi, table.last)
                    table = self._table = _Table.build(lo, hi, self.is_business_day)
        return table

    def business_days_between(self, a: date, b: date) -> int:
        """Business days in ``(a, b]``: how many have passed from ``a`` to ``b``; negative
        when ``b`` is before ``a``. Monday → Wednesday = 2; Friday → Monday = 1."""
        if b < a:
            return -self.business_days_between(b, a)
        table = self._table_for(a, b)
        return table.before(b + _DAY) - table.before(a + _DAY)

    def _position(self, moment: datetime, table: _Table) -> float:
        """Business days (fractional) from the table's origin to ``moment``."""
        day = self.local_date(moment)
        whole = table.before(day)
        if not self.is_business_day(day):
            return float(whole)
        start, length = self._bounds(day)
        return whole + (moment.timestamp() - start) / length

    def business_time_between(self, start: datetime, end: datetime) -> float:
        """Business days (fractional) from ``start`` to ``end``; negative if reversed."""
        first, last = sorted((self.local_date(start), self.local_date(end)))
        table = self._table_for(first, last)
        return self._position(end, table) - self._position(start, table)

    def business_moment(self, start: datetime, end: datetime, fraction: float) -> datetime:
        """The instant ``fraction`` of the business time from ``start`` to ``end`` has
        passed, in the team's zone. With no business time in between, ``start``."""
        table = self._table_for(self.local_date(start), self.local_date(end))
        a, b = self._position(start, table), self._position(end, table)
        if b <= a:
            return start.astimezone(self.tz)
        target = a + fraction * (b - a)
        # The last day whose count of earlier business days is <= target is a business
        # day (the count steps up right after it) and holds the moment.
        index = bisect_right(table.cum, target) - 1
        day_start, length = self._bounds(table.base + timedelta(days=index))
        moment = day_start + length * (target - table.cum[index])
        return datetime.fromtimestamp(moment, UTC).astimezone(self.tz)


@dataclass(frozen=True, slots=True)
class _Table:
    base: date
    cum: list[int]
    """``cum[i]`` = business days strictly before ``base + i``."""

    @classmethod
    def build(cls, base: date, last: date, is_business: Callable[[date], bool]) -> _Table:
        cum = [0]
        day = base
        while day <= last + _DAY:
            cum.append(cum[-1] + is_business(day))
            day += _DAY
        return cls(base, cum)

    @property
    def last(self) -> date:
        return self.base + timedelta(days=len(self.cum) - 3)

    def covers(self, first: date, last: date) -> bool:
        return self.base <= first and last <= self.last

    def before(self, day: date) -> int:
        return self.cum[(day - self.base).days]
