"""Business days, working hours and business time around holidays, midnight and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from config.policy import CalendarConfig
from rules.calendar import BusinessCalendar

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def russia() -> BusinessCalendar:
    return BusinessCalendar(CalendarConfig(country="RU", timezone="Europe/Moscow"))


def test_russian_transferred_working_saturday_and_moved_holidays(russia: BusinessCalendar) -> None:
    # 2024: Saturday 27 April was a working day so that 29–30 April could be days off.
    assert russia.is_business_day(date(2024, 4, 27))
    assert not russia.is_business_day(date(2024, 4, 29))
    assert not russia.is_business_day(date(2024, 4, 30))
    assert russia.is_business_day(date(2024, 11, 2))  # Saturday, working
    assert not russia.is_business_day(date(2024, 11, 4))  # Unity Day
    assert not russia.is_business_day(date(2025, 1, 8))
    assert not russia.is_business_day(date(2024, 4, 28))  # an ordinary Sunday
    plain = BusinessCalendar(CalendarConfig(timezone="Europe/Moscow"))
    assert not plain.is_business_day(date(2024, 4, 27))
    assert plain.is_business_day(date(2024, 4, 29))


def test_add_business_days_across_may_holidays(russia: BusinessCalendar) -> None:
    assert russia.add_business_days(date(2024, 4, 26), 1) == date(2024, 4, 27)
    assert russia.add_business_days(date(2024, 4, 27), 1) == date(2024, 5, 2)
    assert russia.add_business_days(date(2024, 5, 2), -1) == date(2024, 4, 27)
    assert russia.add_business_days(date(2024, 5, 4), 0) == date(2024, 5, 4)


def test_business_days_between_counts_days_passed(russia: BusinessCalendar) -> None:
    monday, wednesday = date(2026, 11, 23), date(2026, 11, 25)
    assert russia.business_days_between(monday, wednesday) == 2
    assert russia.business_days_between(wednesday, monday) == -2
    assert russia.business_days_between(monday, monday) == 0
    assert russia.business_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1  # Fri→Mon
    # Friday 1 Nov 2024 → Tuesday 5 Nov: Saturday 2 worked, Monday 4 a holiday.
    assert russia.business_days_between(date(2024, 11, 1), date(2024, 11, 5)) == 2
    # Far apart dates (the cumulative table grows both ways) agree with a plain count.
    for a, b in [(date(1999, 12, 20), date(2000, 1, 10)), (date(2030, 1, 1), date(2030, 2, 1))]:
        direct = sum(russia.is_business_day(a + timedelta(days=i + 1)) for i in range((b - a).days))
        assert russia.business_days_between(a, b) == direct
    assert russia.business_days_between(date(2026, 11, 23), date(2026, 11, 25)) == 2


def test_due_date_ends_at_moscow_midnight(russia: BusinessCalendar) -> None:
    end = russia.due_end(date(2026, 11, 25))
    assert end == datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    assert end.utcoffset() == timedelta(hours=3)
    # 23:59 Moscow on the due date is still in time; 00:00 the next day is not.
    assert datetime(2026, 11, 25, 20, 59, tzinfo=UTC) < end
    assert not datetime(2026, 11, 25, 21, 0, tzinfo=UTC) < end


def test_due_end_across_berlin_dst() -> None:
    berlin = BusinessCalendar(CalendarConfig(timezone="Europe/Berlin"))
    # Clocks go forward on 29 Mar 2026 and back on 25 Oct 2026.
    assert berlin.due_end(date(2026, 3, 28)) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert berlin.due_end(date(2026, 3, 29)) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert berlin.due_end(date(2026, 10, 24)) == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert berlin.due_end(date(2026, 10, 25)) == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)


def test_business_moment_skips_weekends(russia: BusinessCalendar) -> None:
    friday = datetime(2026, 11, 27, tzinfo=MSK)
    tuesday = datetime(2026, 12, 1, tzinfo=MSK)  # Fri + Mon = 2 business days
    assert russia.business_moment(friday, tuesday, 0.5) == datetime(2026, 11, 30, tzinfo=MSK)
    assert russia.business_moment(friday, tuesday, 0.25) == datetime(2026, 11, 27, 12, tzinfo=MSK)
    assert russia.business_moment(friday, tuesday, 0.0) == friday
    assert russia.business_moment(friday, tuesday, 1.0) == tuesday
    # Starting on a Sunday counts from Monday's start.
    sunday = datetime(2026, 11, 29, 15, tzinfo=MSK)
    assert russia.business_moment(sunday, tuesday, 0.5) == datetime(2026, 11, 30, 12, tzinfo=MSK)
    # Nothing in between: the start itself.
    saturday = datetime(2026, 11, 28, 10, tzinfo=MSK)
    assert russia.business_moment(saturday, sunday, 0.35) == saturday


def test_business_moment_counts_a_transferred_saturday(russia: BusinessCalendar) -> None:
    # Fri 1 Nov 2024 00:00 → Tue 5 Nov 00:00: Friday and the working Saturday count.
    start = datetime(2024, 11, 1, tzinfo=MSK)
    end = datetime(2024, 11, 5, tzinfo=MSK)
    assert russia.business_moment(start, end, 0.75) == datetime(2024, 11, 2, 12, tzinfo=MSK)


def test_business_moment_on_a_23_hour_day() -> None:
    every_day = BusinessCalendar(CalendarConfig(timezone="Europe/Berlin", weekend=()))
    start = datetime(2026, 3, 29, tzinfo=BERLIN)
    end = datetime(2026, 3, 30, tzinfo=BERLIN)
    assert (end - start) != timedelta(hours=23)  # same-tzinfo arithmetic is wall time...
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)  # ...this is real
    middle = every_day.business_moment(start, end, 0.5)
    assert middle == datetime(2026, 3, 29, 10, 30, tzinfo=UTC)
    assert middle.tzinfo == BERLIN


def test_working_hours_and_queueing(russia: BusinessCalendar) -> None:
    tuesday_night = datetime(2026, 11, 24, 3, 30, tzinfo=MSK)
    assert not russia.is_working_time(tuesday_night)
    assert russia.next_working_time(tuesday_night) == datetime(2026, 11, 24, 9, 0, tzinfo=MSK)
    nine = datetime(2026, 11, 24, 9, 0, tzinfo=MSK)
    assert russia.is_working_time(nine)
    assert russia.next_working_time(nine) == nine
    assert not russia.is_working_time(datetime(2026, 11, 24, 19, 0, tzinfo=MSK))
    friday_evening = datetime(2026, 11, 27, 19, 30, tzinfo=MSK)
    assert russia.next_working_time(friday_evening) == datetime(2026, 11, 30, 9, tzinfo=MSK)
    # Given in UTC: 06:30Z is 09:30 in Moscow.
    assert russia.is_working_time(datetime(2026, 11, 24, 6, 30, tzinfo=UTC))
    # Friday night before the working Saturday of 2 Nov 2024.
    assert russia.next_working_time(datetime(2024, 11, 1, 22, tzinfo=MSK)) == datetime(
        2024, 11, 2, 9, tzinfo=MSK
    )


def test_impossible_calendars_are_refused_by_the_policy_model() -> None:
    with pytest.raises(ValidationError, match="XX"):
        CalendarConfig(country="XX")
    with pytest.raises(ValidationError, match="workday"):
        CalendarConfig(weekend=(0, 1, 2, 3, 4, 5, 6))
    with pytest.raises(ValidationError, match="working_hours"):
        CalendarConfig.model_validate({"working_hours": {"start": "19:00", "end": "09:00"}})


def test_business_time_between_is_antisymmetric(russia: BusinessCalendar) -> None:
    a = datetime(2024, 4, 26, 15, tzinfo=MSK)
    b = datetime(2024, 5, 3, 6, tzinfo=MSK)
    # Fri 26 Apr from 15:00 (0.375), Sat 27 Apr (1), 2 May (1), 3 May until 06:00 (0.25).
    assert russia.business_time_between(a, b) == pytest.approx(2.625)
    assert russia.business_time_between(b, a) == pytest.approx(-2.625)
