"""Hostile cases for kept results in the cycle (real cycle, real Jira connector, sandbox
over HTTP, real SQLite): the ledger's digest kept beside a task's result must never make
a cycle skip findings the ledger does not hold, or a reminder is missed while the digest
(which evaluates afresh) still lists the violation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from config.policy import Policy
from syncd.commands.check import collect
from syncd.core.clock import FrozenClock
from syncd.source_cycle import CycleReport
from tests.e2e.scenario import Scenario, scenario

MOSCOW = ZoneInfo("Europe/Moscow")
TUESDAY_11 = datetime(2026, 11, 24, 11, 0, tzinfo=MOSCOW)
CONTENT_RULES = [
    {"rule": "required-sections", "params": {"sections": ["goal", "acceptance"]}},
    {"rule": "due-date"},
    {"rule": "single-owner"},
]


def _with_rules(sc: Scenario, rules: list[dict[str, Any]], **source: Any) -> None:
    data = sc.policy.model_dump(mode="json")
    data["rules"] = rules
    data["sources"][0].update(source)
    sc.policy = Policy.model_validate(data)
    sc.restart()


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    for opened in scenario(tmp_path):
        _with_rules(opened, CONTENT_RULES, labels_on_finding=False)
        yield opened


def _cycle(sc: Scenario, at: datetime) -> CycleReport:
    report = sc.cycle(at)
    assert report.reconcile is not None
    return report


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
