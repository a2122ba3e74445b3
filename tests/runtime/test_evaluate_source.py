"""``evaluate_source`` over a real store: per-task engine results become the evaluation
reconciliation needs (crashed rules, the attention label, slim tasks with findings)."""

from __future__ import annotations

from pathlib import Path

from config.policy import RuleScope
from rules.base import Context, Rule
from rules.engine import Engine, ScopedRule
from rules.registry import get_rule
from syncd.core.models import Finding, Task
from syncd.reminders import ATTENTION_LABEL
from syncd.source_cycle import evaluate_source
from syncd.store import open_store
from tests.rules.factory import ANNA, at, comment, make_task

NOW = at("2026-11-25 09:00")


class _Explodes(Rule):
    name = "explodes"

    def check(self, task: Task, ctx: Context) -> Finding | None:
        if task.key == "SHOP-1":
            raise KeyError("boom")
        return None


def test_crashed_rules_labels_and_flagged_tasks(tmp_path: Path) -> None:
    old, fresh = at("2026-10-01 09:00"), at("2026-11-24 18:00")
    note = comment(ANNA, "2026-10-01 09:00", "history that reminders do not need")
    tasks = [
        make_task(key="SHOP-1", updated=old, comments=(note,)),
        make_task(key="SHOP-2", labels=(ATTENTION_LABEL,), created=fresh, updated=fresh),
        make_task(key="SHOP-3", labels=("no-syncd", ATTENTION_LABEL), updated=old),
    ]
    engine = Engine(
        [
            ScopedRule.build(_Explodes(), RuleScope()),
            ScopedRule.build(get_rule("stale")(), RuleScope()),
        ]
    )
    with open_store(f"sqlite:///{(tmp_path / 'state.db').as_posix()}") as store:
        store.upsert_tasks(tasks)
        ev = evaluate_source(store, engine, "jira", NOW)
    assert ev.failed == {("SHOP-1", "explodes")}
    assert [(f.task_key, f.rule) for f in ev.findings] == [("SHOP-1", "stale")]
    assert list(ev.tasks) == ["SHOP-1"]
    assert ev.tasks["SHOP-1"].comments == ()  # kept slim: who to mention, not the history
    assert ev.labelled == {"SHOP-2", "SHOP-3"}  # the exempt task's label is seen too
