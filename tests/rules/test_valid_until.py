"""How long a verdict holds: ``Rule.valid_until`` and ``TaskResult.valid_until``.

A caller keeps a task's findings until ``valid_until`` instead of evaluating it again, so
a bound later than the truth is a missing reminder. These tests check the engine's
plumbing (exempt, crashed, silent and content-only rules) here, and each time-driven
rule's bound (exact by hand, and held over generated tasks) below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from config.policy import CalendarConfig, RuleScope
from rules.base import FOREVER, Context, Rule, TimelessRule
from rules.builtin.checkpoint import Checkpoint, CheckpointParams
from rules.builtin.due_soon import DueSoon
from rules.builtin.overdue import Overdue
from rules.builtin.stale import Stale
from rules.calendar import BusinessCalendar
from rules.engine import Engine, ScopedRule
from rules.registry import get_rule
from syncd.core.models import Finding, Task
from tests.rules.factory import ANNA, at, comment, context, make_task
from tests.rules.validity import Verdict, verdict

NOW = at("2026-11-25 09:00")


def _engine(*rules: Rule) -> Engine:
    return Engine([ScopedRule.build(rule, RuleScope()) for rule in rules])


class _Silent(Rule):
    """A rule that does not say how long its verdict holds."""

    name = "silent"

    def check(self, task: Task, ctx: Context) -> Finding | None:
        return None


class _Explodes(TimelessRule):
    name = "explodes"

    def check(self, task: Task, ctx: Context) -> Finding | None:
        raise KeyError("boom")


class _Fixed(Rule):
    """Claims a fixed bound, or crashes while computing it."""

    name = "fixed"

    def __init__(self, until: datetime | Exception | None) -> None:
        super().__init__()
        self.until = until

    def check(self, task: Task, ctx: Context) -> Finding | None:
        return self.finding(task, ctx, "flagged", ("x",))

    def valid_until(self, task: Task, ctx: Context, finding: Finding | None) -> datetime | None:
        if isinstance(self.until, Exception):
            raise self.until
        return self.until


CONTENT_RULES = ("due-date", "single-owner", "priority-set", "required-sections")


def test_content_only_rules_hold_forever_findings_or_not() -> None:
    e = _engine(*(get_rule(name)() for name in CONTENT_RULES))
    bad = make_task(assignees=(), priority=None, due=None, sections=())
    good = make_task()
    for task in (bad, good):
        (result,) = e.iter_results([task], NOW)
        assert result.valid_until == FOREVER
    (result,) = e.iter_results([bad], NOW)
    assert {f.rule for f in result.findings} == set(CONTENT_RULES)


def test_measurable_goal_holds_forever() -> None:
    rule = get_rule("measurable-goal")()
    (result,) = _engine(rule).iter_results([make_task()], NOW)
    assert result.valid_until == FOREVER


def test_an_exempt_task_holds_forever() -> None:
    e = _engine(_Silent())
    (result,) = e.iter_results([make_task(labels=("no-syncd",))], NOW)
    assert result.findings == ()
    assert result.valid_until == FOREVER


def test_a_rule_that_does_not_say_holds_only_now() -> None:
    (result,) = _engine(get_rule("due-date")(), _Silent()).iter_results([make_task()], NOW)
    assert result.valid_until is None


def test_a_crashed_rule_makes_the_result_hold_only_now() -> None:
    e = _engine(get_rule("due-date")(), _Explodes())
    (result,) = e.iter_results([make_task()], NOW)
    assert result.failed == ("explodes",)
    assert result.valid_until is None


def test_the_earliest_rule_bound_wins_and_bad_bounds_mean_only_now() -> None:
    soon, later = NOW + timedelta(hours=3), NOW + timedelta(days=2)
    (result,) = _engine(_Fixed(later), _Fixed(soon), _Fixed(FOREVER)).iter_results(
        [make_task()], NOW
    )
    assert result.valid_until == soon
    assert len(result.findings) == 3  # the finding stands whatever its bound
    for bad in (NOW, NOW - timedelta(seconds=1), None):
        (result,) = _engine(_Fixed(later), _Fixed(bad)).iter_results([make_task()], NOW)
        assert result.valid_until is None, bad
        assert len(result.findings) == 2
        assert result.failed == ()


def test_a_rule_whose_bound_crashes_failed_on_the_task() -> None:
    # Its finding is unknown this time, not absent, and nothing is known for later.
    e = _engine(_Fixed(FOREVER), _Fixed(RuntimeError("boom")))
    (result,) = e.iter_results([make_task()], NOW)
    assert result.failed == ("fixed",)
    assert len(result.findings) == 1
    assert result.valid_until is None


def test_time_driven_rules_agree_with_their_check_until() -> None:
    task = make_task(due=date(2026, 11, 24), created=at("2026-11-02 09:00"))
    ctx = context(NOW, RU)
    for rule in (Overdue(), DueSoon(), Stale(), Checkpoint()):
        finding, holds = rule.check_until(task, ctx)
        assert rule.check(task, ctx) == finding
        assert rule.valid_until(task, ctx, finding) == holds


def test_forever_is_aware_utc_and_far() -> None:
    assert FOREVER.tzinfo is UTC
    assert datetime(9000, 1, 1, tzinfo=UTC) < FOREVER


# -- the time-driven rules: bounds computed by hand -------------------------------------

MOSCOW = BusinessCalendar(CalendarConfig(timezone="Europe/Moscow"))
RU = BusinessCalendar(CalendarConfig(country="RU", timezone="Europe/Moscow"))
NEW_YORK = BusinessCalendar(CalendarConfig(timezone="America/New_York"))
_US = timedelta(microseconds=1)


def _verdict(rule: Rule, task: Task, now: datetime, calendar: BusinessCalendar) -> Verdict:
    found = rule.check(task, context(now, calendar))
    return verdict([found] if found else [])


def assert_turns_at(
    rule: Rule, task: Task, now: datetime, calendar: BusinessCalendar, expected: datetime
) -> tuple[Verdict, Verdict]:
    """The rule's bound at ``now`` is ``expected``, the verdict holds a microsecond before
    it and changes at it: the bound is exact, neither late nor merely "now"."""
    ctx = context(now, calendar)
    found = rule.check(task, ctx)
    assert rule.valid_until(task, ctx, found) == expected
    before = _verdict(rule, task, now, calendar)
    assert _verdict(rule, task, expected - _US, calendar) == before
    after = _verdict(rule, task, expected, calendar)
    assert after != before
    return before, after


def _messages(v: Verdict) -> list[object]:
    return [(f[0], f[3], f[4]) for f in v]


def _message(v: Verdict) -> str:
    return str(v[0][4]) if v else ""


# Due-date rules, by hand: (rule, due, now, calendar, the bound, message before, after).
DATED = {
    "overdue from the end of the due date in the team's zone (Friday 24:00 Moscow)": (
        Overdue(),
        date(2026, 11, 27),
        "2026-11-26 10:00",
        MOSCOW,
        "2026-11-27 21:00",
        "",
        "overdue since 2026-11-27 (0 business days)",
    ),
    # On Saturday the next business day is Monday 2 November, which starts at 00:00 EST
    # (the clocks went back on Sunday): 05:00 UTC, not 04:00.
    "overdue days grow on the next business day, over a weekend and DST": (
        Overdue(),
        date(2026, 10, 30),
        "2026-10-31 12:00",
        NEW_YORK,
        "2026-11-02 05:00",
        "overdue since 2026-10-30 (0 business days)",
        "overdue since 2026-10-30 (1 business day)",
    ),
    # 31 Dec 2026 is a transferred day off and 1-8 Jan holidays: from Wednesday 30 Dec
    # the count next grows on Monday 11 January, 00:00 Moscow.
    "overdue days skip the Russian New Year holidays": (
        Overdue(),
        date(2026, 12, 29),
        "2026-12-30 12:00",
        RU,
        "2027-01-10 21:00",
        "overdue since 2026-12-29 (1 business day)",
        "overdue since 2026-12-29 (2 business days)",
    ),
    "due soon from the day that leaves two business days (Wednesday for a Friday)": (
        DueSoon(),
        date(2026, 11, 27),
        "2026-11-23 10:00",
        MOSCOW,
        "2026-11-24 21:00",
        "",
        "due 2026-11-27, in 2 business days",
    ),
    "due soon counts down each business day": (
        DueSoon(),
        date(2026, 11, 27),
        "2026-11-25 10:00",
        MOSCOW,
        "2026-11-25 21:00",
        "due 2026-11-27, in 2 business days",
        "due 2026-11-27, in 1 business day",
    ),
    "due soon ends with the due date (overdue's business from there)": (
        DueSoon(),
        date(2026, 11, 27),
        "2026-11-27 10:00",
        MOSCOW,
        "2026-11-27 21:00",
        "due today",
        "",
    ),
    "due soon over a weekend: nothing changes until Monday starts": (
        DueSoon(),
        date(2026, 11, 30),
        "2026-11-27 10:00",
        MOSCOW,
        "2026-11-29 21:00",
        "due 2026-11-30, in 1 business day",
        "due today",
    ),
}


@pytest.mark.parametrize(
    ("rule", "due", "now", "calendar", "turns", "before", "after"),
    list(DATED.values()),
    ids=list(DATED),
)
def test_due_date_rules_turn_exactly_when_computed_by_hand(
    rule: Rule,
    due: date,
    now: str,
    calendar: BusinessCalendar,
    turns: str,
    before: str,
    after: str,
) -> None:
    task = make_task(due=due)
    got = assert_turns_at(rule, task, at(now), calendar, at(turns))
    assert (_message(got[0]), _message(got[1])) == (before, after)


def test_stale_turns_on_the_threshold_business_day() -> None:
    # Work started Monday 2 Nov, nobody wrote since: the 5th business day after it is
    # Monday 9 Nov, from 00:00 Moscow.
    task = make_task(created=at("2026-11-02 09:00"), due=None)
    before, after = assert_turns_at(
        Stale(), task, at("2026-11-04 10:00"), MOSCOW, at("2026-11-08 21:00")
    )
    assert before == ()
    assert _messages(after) == [("stale", "warning", "no activity for 5 business days")]
    _, after = assert_turns_at(
        Stale(), task, at("2026-11-10 10:00"), MOSCOW, at("2026-11-10 21:00")
    )
    assert _messages(after)[0][2] == "no activity for 7 business days"


def test_stale_ends_when_a_comment_dated_ahead_of_now_counts() -> None:
    # The tracker's clock is ahead: a person's comment dated 15:00 exists at 10:00.
    task = make_task(
        created=at("2026-11-02 09:00"),
        due=None,
        comments=(comment(ANNA, "2026-11-10 15:00", "ok"),),
    )
    before, after = assert_turns_at(
        Stale(), task, at("2026-11-10 10:00"), MOSCOW, at("2026-11-10 15:00")
    )
    assert _messages(before)[0][0] == "stale"
    assert after == ()


CHECKPOINT_TASK = make_task(created=at("2026-11-02 09:00"), due=date(2026, 11, 27))
"""From 12:00 Moscow on 2 Nov to the end of 27 Nov (21:00 UTC): 612 hours; 35 % of it is
214 h 12 min, so the checkpoint is 11 Nov 07:12 UTC (wall time: no country set)."""


def test_checkpoint_turns_at_its_moment_then_at_the_end_of_the_grace() -> None:
    rule = Checkpoint()
    before, after = assert_turns_at(
        rule, CHECKPOINT_TASK, at("2026-11-05 10:00"), MOSCOW, at("2026-11-11 07:12")
    )
    assert before == ()
    assert [(f[0], f[3]) for f in after] == [("checkpoint", "warning")]
    before, after = assert_turns_at(
        rule, CHECKPOINT_TASK, at("2026-11-11 08:00"), MOSCOW, at("2026-11-11 11:12")
    )
    assert _messages(after)[0][1:] == (
        "error",
        "checkpoint was due 2026-11-11 10:12, no checkpoint comment (missed)",
    )
    ctx = context(at("2026-11-12 08:00"), MOSCOW)
    assert rule.valid_until(CHECKPOINT_TASK, ctx, rule.check(CHECKPOINT_TASK, ctx)) == FOREVER


def test_checkpoint_clears_when_a_comment_dated_ahead_of_now_counts() -> None:
    task = CHECKPOINT_TASK.model_copy(
        update={"comments": (comment(ANNA, "2026-11-11 10:00", "Статус: всё по плану"),)}
    )
    before, after = assert_turns_at(
        Checkpoint(), task, at("2026-11-11 08:00"), MOSCOW, at("2026-11-11 10:00")
    )
    assert _messages(before)[0][1] == "warning"
    assert after == ()
    ctx = context(at("2026-11-11 10:00"), MOSCOW)  # satisfied: for good
    assert Checkpoint().valid_until(task, ctx, None) == FOREVER


def test_checkpoint_in_business_time_skips_a_russian_holiday() -> None:
    # From Monday 2 Nov 00:00 Moscow to the end of Friday 6 Nov: business days 2, 3, 5
    # and 6 Nov (4 Nov is Unity Day). 62.5 % of 4 days is 2.5: noon on 5 November.
    task = make_task(created=at("2026-11-01 21:00"), due=date(2026, 11, 6))
    rule = Checkpoint(CheckpointParams(fraction=0.625))
    assert_turns_at(rule, task, at("2026-11-03 10:00"), RU, at("2026-11-05 09:00"))
