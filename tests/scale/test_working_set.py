"""The evaluation's working set, held compactly: what goes in comes out equal (findings
whole; flagged tasks without history and description, as reminders always got them), and
the ledger records more findings than one write batch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from config.loader import load_policy_text
from rules.engine import Engine
from syncd.source_cycle import evaluate_source
from syncd.store import open_store
from syncd.store.base import BATCH
from syncd.working_set import FindingList, FlaggedTasks, finding_keys
from tests.bench.scale_store import NOW, POLICY, SOURCE, generated_tasks

_STRIPPED = {
    "comments": (),
    "activity": (),
    "description_text": "",
    "description_source": "",
    "sections": (),
}


def _engine() -> Engine:
    return Engine.from_policy(
        load_policy_text(POLICY.format(url="https://x.example", enforce="true"))
    )


def test_finding_list_gives_back_equal_findings() -> None:
    tasks = [t for t in generated_tasks(200) if t.is_open]
    findings = _engine().evaluate(tasks, NOW)
    held = FindingList(findings)
    assert len(held) == len(findings) > 50
    assert list(held) == findings
    assert held[3] == findings[3]
    assert held[-2:] == findings[-2:]
    assert held == findings
    assert list(held.keys()) == [(f.task_key, f.rule, f.fingerprint) for f in findings]
    assert finding_keys(held) == finding_keys(findings) == set(held.keys())


def test_flagged_tasks_keep_what_reminders_read() -> None:
    tasks = [t for t in generated_tasks(60) if t.is_open]
    held = FlaggedTasks()
    for task in tasks:
        held.add(task)
    assert len(held) == len(tasks)
    assert list(held) == [t.key for t in tasks]
    for task in tasks:
        got = held[task.key]
        assert got == task.model_copy(update=_STRIPPED)
        assert got.assignees == task.assignees
        assert got.reporter == task.reporter
    assert "NOPE-1" not in held
    # One object per person, however many tasks name them.
    reporters = {id(held[t.key].reporter) for t in tasks if t.reporter is not None}
    assert len(reporters) <= len({t.reporter for t in tasks})


def test_evaluation_over_the_store_is_every_open_tasks_findings(tmp_path: Path) -> None:
    engine = _engine()
    tasks = list(generated_tasks(400))
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        store.upsert_tasks(tasks)
        ev = evaluate_source(store, engine, SOURCE, NOW)
        expected = engine.evaluate(
            sorted((t for t in tasks if t.is_open), key=lambda t: t.key), NOW
        )
        assert list(ev.findings) == expected
        assert set(ev.tasks) == {f.task_key for f in expected}
        assert len(expected) > BATCH  # the ledger write below spans several batches
        store.record_findings(SOURCE, ev.findings, NOW)
        rows = store.findings(SOURCE)
        assert {(r.task_key, r.rule, r.fingerprint) for r in rows} == set(ev.findings.keys())  # type: ignore[attr-defined]
        assert {r.state for r in rows} == {"open"}
        recorded = {(r.task_key, r.rule, r.fingerprint): (r.severity, r.message) for r in rows}
        assert recorded == {
            (f.task_key, f.rule, f.fingerprint): (f.severity.value, f.message) for f in ev.findings
        }
        # A second evaluation later touches the same rows, adds none.
        later = NOW + timedelta(minutes=5)
        store.record_findings(SOURCE, evaluate_source(store, engine, SOURCE, later).findings, later)
        again = store.findings(SOURCE)
        assert len(again) == len(rows)
        assert {r.last_seen for r in again} == {later}
    finally:
        store.close()
