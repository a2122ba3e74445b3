"""A store written before kept results (schema 0004), upgraded to 0005 with its data, on
SQLite and PostgreSQL: every task gets the content digest the code writes (over more than
one page of the migration's batches), so the first pass evaluates each open task once and
keeps it, and the next evaluates none, finding exactly what a full evaluation finds."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from syncd.store import open_store
from syncd.store import schema as t
from syncd.store.migrate import alembic_config
from syncd.store.tasks import content_id
from tests.bench.scale_store import NOW, SOURCE, generated_tasks
from tests.store.test_kept_results import _engine, _reference, _run


def _downgrade_to_0004(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        inspector = sa.inspect(engine)
        assert "kept_results" not in inspector.get_table_names()
        assert "content" not in {c["name"] for c in inspector.get_columns("tasks")}
    finally:
        engine.dispose()


def test_an_upgraded_store_keeps_results_for_every_task(store_url: str) -> None:
    with open_store(store_url) as store:
        store.upsert_tasks(generated_tasks(1100))  # more than two of the migration's pages
    _downgrade_to_0004(store_url)
    with open_store(store_url) as store:
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(t.tasks.c.snapshot, t.tasks.c.content)).all()
        assert len(rows) == 1100
        assert all(content == content_id(snapshot) for snapshot, content in rows)
        engine = _engine()
        evaluated, found = _run(store, engine)
        open_keys = store.open_task_keys(SOURCE)
        assert evaluated == open_keys
        assert store.count_kept_results(SOURCE) == len(open_keys)
        again, kept = _run(store, engine)
        assert again == set()
        assert kept == found == _reference(store, engine, NOW)


def test_a_task_rewritten_by_a_writer_from_before_0005_is_evaluated_again(
    store_url: str,
) -> None:
    """A replica not yet upgraded (sharing the PostgreSQL store during a rolling upgrade)
    rewrites tasks.snapshot but not tasks.content: migration 0006's trigger clears the
    digest, so the kept row no longer matches and the task is evaluated again."""
    with open_store(store_url) as store:
        store.upsert_tasks(generated_tasks(40))
        engine = _engine()
        _run(store, engine)
        tasks = list(store.iter_tasks(SOURCE, open_only=True))  # read whole: the cursor closes
        task = next(t for t in tasks if t.due is not None)
        changed = task.model_copy(update={"due": None, "updated": task.updated})
        # What syncd 0004's upsert_tasks writes on conflict: the row, not the digest.
        with store.engine.begin() as conn:
            conn.execute(
                t.tasks.update()
                .where(t.tasks.c.source == SOURCE, t.tasks.c.key == task.key)
                .values(snapshot=changed.model_dump_json(), updated=changed.updated)
            )
        evaluated, found = _run(store, engine)
        assert (task.key, "due-date") in {(f[0], f[1]) for f in found}
        assert evaluated == {task.key}
        assert found == _reference(store, engine, NOW)
