from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from config.policy import DigestSchedules
from rules.calendar import BusinessCalendar
from syncd.digest.schedule import due_slots, first_business_day, period_key, previous_month
from syncd.digest.scope import manager_calendar
from tests.digest import fixtures

POLICY = fixtures.policy()
OLGA = POLICY.managers[0]  # Europe/Moscow, RU holidays (from her first source)
ALICE = POLICY.managers[1]  # Europe/London
CAL = manager_calendar(POLICY, OLGA)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_nothing_before_the_slot_time() -> None:
    assert due_slots(OLGA, at("2026-11-24T08:59:59+03:00"), calendar=CAL) == []


def test_slot_due_at_its_minute_and_once() -> None:
    now = at("2026-11-24T09:00:00+03:00")
    assert due_slots(OLGA, now, calendar=CAL) == [("daily", "daily:2026-11-24")]
    assert due_slots(OLGA, now, {"daily:2026-11-24"}, calendar=CAL) == []


def test_missed_slot_sent_later_the_same_day_but_never_replayed() -> None:
    # The daemon was down at 09:00 and starts at 17:30: still Tuesday, still relevant.
    assert due_slots(OLGA, at("2026-11-24T17:30:00+03:00"), calendar=CAL) == [
        ("daily", "daily:2026-11-24")
    ]
    # Back only on Wednesday at 08:00: Tuesday's digest is not replayed, Wednesday's not due.
    assert due_slots(OLGA, at("2026-11-25T08:00:00+03:00"), calendar=CAL) == []


def test_local_day_is_the_managers_not_utc() -> None:
    # 22:30 UTC Monday is already Tuesday 01:30 in Moscow: Monday's slot is over.
    assert due_slots(OLGA, at("2026-11-23T22:30:00+00:00"), calendar=CAL) == []
    # 06:00 UTC is 09:00 Moscow but 06:00 London: Alice's slot has not come yet.
    assert due_slots(ALICE, at("2026-11-24T06:00:00+00:00")) == []
    assert due_slots(ALICE, at("2026-11-24T09:00:00+00:00")) == [("daily", "daily:2026-11-24")]


def test_weekend_and_holiday_skipped_for_daily() -> None:
    saturday = at("2026-11-28T10:00:00+03:00")
    every_day = OLGA.model_copy(update={"schedules": DigestSchedules(daily="0 9 * * *")})
    assert due_slots(every_day, saturday, calendar=CAL) == []
    unity_day = at("2026-11-04T10:00:00+03:00")  # a Russian public holiday, a Wednesday
    assert due_slots(OLGA, unity_day, calendar=CAL) == []
    assert due_slots(OLGA, unity_day, calendar=BusinessCalendar()) == [
        ("daily", "daily:2026-11-04")
    ]


def test_weekly_on_monday_with_iso_week_period() -> None:
    slots = due_slots(OLGA, at("2026-11-23T09:05:00+03:00"), calendar=CAL)
    assert slots == [("daily", "daily:2026-11-23"), ("weekly", "weekly:2026-W48")]


def test_weekly_moves_from_a_holiday_monday_to_the_weeks_next_business_day() -> None:
    # Monday 11 May 2026 is a Russian holiday (Victory Day, observed).
    monday = at("2026-05-11T09:30:00+03:00")
    tuesday = at("2026-05-12T09:30:00+03:00")
    wednesday = at("2026-05-13T09:30:00+03:00")
    assert CAL.is_business_day(monday.date()) is False
    assert ("weekly", "weekly:2026-W20") not in due_slots(OLGA, monday, calendar=CAL)
    assert ("weekly", "weekly:2026-W20") in due_slots(OLGA, tuesday, calendar=CAL)
    # Only that day: a missed weekly digest is not replayed later in the week.
    assert ("weekly", "weekly:2026-W20") not in due_slots(OLGA, wednesday, calendar=CAL)


def test_monthly_on_first_business_day() -> None:
    # 1 Dec 2026 is a Tuesday: the first business day.
    assert ("monthly", "monthly:2026-12") in due_slots(
        OLGA, at("2026-12-01T09:00:00+03:00"), calendar=CAL
    )
    # January 2027: holidays until the 8th, then a weekend; the 11th is the first.
    assert first_business_day(2027, 1, CAL) == date(2027, 1, 11)
    assert due_slots(OLGA, at("2027-01-09T09:00:00+03:00"), calendar=CAL) == []
    assert ("monthly", "monthly:2027-01") in due_slots(
        OLGA, at("2027-01-11T09:00:00+03:00"), calendar=CAL
    )
    assert not any(
        k == "monthly" for k, _ in due_slots(OLGA, at("2026-12-02T09:00:00+03:00"), calendar=CAL)
    )


def test_dst_change_keeps_local_time() -> None:
    # London leaves summer time on 25 Oct 2026; 09:00 local is 08:00 UTC then 09:00 UTC.
    assert due_slots(ALICE, at("2026-10-23T08:00:00+00:00")) == [("daily", "daily:2026-10-23")]
    assert due_slots(ALICE, at("2026-10-26T08:30:00+00:00")) == []
    assert ("daily", "daily:2026-10-26") in due_slots(ALICE, at("2026-10-26T09:00:00+00:00"))


def test_switched_off_and_invalid_schedules() -> None:
    off = OLGA.model_copy(update={"schedules": DigestSchedules(daily=None, weekly=None)})
    assert due_slots(off, at("2026-11-23T09:00:00+03:00"), calendar=CAL) == []
    # A bad cron never reaches the scheduler: the policy model refuses it on load
    # (tests/config/test_loader.py checks the file, line and path it reports).
    with pytest.raises(ValidationError, match=r"daily\n.*'every morning' is not a cron"):
        DigestSchedules(daily="every morning")
    with pytest.raises(ValueError, match="aware"):
        due_slots(OLGA, datetime(2026, 11, 23, 9), calendar=CAL)


def test_period_keys() -> None:
    day = date(2026, 11, 23)
    assert period_key("daily", day) == "daily:2026-11-23"
    assert period_key("weekly", day) == "weekly:2026-W48"
    assert period_key("monthly", day) == "monthly:2026-11"
    assert period_key("weekly", date(2027, 1, 1)) == "weekly:2026-W53"
    assert previous_month(date(2026, 1, 15)) == "2025-12"


def test_default_daily_follows_the_calendar_not_the_weekday() -> None:
    # 1 November 2025 is a Saturday Russia worked (the 3rd was the day off instead): the
    # default schedule must not skip it by weekday; the business calendar decides.
    assert OLGA.schedules.daily == DigestSchedules().daily
    working_saturday = at("2025-11-01T09:00:00+03:00")
    assert ("daily", "daily:2025-11-01") in due_slots(OLGA, working_saturday, calendar=CAL)
    day_off = due_slots(OLGA, at("2025-11-03T09:00:00+03:00"), calendar=CAL)
    assert "daily" not in {kind for kind, _period in day_off}
    assert due_slots(OLGA, at("2025-11-08T09:00:00+03:00"), calendar=CAL) == []  # Saturday


def test_next_fire_is_the_earliest_cron_in_the_managers_zone() -> None:
    from syncd.digest.schedule import next_fire

    assert next_fire(OLGA, at("2026-11-24T08:59:30+03:00")) == at("2026-11-24T09:00:00+03:00")
    # Exactly at the slot: that one is being handled, the next is tomorrow's.
    assert next_fire(OLGA, at("2026-11-24T09:00:00+03:00")) == at("2026-11-25T09:00:00+03:00")
    assert next_fire(ALICE, at("2026-11-24T06:00:00+00:00")) == at("2026-11-24T09:00:00+00:00")
    off = OLGA.model_copy(
        update={"schedules": DigestSchedules(daily=None, weekly=None, monthly=None)}
    )
    assert next_fire(off, at("2026-11-24T08:00:00+03:00")) is None
