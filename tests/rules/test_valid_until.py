"""How long a verdict holds: ``Rule.valid_until`` and ``TaskResult.valid_until``.

A caller keeps a task's findings until ``valid_until`` instead of evaluating it again, so
a bound later than the truth is a missing reminder. These tests check the engine's
plumbing (exempt, crashed, silent and content-only rules) here, and each time-driven
rule's bound (exact by hand, and held over generated tasks) below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config.policy import RuleScope
from rules.base import FOREVER, Context, Rule, TimelessRule
from rules.engine import Engine, ScopedRule
from rules.registry import get_rule
from syncd.core.models import Finding, Task
from tests.rules.factory import at, make_task

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


class _Fixed(TimelessRule):
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
    for bad in (NOW, NOW - timedelta(seconds=1), None, RuntimeError("boom")):
        (result,) = _engine(_Fixed(later), _Fixed(bad)).iter_results([make_task()], NOW)
        assert result.valid_until is None, bad
        assert len(result.findings) == 2
        assert result.failed == ()


def test_forever_is_aware_utc_and_far() -> None:
    assert FOREVER.tzinfo is UTC
    assert datetime(9000, 1, 1, tzinfo=UTC) < FOREVER
