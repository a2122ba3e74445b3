"""Hostile cases for kept results in the cycle (real cycle, real Jira connector, sandbox
over HTTP, real SQLite): the ledger's digest kept beside a task's result must never make
a cycle skip findings the ledger does not hold, or a reminder is missed while the digest
(which evaluates afresh) still lists the violation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from config.policy import RuleScope
from rules.base import Context
from rules.builtin.overdue import Overdue
from rules.engine import Engine, ScopedRule
from syncd.commands.check import collect
from syncd.core.clock import FrozenClock
from syncd.core.models import Finding, Task
from syncd.reminders import ATTENTION_LABEL
from syncd.store.migrate import alembic_config
from tests.e2e.scenario import Scenario
from tests.e2e.test_kept_cycle import (
    CONTENT_RULES,
    MOSCOW,
    TUESDAY_11,
    _cycle,
    _with_rules,
    kept_scenario,
)


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from kept_scenario(tmp_path)


def _open_ledger(sc: Scenario) -> set[tuple[str, str]]:
    assert sc.store is not None
    return {(r.task_key, r.rule) for r in sc.store.findings("agency")}


def _checked(sc: Scenario, at: datetime) -> set[tuple[str, str]]:
    assert sc.store is not None
    rows = collect(sc.policy, sc.store, sc.runner.engine, at, ["agency"], keep=False)
    return {(f.task_key, f.rule) for f, _ in rows}


def test_a_reopened_task_has_its_findings_recorded_and_reminded_again(sc: Scenario) -> None:
    """Closing resolves the findings in the ledger; reopening with the same description
    brings the very same findings back. The kept row still names the ledger's digest from
    before the close: taken at its word, the findings would never be recorded again, no
    reminder would follow, and the digest would list a violation no reminder names."""
    assert _cycle(sc, TUESDAY_11).posted == 1
    _cycle(sc, TUESDAY_11 + timedelta(minutes=5))  # reads syncd's own comment back
    sc.act({"action": "transition", "task": "SHOP-1", "as": "dima", "status": "done"})
    _cycle(sc, TUESDAY_11 + timedelta(hours=1))
    assert _open_ledger(sc) == set()
    sc.act({"action": "transition", "task": "SHOP-1", "as": "olga", "status": "in_progress"})
    later = TUESDAY_11 + timedelta(days=7)  # past the cool-down of a fixed finding
    back = _cycle(sc, later)
    assert _open_ledger(sc) == {("SHOP-1", "required-sections")} == _checked(sc, later)
    assert back.posted == 1
    assert len(sc.bot_comments("SHOP-1")) == 2
    _cycle(sc, later + timedelta(minutes=5))
    assert _cycle(sc, later + timedelta(minutes=10)).posted == 0
    assert len(sc.bot_comments("SHOP-1")) == 2


def test_a_task_closed_by_a_webhook_and_reopened_is_reminded_again(sc: Scenario) -> None:
    """The same through a webhook's re-read: it resolves the closed task's findings
    without evaluating anything, so the kept digest of the ledger must be dropped too."""
    assert _cycle(sc, TUESDAY_11).posted == 1
    _cycle(sc, TUESDAY_11 + timedelta(minutes=5))
    sc.act({"action": "transition", "task": "SHOP-1", "as": "dima", "status": "done"})
    sc.runner.clock = FrozenClock(TUESDAY_11 + timedelta(minutes=30))
    sc.runner.refresh("SHOP-1")
    assert _open_ledger(sc) == set()
    sc.act({"action": "transition", "task": "SHOP-1", "as": "olga", "status": "in_progress"})
    later = TUESDAY_11 + timedelta(days=7)
    assert _cycle(sc, later).posted == 1
    assert _open_ledger(sc) == {("SHOP-1", "required-sections")} == _checked(sc, later)
    assert len(sc.bot_comments("SHOP-1")) == 2


def _back_to_0004(sc: Scenario) -> None:
    """The store as the syncd before kept results left it: schema 0004, no content
    digests, no kept rows; the ledger, its reminders and the queue as they were."""
    sc.shutdown_syncd()
    engine = sa.create_engine(sc.settings.resolved_state_url())
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        assert "kept_results" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    sc.restart()  # opening the store upgrades it again


def test_an_upgraded_store_reminds_nothing_twice_and_posts_what_was_queued(
    sc: Scenario,
) -> None:
    assert _cycle(sc, TUESDAY_11).posted == 1  # SHOP-1
    _cycle(sc, TUESDAY_11 + timedelta(minutes=5))
    sc.act({"action": "update", "task": "SHOP-2", "as": "olga", "fields": {"due": None}})
    evening = datetime(2026, 11, 24, 22, 0, tzinfo=MOSCOW)
    assert _cycle(sc, evening).queued == 1  # SHOP-2, outside working hours
    _back_to_0004(sc)
    late = _cycle(sc, evening + timedelta(minutes=30))
    assert (late.posted, late.queued, late.evaluated) == (0, 1, 2)
    morning = datetime(2026, 11, 25, 9, 5, tzinfo=MOSCOW)
    first = _cycle(sc, morning)
    assert first.reconcile is not None
    assert [p.task_key for p in first.reconcile.posted] == ["SHOP-2"]
    for minutes in (5, 10):
        assert _cycle(sc, morning + timedelta(minutes=minutes)).posted == 0
    assert (len(sc.bot_comments("SHOP-1")), len(sc.bot_comments("SHOP-2"))) == (1, 1)
    assert _open_ledger(sc) == _checked(sc, morning)


class _FlakyOverdue(Overdue):
    """The real overdue rule, crashing on SHOP-1 while ``broken`` (a bug met by one task)."""

    broken = False

    def check_until(self, task: Task, ctx: Context) -> tuple[Finding | None, datetime | None]:
        if self.broken and task.key == "SHOP-1":
            raise RuntimeError("boom")
        return super().check_until(task, ctx)


def test_a_rule_crashing_on_a_task_keeps_its_findings_and_evaluates_it_every_cycle(
    sc: Scenario,
) -> None:
    _with_rules(sc, CONTENT_RULES, labels_on_finding=False, thank_when_fixed=True)
    flaky = _FlakyOverdue()
    rules = [*sc.runner.engine.rules, ScopedRule.build(flaky, RuleScope())]
    sc.runner.engine = Engine(rules, calendars=sc.runner.engine.calendars)
    first = _cycle(sc, TUESDAY_11)
    assert first.posted == 1
    assert _open_ledger(sc) == {("SHOP-1", "required-sections"), ("SHOP-1", "overdue")}
    _cycle(sc, TUESDAY_11 + timedelta(minutes=5))
    flaky.broken = True
    for minutes in (0, 5, 10):
        report = _cycle(sc, TUESDAY_11 + timedelta(days=1, minutes=minutes))
        assert report.evaluated == 1  # SHOP-1 again each time, SHOP-2's result holds
        assert report.posted == 0
        assert _open_ledger(sc) == {("SHOP-1", "required-sections"), ("SHOP-1", "overdue")}
    flaky.broken = False
    healed = _cycle(sc, TUESDAY_11 + timedelta(days=1, minutes=15))
    assert healed.posted == 0
    assert _cycle(sc, TUESDAY_11 + timedelta(days=1, minutes=20)).evaluated == 0
    assert _open_ledger(sc) == {("SHOP-1", "required-sections"), ("SHOP-1", "overdue")}
    assert len(sc.bot_comments("SHOP-1")) == 1


FIXED = "## Цель\nУвеличить конверсию на 5 %.\n\n## Критерии приёмки\n- отчёт с 20 пунктами\n"


def _describe(sc: Scenario, text: str) -> None:
    sc.act({"action": "update", "task": "SHOP-1", "as": "olga", "fields": {"description": text}})


def test_a_finding_fixed_then_back_is_reminded_once_after_the_cool_down(sc: Scenario) -> None:
    assert _cycle(sc, TUESDAY_11).posted == 1
    _cycle(sc, TUESDAY_11 + timedelta(minutes=5))
    _describe(sc, FIXED)
    _cycle(sc, TUESDAY_11 + timedelta(minutes=10))
    assert _open_ledger(sc) == set()
    _describe(sc, "Нужно сделать аудит сайта.")
    back = TUESDAY_11 + timedelta(minutes=15)
    assert _cycle(sc, back).posted == 0  # within the cool-down: quiet
    assert _open_ledger(sc) == {("SHOP-1", "required-sections")} == _checked(sc, back)
    for days in (1, 2):
        assert _cycle(sc, back + timedelta(days=days)).posted == 0
    after = TUESDAY_11 + timedelta(days=3, minutes=20)  # Friday, past the three days
    assert _cycle(sc, after).posted == 1
    _cycle(sc, after + timedelta(minutes=5))
    assert _cycle(sc, after + timedelta(minutes=10)).posted == 0
    assert len(sc.bot_comments("SHOP-1")) == 2


def test_an_exempt_label_added_then_removed(sc: Scenario) -> None:
    """Exempt, the task's findings resolve; without the label again, they are back."""
    assert _cycle(sc, TUESDAY_11).posted == 1
    _cycle(sc, TUESDAY_11 + timedelta(minutes=5))
    sc.act({"action": "update", "task": "SHOP-1", "as": "olga", "fields": {"labels": ["no-syncd"]}})
    _cycle(sc, TUESDAY_11 + timedelta(minutes=10))
    assert _open_ledger(sc) == set() == _checked(sc, TUESDAY_11 + timedelta(minutes=10))
    sc.act({"action": "update", "task": "SHOP-1", "as": "olga", "fields": {"labels": []}})
    _cycle(sc, TUESDAY_11 + timedelta(minutes=15))
    assert _open_ledger(sc) == {("SHOP-1", "required-sections")}
    assert len(sc.bot_comments("SHOP-1")) == 1  # back within the cool-down


def test_report_only_switched_to_enforce_posts_the_recorded_findings_once(sc: Scenario) -> None:
    """``enforce`` is no part of the engine: the kept results stay valid across the switch,
    and the findings recorded but never reminded about must still be posted."""
    _with_rules(sc, CONTENT_RULES, labels_on_finding=False, enforce=False)
    assert _cycle(sc, TUESDAY_11).posted == 0
    assert _open_ledger(sc) == {("SHOP-1", "required-sections")}
    _with_rules(sc, CONTENT_RULES, labels_on_finding=False, enforce=True)  # SIGHUP, restart
    switched = _cycle(sc, TUESDAY_11 + timedelta(minutes=5))
    assert (switched.evaluated, switched.posted) == (0, 1)
    _cycle(sc, TUESDAY_11 + timedelta(minutes=10))
    assert _cycle(sc, TUESDAY_11 + timedelta(minutes=15)).posted == 0
    assert len(sc.bot_comments("SHOP-1")) == 1


def test_check_at_other_moments_between_cycles_changes_nothing(sc: Scenario) -> None:
    """``check --at`` a month ahead, then a week back, keeps results computed at those
    moments: the cycles between must neither post nor resolve anything for them."""
    _with_rules(sc, [*CONTENT_RULES, {"rule": "overdue"}], labels_on_finding=False)
    assert sc.store is not None
    assert _cycle(sc, TUESDAY_11).posted == 1  # SHOP-1: sections, overdue
    expected = {("SHOP-1", "required-sections"), ("SHOP-1", "overdue")}
    for n, at in enumerate((TUESDAY_11 + timedelta(days=30), TUESDAY_11 - timedelta(days=7))):
        rows = collect(sc.policy, sc.store, sc.runner.engine, at, ["agency"])
        assert {(f.task_key, f.rule) for f, _ in rows} == _checked(sc, at)
        report = _cycle(sc, TUESDAY_11 + timedelta(minutes=5 * (n + 1)))
        assert report.posted == 0
        assert _open_ledger(sc) == expected == _checked(sc, TUESDAY_11)
    assert len(sc.bot_comments("SHOP-1")) == 1
    assert sc.bot_comments("SHOP-2") == []


COMMENT_POST = r"/issue/[^/]+/comment$"


def test_reminders_refused_with_429_are_posted_once_in_later_cycles(sc: Scenario) -> None:
    sc.act({"action": "update", "task": "SHOP-2", "as": "olga", "fields": {"due": None}})
    sc.server.faults.add(kind="status", status=429, retry_after=1, method="POST", path=COMMENT_POST)
    first = _cycle(sc, TUESDAY_11)
    assert (first.posted, first.failed, first.deferred) == (0, 1, 1)
    for minutes in (5, 10, 15, 20):
        _cycle(sc, TUESDAY_11 + timedelta(minutes=minutes))
    assert (len(sc.bot_comments("SHOP-1")), len(sc.bot_comments("SHOP-2"))) == (1, 1)


def test_a_reminder_whose_label_failed_gets_its_label_later_and_no_second_comment(
    sc: Scenario,
) -> None:
    _with_rules(sc, CONTENT_RULES, labels_on_finding=True)
    sc.server.faults.add(kind="status", status=400, method="PUT", path=r"/issue/SHOP-1$")
    first = _cycle(sc, TUESDAY_11)
    assert first.failed == 1
    assert ATTENTION_LABEL not in sc.labels("SHOP-1")
    for minutes in (5, 10, 15):
        _cycle(sc, TUESDAY_11 + timedelta(minutes=minutes))
    assert ATTENTION_LABEL in sc.labels("SHOP-1")
    assert len(sc.bot_comments("SHOP-1")) == 1
