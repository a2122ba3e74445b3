"""A reminder is recognised on the tracker by its task, rules and fingerprints — never by the
name of the source that posted it. Real cycle, real connectors, sandbox trackers over HTTP.

Each test makes the operator mistake and counts the bot's comments on the task: a renamed
source, a second syncd with a fresh state, a restored old backup, and comments written by
an older syncd (whose marker only hashed the source name in)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syncd.reminders import Plan, marker_for, plan_payload
from tests.e2e.scenario import Scenario, scenario

TUESDAY_11 = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture(params=["jira-cloud", "jira-dc", "gitlab"])
def sc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path, flavour=request.param)


def _fresh_state(sc: Scenario) -> None:
    """A second syncd on the same tracker: same policy, an empty state directory."""
    sc.shutdown_syncd()
    (sc.tmp / "syncd.db").unlink()
    sc.restart()


def test_renaming_the_source_posts_nothing_twice(sc: Scenario) -> None:
    first = sc.cycle(TUESDAY_11)
    assert first.reconcile is not None
    assert [p.task_key for p in first.reconcile.posted] == [sc.key(1)]
    assert len(sc.bot_comments(sc.key(1))) == 1

    sc.rename_source("agency-renamed")
    second = sc.cycle(TUESDAY_11 + timedelta(hours=1))
    assert second.posted == 0
    assert len(sc.bot_comments(sc.key(1))) == 1
    # The new name's ledger knows the findings as reminded: quiet from now on.
    assert sc.store is not None
    open_rows = sc.store.findings("agency-renamed")
    assert open_rows
    assert all(r.notified_marker for r in open_rows)
    assert sc.cycle(TUESDAY_11 + timedelta(hours=2)).posted == 0
    assert len(sc.bot_comments(sc.key(1))) == 1


def test_a_second_installation_with_a_fresh_state_posts_nothing_twice(sc: Scenario) -> None:
    sc.cycle(TUESDAY_11)
    assert len(sc.bot_comments(sc.key(1))) == 1
    _fresh_state(sc)
    sc.cycle(TUESDAY_11 + timedelta(hours=1))
    assert len(sc.bot_comments(sc.key(1))) == 1


def test_a_restored_old_backup_posts_neither_old_nor_new_reminders_again(sc: Scenario) -> None:
    sc.cycle(TUESDAY_11)
    sc.shutdown_syncd()
    shutil.copy(sc.tmp / "syncd.db", sc.tmp / "backup.db")
    sc.restart()
    # A new finding after the backup: the manager moves the deadline to tomorrow.
    sc.act({"action": "update", "task": "SHOP-1", "as": "olga", "fields": {"due": "2026-11-25"}})
    later = sc.cycle(TUESDAY_11 + timedelta(hours=1))
    assert later.posted == 1
    assert len(sc.bot_comments(sc.key(1))) == 2

    sc.shutdown_syncd()
    shutil.copy(sc.tmp / "backup.db", sc.tmp / "syncd.db")
    sc.restart()
    sc.cycle(TUESDAY_11 + timedelta(hours=2))
    assert len(sc.bot_comments(sc.key(1))) == 2


def _planned(sc: Scenario) -> Plan:
    """The reminder syncd would post on SHOP-1 now (a dry run: nothing recorded)."""
    sc.settings = sc.settings.model_copy(update={"dry_run": True})
    sc.restart()
    sc.runner.reconciler.echo = lambda _line: None
    report = sc.cycle(TUESDAY_11)
    assert report.reconcile is not None
    [plan] = report.reconcile.would_post
    sc.settings = sc.settings.model_copy(update={"dry_run": False})
    sc.restart()
    return plan


def _post_as_old_syncd(sc: Scenario, plan: Plan, source: str) -> str:
    """What syncd wrote before reminders named their findings: a tag with the marker alone,
    a hash over the source name, the task, the generation and the findings."""
    marker = marker_for(source, plan.task_key, plan.covers, 0)
    old = replace(plan.reminder, marker=marker, covers=(), generation=0)
    sc.runner.connector.post_reminder(plan.task_key, old)
    [posted] = sc.runner.connector.posted_reminders(plan.task_key)
    assert posted.covers is None  # the old format indeed
    return marker


def test_an_older_syncds_comment_is_recognised_with_a_fresh_state(sc: Scenario) -> None:
    plan = _planned(sc)
    _post_as_old_syncd(sc, plan, "agency")
    sc.cycle(TUESDAY_11 + timedelta(minutes=5))
    assert len(sc.bot_comments(sc.key(1))) == 1


def test_an_older_syncds_comment_is_recognised_after_a_rename(sc: Scenario) -> None:
    plan = _planned(sc)
    marker = _post_as_old_syncd(sc, plan, "agency")
    store = sc.store
    assert store is not None
    # The old syncd's ledger: the claim and its confirmation, as it recorded them.
    payload = plan_payload(replace(plan, marker=marker))
    assert store.claim_action(
        marker,
        source="agency",
        task_key=plan.task_key,
        kind="comment",
        payload=payload,
        owner="old-syncd",
        now=TUESDAY_11,
    )
    store.confirm_reminder(
        marker, "1", source="agency", task_key=plan.task_key, covers=(), now=TUESDAY_11
    )
    sc.rename_source("agency-renamed")
    assert sc.cycle(TUESDAY_11 + timedelta(minutes=5)).posted == 0
    assert len(sc.bot_comments(sc.key(1))) == 1


def test_only_the_findings_no_comment_names_yet_are_posted(sc: Scenario) -> None:
    plan = _planned(sc)
    assert len(plan.covers) >= 2
    first, *rest = plan.covers
    # Another installation reminded about the first finding only.
    elsewhere = replace(plan.reminder, marker="r-elsewhere").only({first})
    assert elsewhere.covers == (first,)
    sc.runner.connector.post_reminder(plan.task_key, elsewhere)
    report = sc.cycle(TUESDAY_11 + timedelta(minutes=5))
    assert report.posted == 1
    posted = sc.runner.connector.posted_reminders(plan.task_key)
    assert [p.covers for p in posted] == [(first,), tuple(rest)]
    assert sc.cycle(TUESDAY_11 + timedelta(hours=1)).posted == 0
    assert len(sc.bot_comments(sc.key(1))) == 2
