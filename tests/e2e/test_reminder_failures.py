"""Reminders when the tracker misbehaves: failed posts, rate limits, nights and relapses.

Every case runs the real cycle against the sandbox Jira over HTTP with faults injected at
the HTTP layer, and counts what actually reached the tracker.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syncd.reconcile import ATTENTION_LABEL
from tests.e2e.scenario import Scenario, scenario

MOSCOW = ZoneInfo("Europe/Moscow")
TUESDAY_11 = datetime(2026, 11, 24, 11, 0, tzinfo=MOSCOW)
COMMENT_POST = r"/issue/[^/]+/comment$"
CRITERIA_ONLY = "## Критерии приёмки\n- макет 600 px, тёмная и светлая тема\n"
GOAL_AND_CRITERIA = "## Цель\nУвеличить выручку на 15 % к прошлому году.\n\n" + CRITERIA_ONLY


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path)


@pytest.fixture
def sc_budget_1(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path, budget=1)


def _comment_posts(sc: Scenario) -> int:
    return sc.server.log.count("POST", COMMENT_POST)


def _break_shop2(sc: Scenario, text: str = CRITERIA_ONLY) -> None:
    sc.act({"action": "update", "task": "SHOP-2", "as": "olga", "fields": {"description": text}})


def test_a_claim_cancelled_before_posting_does_not_block_the_finding_forever(
    sc: Scenario,
) -> None:
    _break_shop2(sc)
    sc.server.faults.add(kind="drop", method="POST", path=r"/issue/SHOP-2/comment$")
    sc.cycle(TUESDAY_11)
    assert sc.bot_comments("SHOP-2") == []
    _break_shop2(sc, GOAL_AND_CRITERIA)  # fixed before the retry: the claim is dropped
    sc.cycle(TUESDAY_11 + timedelta(hours=1))
    assert sc.store is not None
    assert [a.task_key for a in sc.store.actions("agency") if a.task_key == "SHOP-2"] == []
    _break_shop2(sc)  # the same problem again: it is reminded about (nothing was ever said)
    again = sc.cycle(TUESDAY_11 + timedelta(hours=2))
    assert again.reconcile is not None
    assert "SHOP-2" in [p.task_key for p in again.reconcile.posted]
    assert len(sc.bot_comments("SHOP-2")) == 1


def test_storm_guard_counts_failed_attempts_and_resumed_claims(sc_budget_1: Scenario) -> None:
    sc = sc_budget_1
    _break_shop2(sc)
    sc.server.faults.add(kind="drop", method="POST", path=COMMENT_POST, times=None)
    first = sc.cycle(TUESDAY_11)
    assert (first.failed, first.deferred) == (1, 1)
    assert _comment_posts(sc) <= 1  # dropped connections may not be logged at all
    sc.server.faults.clear()
    for hour in (1, 2):
        before = _comment_posts(sc)
        sc.cycle(TUESDAY_11 + timedelta(hours=hour))
        assert _comment_posts(sc) - before == 1  # the budget holds after the outage
    assert len(sc.bot_comments("SHOP-1")) == 1
    assert len(sc.bot_comments("SHOP-2")) == 1


def test_a_rate_limit_stops_writing_for_the_cycle(sc: Scenario) -> None:
    _break_shop2(sc)
    sc.server.faults.add(
        kind="status", status=429, retry_after=42, method="POST", path=COMMENT_POST
    )
    report = sc.cycle(TUESDAY_11)
    assert report.reconcile is not None
    assert report.reconcile.retry_after is not None
    assert report.reconcile.retry_after >= 42
    assert report.posted == 0
    assert report.deferred == 1  # the second task was not even tried
    assert _comment_posts(sc) == 1


def test_a_claim_left_in_the_evening_waits_for_the_morning(sc: Scenario) -> None:
    evening = datetime(2026, 11, 24, 18, 55, tzinfo=MOSCOW)
    sc.server.faults.add(kind="drop", method="POST", path=COMMENT_POST)
    assert sc.cycle(evening).failed == 1
    night = sc.cycle(datetime(2026, 11, 25, 3, 30, tzinfo=MOSCOW))
    assert night.posted == 0
    assert night.reconcile is not None
    assert night.reconcile.queued_until["SHOP-1"] == datetime(2026, 11, 25, 9, 0, tzinfo=MOSCOW)
    assert sc.bot_comments("SHOP-1") == []
    assert sc.cycle(datetime(2026, 11, 25, 9, 5, tzinfo=MOSCOW)).posted == 1
    assert len(sc.bot_comments("SHOP-1")) == 1


def test_a_failed_label_removal_is_retried(sc: Scenario) -> None:
    sc.cycle(TUESDAY_11)
    assert ATTENTION_LABEL in sc.labels("SHOP-1")
    sc.act(
        {
            "action": "update",
            "task": "SHOP-1",
            "as": "olga",
            "fields": {"due": "2026-12-10", "description": GOAL_AND_CRITERIA},
        }
    )
    sc.act(
        {
            "action": "comment",
            "task": "SHOP-1",
            "author": "dima",
            "body": "Статус: аудит почти готов.",
        }
    )
    sc.server.faults.add(
        kind="status", status=400, method="PUT", path=r"/issue/SHOP-1$", times=None
    )
    sc.cycle(TUESDAY_11 + timedelta(hours=1))
    assert ATTENTION_LABEL in sc.labels("SHOP-1")
    sc.server.faults.clear()
    sc.cycle(TUESDAY_11 + timedelta(hours=2))
    assert ATTENTION_LABEL not in sc.labels("SHOP-1")
