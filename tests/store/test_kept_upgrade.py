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
