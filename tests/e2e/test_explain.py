"""``syncd explain``: syncd's reading of one task, over a store filled by a real cycle
against the sandbox Jira (real HTTP, real connector)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from syncd.explain import explain_task, render_text
from tests.e2e.scenario import DEFAULT_NOW, Scenario, agency_seed, policy_yaml
from tests.runtime.process import run_syncd

MOSCOW = ZoneInfo("Europe/Moscow")


def _seed() -> dict[str, Any]:
    """The agency scenario plus SHOP-3, whose sections are there but not filled: a goal of
    placeholders only and criteria of 9 characters."""
    data = agency_seed()
    data["tasks"].append(
        {
            "project": "SHOP",
            "number": 3,
            "title": "Баннеры",
            "status": "new",
            "assignees": ["dima"],
            "reporter": "olga",
            "priority": "Low",
            "created": (DEFAULT_NOW - timedelta(days=1)).isoformat(),
            "due": (DEFAULT_NOW + timedelta(days=20)).date().isoformat(),
            "description": "## Цель\nTBD …\n\n## Критерии приёмки\nмакет 600\n",
        }
    )
    return data


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    scenario = Scenario(tmp_path / "sandbox", seed_data=_seed())
    try:
        scenario.cycle(DEFAULT_NOW)
        yield scenario
    finally:
        scenario.close()


def test_sections_say_why_they_are_not_filled(sc: Scenario) -> None:
    assert sc.store is not None
    ex = explain_task(sc.policy, sc.store, "agency", "SHOP-3", DEFAULT_NOW)
    by_name = {s.name: s for s in ex.sections}
    assert by_name["goal"].title == "Цель"
    assert not by_name["goal"].filled
    assert by_name["goal"].why == "only placeholders"
    assert by_name["acceptance"].title == "Критерии приёмки"
    assert by_name["acceptance"].why.startswith("9 characters")
    missing = explain_task(sc.policy, sc.store, "agency", "SHOP-1", DEFAULT_NOW).sections
    assert [(s.name, s.title, s.filled) for s in missing] == [
        ("goal", None, False),
        ("acceptance", None, False),
    ]
    ok = explain_task(sc.policy, sc.store, "agency", "SHOP-2", DEFAULT_NOW).sections
    assert all(s.filled for s in ok)


def test_checkpoint_computation_and_comments(sc: Scenario) -> None:
    assert sc.store is not None
    ex = explain_task(sc.policy, sc.store, "agency", "SHOP-1", DEFAULT_NOW)
    cp = ex.checkpoint
    # Started Tue 17 Nov 10:00, due 23 Nov (ends Tue 24 Nov 00:00), RU calendar: business
    # time is 14 h of the 17th + 4 whole business days (18, 19, 20, 23 Nov) = 110 h;
    # 35 % = 38.5 h → the 17th's 14 h, the 18th's 24 h, then 30 min into the 19th.
    assert cp.start == datetime(2026, 11, 17, 10, 0, tzinfo=MOSCOW)
    assert cp.start_from.startswith("start of work")
    assert cp.due_end == datetime(2026, 11, 24, 0, 0, tzinfo=MOSCOW)
    assert cp.business_time
    assert cp.moment == datetime(2026, 11, 19, 0, 30, tzinfo=MOSCOW)
    assert cp.check_at == datetime(2026, 11, 19, 9, 0, tzinfo=MOSCOW)  # working hours
    assert [(c.counted, c.excerpt) for c in cp.comments] == [(False, "Работаю, почти готово.")]
    assert "does not begin with a checkpoint keyword" in cp.comments[0].why
    # syncd's own reminder, posted by the cycle, is in the store after the next read
    sc.cycle(DEFAULT_NOW + timedelta(minutes=5))
    later = explain_task(
        sc.policy, sc.store, "agency", "SHOP-1", DEFAULT_NOW + timedelta(minutes=5)
    )
    bot = [c for c in later.checkpoint.comments if "bot" in c.why]
    assert len(bot) == 1
    assert not bot[0].counted

    good = explain_task(sc.policy, sc.store, "agency", "SHOP-2", DEFAULT_NOW).checkpoint
    assert [c.counted for c in good.comments] == [True]
    assert good.reason == "the checkpoint moment is still ahead"


def test_findings_carry_fingerprint_and_reminder_state(sc: Scenario) -> None:
    assert sc.store is not None
    ex = explain_task(sc.policy, sc.store, "agency", "SHOP-1", DEFAULT_NOW)
    ledger = {(r.rule, r.fingerprint) for r in sc.store.findings("agency", task_keys=["SHOP-1"])}
    assert {(f.rule, f.fingerprint) for f in ex.findings} == ledger
    (action,) = [a for a in sc.store.actions("agency") if a.task_key == "SHOP-1"]
    assert all(f.current and f.state == "open" for f in ex.findings)
    assert all(f.reminder.startswith("posted at") for f in ex.findings)
    assert all(action.marker in f.reminder for f in ex.findings)

    # The manager moves the deadline: overdue resolves; explain shows the ledger's verdict.
    sc.act({"action": "update", "task": "SHOP-1", "as": "olga", "fields": {"due": "2026-11-30"}})
    later = DEFAULT_NOW + timedelta(hours=1)
    sc.cycle(later)
    after = {
        f.rule: f for f in explain_task(sc.policy, sc.store, "agency", "SHOP-1", later).findings
    }
    assert after["overdue"].state == "resolved"
    assert not after["overdue"].current
    assert after["overdue"].resolved_at is not None
    # The due date was set after the start of work: the checkpoint now counts from then.
    cp = explain_task(sc.policy, sc.store, "agency", "SHOP-1", later).checkpoint
    assert cp.start_from.startswith("the due date was set")
    text = render_text(explain_task(sc.policy, sc.store, "agency", "SHOP-1", later))
    assert "resolved" in text
    assert after["overdue"].fingerprint in text


def _syncd(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The store the cycle filled is the one the command reads.
    state = f"sqlite:///{tmp / 'sandbox' / 'syncd.db'}"
    return run_syncd(*args, env={"SYNCD_STATE_URL": state, "SYNCD_LOG_FORMAT": "json"})


def test_cli_explains_from_the_store_and_names_a_bad_key(sc: Scenario, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_yaml(sc.server.url), encoding="utf-8")
    at = DEFAULT_NOW.isoformat()
    done = _syncd(tmp_path, "--config", str(policy), "explain", "agency:SHOP-1", "--at", at)
    assert done.returncode == 0, done.stderr
    assert "Checkpoint" in done.stdout
    assert "2026-11-19 00:30" in done.stdout
    bare = _syncd(tmp_path, "--config", str(policy), "explain", "SHOP-3", "--source", "agency")
    assert bare.returncode == 0, bare.stderr
    assert "only placeholders" in bare.stdout

    missing = _syncd(tmp_path, "--config", str(policy), "explain", "agency:SHOP-404")
    assert missing.returncode == 2
    assert "SHOP-404" in missing.stderr
    assert "Traceback" not in missing.stderr
    wrong = _syncd(tmp_path, "--config", str(policy), "explain", "nope:SHOP-1", "--source", "x")
    assert wrong.returncode == 2
    assert "unknown source 'x'" in wrong.stderr
    assert "Traceback" not in wrong.stderr
