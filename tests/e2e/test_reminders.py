"""The reminder life cycle end to end: real cycle, real Jira connector, sandbox over HTTP."""

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


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path)


def _rules(report_plan_covers: tuple[tuple[str, str], ...]) -> set[str]:
    return {rule for rule, _ in report_plan_covers}


def test_three_rules_one_comment_then_quiet_then_only_the_new_finding(sc: Scenario) -> None:
    first = sc.cycle(TUESDAY_11)
    assert first.reconcile is not None
    assert [p.task_key for p in first.reconcile.posted] == ["SHOP-1"]
    assert _rules(first.reconcile.posted[0].covers) == {
        "required-sections",
        "overdue",
        "checkpoint",
    }
    comments = sc.bot_comments("SHOP-1")
    assert len(comments) == 1
    assert comments[0].count("Дмитрий Ковалёв") == 1  # the assignee is mentioned once
    assert "Цель" in comments[0]
    assert "Срок прошёл" in comments[0]
    assert ATTENTION_LABEL in sc.labels("SHOP-1")
    assert sc.bot_comments("SHOP-2") == []

    second = sc.cycle(TUESDAY_11 + timedelta(hours=1))
    assert second.posted == 0
    assert len(sc.bot_comments("SHOP-1")) == 1

    # The manager moves the deadline to tomorrow: overdue clears, due-soon fires.
    sc.act({"action": "update", "task": "SHOP-1", "as": "olga", "fields": {"due": "2026-11-25"}})
    third = sc.cycle(TUESDAY_11 + timedelta(hours=2))
    assert third.reconcile is not None
    assert [p.task_key for p in third.reconcile.posted] == ["SHOP-1"]
    assert _rules(third.reconcile.posted[0].covers) == {"due-soon"}
    assert len(sc.bot_comments("SHOP-1")) == 2
    assert sc.store is not None
    resolved = {r.rule for r in sc.store.findings("agency", state="resolved")}
    assert "overdue" in resolved


def test_fixed_task_loses_its_label_and_its_findings_resolve(sc: Scenario) -> None:
    sc.cycle(TUESDAY_11)
    assert ATTENTION_LABEL in sc.labels("SHOP-1")
    sc.act({"action": "transition", "task": "SHOP-1", "as": "dima", "status": "done"})
    sc.cycle(TUESDAY_11 + timedelta(hours=1))
    assert ATTENTION_LABEL not in sc.labels("SHOP-1")
    assert sc.store is not None
    assert sc.store.findings("agency") == []
    assert len(sc.bot_comments("SHOP-1")) == 1


def test_night_finding_is_queued_and_posted_once_after_nine_across_a_restart(sc: Scenario) -> None:
    night = datetime(2026, 11, 24, 3, 30, tzinfo=MOSCOW)
    report = sc.cycle(night)
    assert report.posted == 0
    assert report.reconcile is not None
    assert report.reconcile.queued_until["SHOP-1"] == datetime(2026, 11, 24, 9, 0, tzinfo=MOSCOW)
    assert sc.bot_comments("SHOP-1") == []

    sc.restart()  # the queue is ledger state: nothing in memory survives this
    assert sc.cycle(night + timedelta(hours=2)).posted == 0
    morning = sc.cycle(datetime(2026, 11, 24, 9, 5, tzinfo=MOSCOW))
    assert morning.posted == 1
    sc.restart()
    assert sc.cycle(datetime(2026, 11, 24, 9, 20, tzinfo=MOSCOW)).posted == 0
    assert len(sc.bot_comments("SHOP-1")) == 1


def test_dry_run_writes_nothing_and_prints_the_comment(tmp_path: Path) -> None:
    printed: list[str] = []
    with _scenario(tmp_path) as sc:
        sc.settings = sc.settings.model_copy(update={"dry_run": True})
        sc.restart()
        sc.runner.reconciler.echo = printed.append
        report = sc.cycle(TUESDAY_11)
        assert report.posted == 0
        assert report.reconcile is not None
        assert [p.task_key for p in report.reconcile.would_post] == ["SHOP-1"]
        assert any("would post: comment on SHOP-1" in line for line in printed)
        assert any("Срок прошёл" in line for line in printed)
        assert sc.bot_comments("SHOP-1") == []
        assert ATTENTION_LABEL not in sc.labels("SHOP-1")
        writes = [
            e
            for e in sc.server.log.entries()
            if e.method in {"POST", "PUT", "DELETE"} and not e.path.startswith("/_sandbox")
        ]
        assert [e for e in writes if "search" not in e.path] == []


def test_storm_guard_defers_beyond_the_budget(tmp_path: Path) -> None:
    with _scenario(tmp_path, budget=1) as sc:
        sc.act({"action": "update", "task": "SHOP-2", "as": "olga", "fields": {"due": None}})
        first = sc.cycle(TUESDAY_11)
        assert first.posted == 1
        assert first.deferred == 1
        second = sc.cycle(TUESDAY_11 + timedelta(minutes=5))
        assert second.posted == 1
        assert second.deferred == 0
        assert len(sc.bot_comments("SHOP-1")) == 1
        assert len(sc.bot_comments("SHOP-2")) == 1


class _scenario:
    def __init__(self, tmp: Path, **kwargs: object) -> None:
        self._gen = scenario(tmp, **kwargs)

    def __enter__(self) -> Scenario:
        return next(self._gen)

    def __exit__(self, *exc: object) -> None:
        self._gen.close()


GOAL_AND_CRITERIA = (
    "## Цель\nУвеличить выручку от рассылки на 15 % к прошлому году.\n\n"
    "## Критерии приёмки\n- макет 600 px, тёмная и светлая тема\n"
)
CRITERIA_ONLY = "## Критерии приёмки\n- макет 600 px, тёмная и светлая тема\n"


def test_a_finding_that_comes_back_is_reminded_again_only_after_the_cool_down(
    sc: Scenario,
) -> None:
    def describe(text: str) -> None:
        sc.act(
            {"action": "update", "task": "SHOP-2", "as": "olga", "fields": {"description": text}}
        )

    describe(CRITERIA_ONLY)
    assert sc.cycle(TUESDAY_11).reconcile is not None
    assert len(sc.bot_comments("SHOP-2")) == 1
    describe(GOAL_AND_CRITERIA)  # fixed: the finding resolves
    sc.cycle(TUESDAY_11 + timedelta(hours=1))
    describe(CRITERIA_ONLY)  # broken again the same way, the same day: stay quiet
    again = sc.cycle(TUESDAY_11 + timedelta(hours=2))
    assert again.reconcile is not None
    assert "SHOP-2" not in [p.task_key for p in again.reconcile.posted]
    assert len(sc.bot_comments("SHOP-2")) == 1
    later = sc.cycle(TUESDAY_11 + timedelta(days=3, hours=1))  # past the 3-day cool-down
    assert later.reconcile is not None
    plans = {p.task_key: p for p in later.reconcile.posted}
    assert "required-sections" in {rule for rule, _ in plans["SHOP-2"].covers}
    assert len(sc.bot_comments("SHOP-2")) == 2


def test_dry_run_at_night_shows_the_reminder_as_queued(tmp_path: Path) -> None:
    printed: list[str] = []
    with _scenario(tmp_path) as sc:
        sc.settings = sc.settings.model_copy(update={"dry_run": True})
        sc.restart()
        sc.runner.reconciler.echo = printed.append
        report = sc.cycle(datetime(2026, 11, 24, 3, 30, tzinfo=MOSCOW))
        assert report.posted == 0
        assert any("queued until Tue 09:00" in line and "SHOP-1" in line for line in printed)
        assert sc.bot_comments("SHOP-1") == []


def test_changed_scope_resyncs_and_forgets_tasks_outside_it(tmp_path: Path) -> None:
    with _scenario(tmp_path) as sc:
        sc.cycle(TUESDAY_11)
        assert sc.store is not None
        assert sc.store.task_keys("agency") == {"SHOP-1", "SHOP-2"}
        data = sc.policy.model_dump(mode="json")
        data["sources"][0]["scope"] = {"jql": "project = SHOP AND key = SHOP-2"}
        sc.policy = type(sc.policy).model_validate(data)
        sc.restart()
        report = sc.cycle(TUESDAY_11 + timedelta(hours=1))
        assert report.synced == 1
        assert sc.store is not None
        assert sc.store.task_keys("agency") == {"SHOP-2"}
        assert sc.store.findings("agency") == []  # SHOP-1's findings resolved with it
        # ...and nothing more was said there.
        assert sc.server.log.count("POST", r"/issue/SHOP-1/comment$") == 1


def test_optional_thank_you_once_everything_reminded_about_is_fixed(tmp_path: Path) -> None:
    with _scenario(tmp_path) as sc:
        data = sc.policy.model_dump(mode="json")
        data["sources"][0]["thank_when_fixed"] = True
        sc.policy = type(sc.policy).model_validate(data)
        sc.restart()
        sc.act(
            {
                "action": "update",
                "task": "SHOP-2",
                "as": "olga",
                "fields": {"description": CRITERIA_ONLY},
            }
        )
        sc.cycle(TUESDAY_11)
        assert len(sc.bot_comments("SHOP-2")) == 1
        sc.act(
            {
                "action": "update",
                "task": "SHOP-2",
                "as": "olga",
                "fields": {"description": GOAL_AND_CRITERIA},
            }
        )
        sc.cycle(TUESDAY_11 + timedelta(hours=1))
        comments = sc.bot_comments("SHOP-2")
        assert len(comments) == 2
        assert "Всё, о чём я напоминал, поправлено" in comments[1]
        assert "Дмитрий" not in comments[1]  # no mention: nothing to do for anyone
        sc.cycle(TUESDAY_11 + timedelta(hours=2))
        assert len(sc.bot_comments("SHOP-2")) == 2  # thanked once
        thanks = "Всё, о чём я напоминал"
        assert all(thanks not in c for c in sc.bot_comments("SHOP-1"))  # still broken


def test_a_task_taken_out_of_the_scope_is_swept_out(tmp_path: Path) -> None:
    with _scenario(tmp_path) as sc:
        data = sc.policy.model_dump(mode="json")
        data["sources"][0]["scope"] = {"jql": "project = SHOP AND issuetype != Epic"}
        sc.policy = type(sc.policy).model_validate(data)
        sc.restart()
        sc.cycle(TUESDAY_11)
        assert sc.store is not None
        assert "SHOP-1" in sc.store.open_task_keys("agency")
        sc.act({"action": "update", "task": "SHOP-1", "as": "olga", "fields": {"type": "Epic"}})
        sc.cycle(TUESDAY_11 + timedelta(hours=1))  # incremental sync cannot see it leave
        assert "SHOP-1" in sc.store.open_task_keys("agency")
        sc.cycle(TUESDAY_11 + timedelta(hours=7))  # past scope_sweep_every (6 h)
        assert sc.store.open_task_keys("agency") == {"SHOP-2"}
        assert [f for f in sc.store.findings("agency") if f.task_key == "SHOP-1"] == []
