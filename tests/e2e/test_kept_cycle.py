"""The cycle with kept results, end to end (real cycle, real Jira connector, sandbox over
HTTP): an idle cycle evaluates nothing and writes nothing to the ledger, yet reminders
still due for unchanged findings (queued overnight, deferred by the budget, findings that
``check`` kept before any cycle recorded them) are posted exactly once, time-driven
findings still appear, and a closed task's findings resolve."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from config.policy import Policy
from syncd.commands.check import collect
from syncd.source_cycle import CycleReport
from tests.e2e.scenario import Scenario, scenario

MOSCOW = ZoneInfo("Europe/Moscow")
TUESDAY_11 = datetime(2026, 11, 24, 11, 0, tzinfo=MOSCOW)
CONTENT_RULES = [
    {"rule": "required-sections", "params": {"sections": ["goal", "acceptance"]}},
    {"rule": "due-date"},
    {"rule": "single-owner"},
]
"""Rules that depend on the task alone: their results are kept until it changes."""


def _with_rules(sc: Scenario, rules: list[dict[str, Any]], **source: Any) -> None:
    data = sc.policy.model_dump(mode="json")
    data["rules"] = rules
    data["sources"][0].update(source)
    sc.policy = Policy.model_validate(data)
    sc.restart()


def kept_scenario(tmp_path: Path) -> Iterator[Scenario]:
    """The agency scenario with the content rules alone, and no labels."""
    for opened in scenario(tmp_path):
        _with_rules(opened, CONTENT_RULES, labels_on_finding=False)
        yield opened


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from kept_scenario(tmp_path)


def _ledger(sc: Scenario) -> list[tuple[str, str, str, datetime]]:
    assert sc.store is not None
    rows = sc.store.findings("agency", state=None)
    return [(r.task_key, r.rule, r.state, r.last_seen) for r in rows]


def _cycle(sc: Scenario, at: datetime) -> CycleReport:
    report = sc.cycle(at)
    assert report.reconcile is not None
    return report


def test_an_idle_cycle_evaluates_nothing_writes_nothing_and_posts_nothing(sc: Scenario) -> None:
    first = _cycle(sc, TUESDAY_11)
    assert first.evaluated == 2
    assert first.posted == 1  # SHOP-1: no goal, no criteria
    _cycle(sc, TUESDAY_11 + timedelta(minutes=5))  # reads syncd's own comment back
    ledger = _ledger(sc)
    idle = _cycle(sc, TUESDAY_11 + timedelta(minutes=10))
    assert (idle.evaluated, idle.reconciled) == (0, 0)
    assert (idle.posted, idle.findings) == (0, first.findings)
    assert idle.rule_counts == first.rule_counts
    assert _ledger(sc) == ledger  # not one ledger row rewritten
    assert len(sc.bot_comments("SHOP-1")) == 1
    assert [(f.task_key, f.rule) for f in idle.findings_list] == [
        (f.task_key, f.rule) for f in first.findings_list
    ]


def test_a_time_driven_finding_appears_and_is_reminded_once(sc: Scenario) -> None:
    _with_rules(sc, [*CONTENT_RULES, {"rule": "overdue"}], labels_on_finding=False)
    _cycle(sc, TUESDAY_11)
    _cycle(sc, TUESDAY_11 + timedelta(minutes=5))
    assert sc.bot_comments("SHOP-2") == []
    after_due = datetime(2026, 12, 7, 10, 0, tzinfo=MOSCOW)  # SHOP-2 was due on 4 Dec
    late = _cycle(sc, after_due)
    assert late.reconcile is not None
    assert [p.task_key for p in late.reconcile.posted] == ["SHOP-2"]
    assert {r for r, _ in late.reconcile.posted[0].covers} == {"overdue"}
    for minutes in (5, 10):
        assert _cycle(sc, after_due + timedelta(minutes=minutes)).posted == 0
    assert len(sc.bot_comments("SHOP-2")) == 1


def test_a_reminder_queued_overnight_is_posted_in_the_morning_though_nothing_changed(
    sc: Scenario,
) -> None:
    night = datetime(2026, 11, 24, 3, 30, tzinfo=MOSCOW)
    assert _cycle(sc, night).posted == 0
    quiet = _cycle(sc, night + timedelta(hours=2))
    assert (quiet.evaluated, quiet.posted) == (0, 0)
    assert quiet.queued == 1  # still queued: found although its task was not evaluated
    morning = _cycle(sc, datetime(2026, 11, 24, 9, 5, tzinfo=MOSCOW))
    assert morning.posted == 1
    _cycle(sc, datetime(2026, 11, 24, 9, 10, tzinfo=MOSCOW))
    assert _cycle(sc, datetime(2026, 11, 24, 9, 20, tzinfo=MOSCOW)).posted == 0
    assert len(sc.bot_comments("SHOP-1")) == 1


def test_reminders_deferred_by_the_budget_follow_in_later_cycles(sc: Scenario) -> None:
    _with_rules(sc, CONTENT_RULES, labels_on_finding=False, max_actions_per_cycle=1)
    sc.act({"action": "update", "task": "SHOP-2", "as": "olga", "fields": {"due": None}})
    first = _cycle(sc, TUESDAY_11)
    assert (first.posted, first.deferred) == (1, 1)
    second = _cycle(sc, TUESDAY_11 + timedelta(minutes=5))
    assert (second.posted, second.deferred) == (1, 0)
    for minutes in (10, 15):
        assert _cycle(sc, TUESDAY_11 + timedelta(minutes=minutes)).posted == 0
    assert len(sc.bot_comments("SHOP-1")) == 1
    assert len(sc.bot_comments("SHOP-2")) == 1


def test_findings_kept_by_check_are_still_recorded_and_reminded(sc: Scenario) -> None:
    """``check`` keeps results but never touches the ledger: the cycle after it must not
    take the kept findings for recorded ones."""
    sc.runner.sync(TUESDAY_11)
    assert sc.store is not None
    engine = sc.runner.engine
    rows = collect(sc.policy, sc.store, engine, TUESDAY_11, ["agency"])
    assert {f.task_key for f, _ in rows} == {"SHOP-1"}
    assert sc.store.count_kept_results("agency") == 2
    report = _cycle(sc, TUESDAY_11 + timedelta(minutes=1))
    assert report.evaluated == 0
    assert report.posted == 1
    assert {(k, rule) for k, rule, state, _ in _ledger(sc) if state == "open"} == {
        ("SHOP-1", "required-sections")
    }


def test_a_closed_task_has_its_findings_resolved(sc: Scenario) -> None:
    _cycle(sc, TUESDAY_11)
    sc.act({"action": "transition", "task": "SHOP-1", "as": "dima", "status": "done"})
    _cycle(sc, TUESDAY_11 + timedelta(hours=1))
    assert sc.store is not None
    assert sc.store.findings("agency") == []
    assert len(sc.bot_comments("SHOP-1")) == 1


def test_findings_below_the_reminder_threshold_are_not_pending(sc: Scenario) -> None:
    """They are never reminded about, so an idle cycle need not reconcile their tasks."""
    rules = [{**rule, "severity": "warning"} for rule in CONTENT_RULES]
    _with_rules(sc, rules, labels_on_finding=False, remind_min_severity="error")
    first = _cycle(sc, TUESDAY_11)
    assert (first.findings, first.posted) == (1, 0)
    idle = _cycle(sc, TUESDAY_11 + timedelta(minutes=5))
    assert (idle.evaluated, idle.reconciled, idle.posted) == (0, 0, 0)
    assert sc.bot_comments("SHOP-1") == []
