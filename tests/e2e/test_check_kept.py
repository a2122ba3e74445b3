"""``check`` with kept results prints exactly what evaluating every task prints: over a
seeded store, at moments before and after due dates and at checkpoint moments, in any
order (the clock going back included), as JSON and as the table; and the command line
itself, run twice (the second run reading kept results), against a fresh store."""

from __future__ import annotations

import io
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from config.loader import load_policy_text
from config.policy import Policy
from rules.engine import Engine
from syncd.commands.check import collect, iter_json, render_table
from syncd.store import Store, open_store
from tests.bench.scale_store import NOW, SOURCE, build_store
from tests.bench.scale_store import POLICY as SCALE_POLICY
from tests.runtime.process import run_syncd

CONTENT_POLICY = (
    SCALE_POLICY.format(url="https://jira.example", enforce="true")
    + """\
rules:
  - rule: required-sections
    params: {sections: [goal, acceptance]}
  - rule: due-date
  - rule: single-owner
  - rule: priority-set
"""
)
POLICY = (
    CONTENT_POLICY
    + """\
  - rule: checkpoint
  - rule: overdue
  - rule: due-soon
  - rule: stale
"""
)
"""Content rules, whose results are kept until the task changes, and time-driven ones."""


def _printed(policy: Policy, store: Store, at: datetime, *, keep: bool) -> tuple[str, str]:
    """(JSON Lines, table) of one check at ``at``."""
    rows = collect(policy, store, Engine.from_policy(policy), at, [SOURCE], keep=keep)
    table = io.StringIO()
    render_table(rows, Console(file=table, width=160))
    return "\n".join(iter_json(rows)), table.getvalue()


def _moments(store: Store, engine: Engine) -> list[datetime]:
    """Around the checkpoint moments and due dates of a few stored tasks, then back."""
    moments = [NOW]
    tasks = [t for t in store.iter_tasks(SOURCE, open_only=True) if t.due is not None][:3]
    for task in tasks:
        checkpoint = engine.checkpoint_moment(task)
        if checkpoint is not None:
            moments += [checkpoint - timedelta(seconds=1), checkpoint]
        assert task.due is not None
        end = engine.calendar(SOURCE).due_end(task.due)  # the due day over: overdue from here
        moments += [end - timedelta(seconds=1), end, end + timedelta(days=1)]
    return [*moments, NOW - timedelta(hours=2), NOW + timedelta(days=30), NOW]


@pytest.mark.parametrize("text", [POLICY, CONTENT_POLICY], ids=["all-rules", "content-rules"])
def test_kept_results_print_what_evaluating_everything_prints(tmp_path: Path, text: str) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    build_store(url, 200)
    policy = load_policy_text(text)
    engine = Engine.from_policy(policy)
    with open_store(url) as store:
        moments = _moments(store, engine)
        assert len(moments) >= 10
        for at in moments:
            reference = _printed(policy, store, at, keep=False)
            for _ in range(2):  # cold (evaluates and keeps), then warm (reads kept rows)
                assert _printed(policy, store, at, keep=True) == reference, at
        if text == CONTENT_POLICY:  # the equality above covered kept rows, not only evaluations
            assert store.count_kept_results(SOURCE) == len(store.open_task_keys(SOURCE))


def test_check_command_prints_the_same_with_kept_results(tmp_path: Path) -> None:
    build_store(f"sqlite:///{tmp_path / 'state.db'}", 200)
    shutil.copy(tmp_path / "state.db", tmp_path / "fresh.db")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")

    def check(db: str, *args: str) -> str:
        env = {"SYNCD_STATE_URL": f"sqlite:///{tmp_path / db}", "SYNCD_DATA_DIR": str(tmp_path)}
        argv = ("--config", "policy.yaml", "check", "--no-sync", "--at", NOW.isoformat(), *args)
        done = run_syncd(*argv, env=env, cwd=tmp_path)
        assert done.returncode in {0, 1}, done.stderr
        return done.stdout

    for args in (("--json",), ()):
        cold = check("state.db", *args)
        warm = check("state.db", *args)
        shutil.copy(tmp_path / "fresh.db", tmp_path / "again.db")
        assert cold == warm == check("again.db", *args)
        assert cold.count("\n") > 100
