"""Kept results over a real store (SQLite and PostgreSQL): a task is evaluated again when
it has no kept row, its content changed, the engine (policy, code) changed, its result
expired, or the clock went back; otherwise its kept findings are exactly what evaluating
it would give."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from config.loader import load_policy_text
from rules.engine import Engine
from syncd.commands.check import collect, render_json
from syncd.core.models import StatusCategory
from syncd.evaluation import ENCODING, iter_verdicts
from syncd.store import Store, open_store
from syncd.store import schema as t
from tests.bench.scale_store import NOW, POLICY, SOURCE, generated_tasks

SOURCES = POLICY.format(url="https://jira.example", enforce="true")
CONTENT_ONLY = """\
rules:
  - rule: due-date
    severity: {severity}
  - rule: single-owner
  - rule: required-sections
    params: {{sections: [{sections}]}}
"""


def _engine(severity: str = "error", sections: str = "goal, acceptance") -> Engine:
    return Engine.from_policy(
        load_policy_text(SOURCES + CONTENT_ONLY.format(severity=severity, sections=sections))
    )


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as opened:
        opened.upsert_tasks(generated_tasks(120))
        yield opened


def _run(store: Store, engine: Engine, at: object = NOW) -> tuple[set[str], list[tuple[str, ...]]]:
    """(keys evaluated, every finding as comparable fields) of one pass at ``at``."""
    evaluated: set[str] = set()
    found: list[tuple[str, ...]] = []
    for verdict in iter_verdicts(store, engine, SOURCE, at):  # type: ignore[arg-type]
        if verdict.evaluated:
            evaluated.add(verdict.key)
        found.extend(
            (f.task_key, f.rule, f.fingerprint, f.severity.value, f.message, repr(f.data))
            for f in verdict.findings
        )
    return evaluated, found


def _reference(store: Store, engine: Engine, at: object = NOW) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for verdict in iter_verdicts(store, engine, SOURCE, at, keep=False):  # type: ignore[arg-type]
        assert verdict.evaluated
        found.extend(
            (f.task_key, f.rule, f.fingerprint, f.severity.value, f.message, repr(f.data))
            for f in verdict.findings
        )
    return found


def test_second_pass_evaluates_nothing_and_finds_the_same(store: Store) -> None:
    engine = _engine()
    open_keys = store.open_task_keys(SOURCE)
    first, found = _run(store, engine)
    assert first == open_keys
    assert len(found) > 50
    again, kept = _run(store, engine)
    assert again == set()  # content-only rules: nothing can change without the task
    assert kept == found == _reference(store, engine)
    later, kept_later = _run(store, engine, NOW + timedelta(days=400))
    assert later == set()
    assert kept_later == _reference(store, engine, NOW + timedelta(days=400))


def test_a_changed_task_alone_is_evaluated_again(store: Store) -> None:
    engine = _engine()
    _run(store, engine)
    tasks = list(store.iter_tasks(SOURCE, open_only=True))  # read whole: the cursor closes
    task = next(t for t in tasks if t.due is not None)
    store.upsert_tasks([task.model_copy(update={"due": None, "updated": task.updated})])
    evaluated, found = _run(store, engine)
    assert evaluated == {task.key}
    assert (task.key, "due-date") in {(f[0], f[1]) for f in found}
    assert found == _reference(store, engine)


def test_a_changed_policy_evaluates_everything_again(store: Store) -> None:
    _run(store, _engine())
    open_keys = store.open_task_keys(SOURCE)
    for changed in (_engine(severity="warning"), _engine(sections="goal")):
        evaluated, found = _run(store, changed)
        assert evaluated == open_keys
        assert found == _reference(store, changed)
    severities = {f[3] for f in _run(store, _engine(severity="warning"))[1] if f[1] == "due-date"}
    assert severities == {"warning"}


def test_a_clock_gone_back_never_reuses_a_result(store: Store) -> None:
    engine = _engine()
    _run(store, engine)
    open_keys = store.open_task_keys(SOURCE)
    earlier = NOW - timedelta(minutes=1)
    evaluated, found = _run(store, engine, earlier)
    assert evaluated == open_keys
    assert found == _reference(store, engine, earlier)
    # The rows written at the earlier moment hold again from then on.
    assert _run(store, engine, NOW)[0] == set()


def test_time_driven_rules_are_evaluated_every_time(store: Store) -> None:
    """The default rules include checkpoint, overdue, due-soon and stale: a task they
    apply to is evaluated again (until those rules bound their verdicts), and what is
    kept and what is evaluated together are exactly the reference."""
    engine = Engine.from_policy(load_policy_text(SOURCES))
    for at in (NOW, NOW + timedelta(days=2), NOW + timedelta(days=9), NOW + timedelta(days=1)):
        _, found = _run(store, engine, at)
        assert found == _reference(store, engine, at), at


def test_forgotten_and_closed_tasks_leave_the_stream(store: Store) -> None:
    engine = _engine()
    _run(store, engine)
    keys = sorted(store.open_task_keys(SOURCE))
    closed = store.get_task(SOURCE, keys[0])
    assert closed is not None
    store.upsert_tasks([closed.model_copy(update={"status_category": StatusCategory.DONE})])
    store.forget_tasks(SOURCE, [keys[1]])
    evaluated, found = _run(store, engine)
    assert evaluated == set()
    assert {f[0] for f in found} <= set(keys[2:])
    assert found == _reference(store, engine)


def test_rows_kept_in_another_encoding_are_not_read(store: Store) -> None:
    """A syncd that keeps findings in another format (older, newer) names it in the row's
    engine identity: its rows are evaluated again, never decoded as if they were ours."""
    engine = _engine()
    _run(store, engine)
    kept = t.kept_results
    with store.engine.begin() as conn:
        identities = set(conn.execute(sa.select(kept.c.engine)).scalars())
        assert identities == {f"{ENCODING}:{engine.fingerprint()}"}
        conn.execute(kept.update().values(engine=f"f0:{engine.fingerprint()}"))
    evaluated, found = _run(store, engine)
    assert evaluated == store.open_task_keys(SOURCE)
    assert found == _reference(store, engine)


# Keys whose orders differ: code point order (``check``'s) puts SHOP-10 before SHOP-9,
# "Group/…" before "group/…" and Cyrillic after Latin; a database collation may not.
TRICKY_KEYS = (
    "SHOP-9",
    "SHOP-10",
    "shop-1",
    "group/project#12",
    "group/project#3",
    "Group/Other#7",
    "ПРОЕКТ-2",
    "ÉQUIPE-11",
    "SHOP-1a",
    "SHOP_1",
)


def _language_collation(store: Store) -> None:
    """Make the kept lines' text columns compare as a database created with a language
    collation does (ICU's root: case and punctuation second), not byte-wise."""
    with store.engine.begin() as conn:
        for column in ("rule", "task_key"):
            alter = f'ALTER COLUMN {column} TYPE varchar(300) COLLATE "und-x-icu"'
            conn.execute(sa.text(f"ALTER TABLE kept_findings {alter}"))


def _printed(store: Store, engine: Engine, *, keep: bool) -> tuple[str, list[str]]:
    rows = collect(load_policy_text(SOURCES), store, engine, NOW, [SOURCE], keep=keep)
    return render_json(rows), [f"{f.rule} {f.task_key}" for f, _ in rows]


def test_check_rows_from_kept_lines_are_in_check_order_on_every_backend(store_url: str) -> None:
    """``check`` over kept lines (read in the database's order) prints exactly what
    evaluating every task prints (sorted in Python), for keys the database's own
    collation would order otherwise; and again after some tasks changed (kept lines and
    fresh evaluations merged)."""
    engine = _engine()
    tasks = [t for t in generated_tasks(60) if t.is_open][: len(TRICKY_KEYS) * 3]
    renamed = [
        task.model_copy(update={"key": f"{TRICKY_KEYS[i % len(TRICKY_KEYS)]}{'x' * (i // 10)}"})
        for i, task in enumerate(tasks)
    ]
    with open_store(store_url) as store:
        if store.engine.dialect.name == "postgresql":
            _language_collation(store)
        store.upsert_tasks(renamed)
        reference = _printed(store, engine, keep=False)
        assert len(reference[1]) > 20
        assert reference[1] == sorted(reference[1], key=lambda r: tuple(r.split(" ")))
        assert _printed(store, engine, keep=True) == reference  # cold: evaluates, keeps
        assert _run(store, engine)[0] == set()  # every result is kept now
        assert _printed(store, engine, keep=True) == reference  # warm: kept lines only
        changed = [t.model_copy(update={"due": None}) for t in renamed[::4]]
        store.upsert_tasks(changed)
        mixed = _printed(store, engine, keep=False)
        assert mixed != reference
        assert _printed(store, engine, keep=True) == mixed  # merged
        assert _printed(store, engine, keep=True) == mixed  # all kept again
        store.forget_tasks(SOURCE, [renamed[1].key])
        with store.engine.connect() as conn:
            forgotten = t.kept_findings.c.task_key == renamed[1].key
            assert conn.execute(sa.select(sa.func.count()).where(forgotten)).scalar() == 0
        assert _printed(store, engine, keep=True) == _printed(store, engine, keep=False)
