"""Kept results: each open task's findings between evaluations, until they can change.

``tasks.content`` identifies a stored snapshot (a digest of it, written with it; existing
rows are filled in here). ``kept_results`` holds, per task, the findings an engine computed
for that content and until when they hold; ``ledger_hash`` says which findings the findings
ledger holds open for the task, so a cycle reconciles only tasks whose findings moved.

Revision ID: 0005
Revises: 0004
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
_BATCH = 500


def _content(snapshot: str) -> str:
    # The same digest as ``syncd.store.tasks.content_id`` (copied: a migration must not
    # change when the code does; a mismatch later only costs one evaluation).
    return hashlib.blake2b(snapshot.encode(), digest_size=16).hexdigest()


def _fill_content() -> None:
    conn = op.get_bind()
    tasks = sa.table(
        "tasks",
        sa.column("source", sa.String),
        sa.column("key", sa.String),
        sa.column("snapshot", sa.Text),
        sa.column("content", sa.String),
    )
    update = (
        tasks.update()
        .where(tasks.c.source == sa.bindparam("s"), tasks.c.key == sa.bindparam("k"))
        .values(content=sa.bindparam("c"))
    )
    last: tuple[str, str] = ("", "")
    while True:  # keyset pages: never every snapshot in memory at once
        rows = conn.execute(
            sa.select(tasks.c.source, tasks.c.key, tasks.c.snapshot)
            .where(sa.tuple_(tasks.c.source, tasks.c.key) > sa.tuple_(*last))
            .order_by(tasks.c.source, tasks.c.key)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        conn.execute(update, [{"s": s, "k": k, "c": _content(snap)} for s, k, snap in rows])
        last = (rows[-1][0], rows[-1][1])


def upgrade() -> None:
    op.add_column("tasks", sa.Column("content", sa.String(32)))
    _fill_content()
    # Covering: which open tasks need evaluation is answered from this index alone (and the
    # kept row), without reading a snapshot.
    op.create_index("ix_tasks_open_content", "tasks", ["source", "is_open", "key", "content"])
    op.create_table(
        "kept_results",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("task_key", sa.String(300), primary_key=True),
        sa.Column("content", sa.String(32), nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("evaluated_at", TZ, nullable=False),
        sa.Column("valid_until", TZ),
        sa.Column("attention", sa.Boolean, nullable=False),
        sa.Column("findings_hash", sa.String(32), nullable=False),
        sa.Column("ledger_hash", sa.String(32)),
        sa.Column("findings", sa.Text, nullable=False),
    )
    # The same findings one per row as ``check --json`` prints them, keyed in its order
    # (source, rule, task key, order within the task): stored in that order on SQLite.
    op.create_table(
        "kept_findings",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("rule", sa.String(100), primary_key=True),
        sa.Column("task_key", sa.String(300), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )
    # A task's rows, replaced whenever its kept result is.
    op.create_index("ix_kept_findings_task", "kept_findings", ["source", "task_key"])
    # Open findings no reminder covered yet (queued, deferred, cooling down, report-only):
    # the reminders a cycle must still plan although the task's findings did not change.
    unnotified = sa.text("state = 'open' AND notified_marker IS NULL")
    op.create_index(
        "ix_findings_unnotified",
        "findings",
        ["source", "task_key"],
        sqlite_where=unnotified,
        postgresql_where=unnotified,
    )
    op.create_index("ix_findings_open_task", "findings", ["source", "state", "task_key"])


def downgrade() -> None:
    op.drop_index("ix_findings_open_task", "findings")
    op.drop_index("ix_findings_unnotified", "findings")
    op.drop_index("ix_kept_findings_task", "kept_findings")
    op.drop_table("kept_findings")
    op.drop_table("kept_results")
    op.drop_index("ix_tasks_open_content", "tasks")
    op.drop_column("tasks", "content")
