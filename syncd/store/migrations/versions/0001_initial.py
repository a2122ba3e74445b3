"""Initial schema: cursors, task snapshots, findings and actions ledger, digests, leases.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cursors",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "tasks",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("updated", TZ, nullable=False),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
    )
    op.create_index("ix_tasks_open", "tasks", ["source", "is_open"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("task_key", sa.String(300), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("first_seen", TZ, nullable=False),
        sa.Column("last_seen", TZ, nullable=False),
        sa.Column("resolved_at", TZ),
        sa.Column("notified_marker", sa.String(100)),
        sa.Column("notified_at", TZ),
        sa.Column("times_notified", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("source", "task_key", "rule", "fingerprint", name="uq_findings_key"),
    )
    op.create_index("ix_findings_state", "findings", ["source", "state"])
    op.create_table(
        "actions",
        sa.Column("marker", sa.String(100), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("task_key", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("claimed_at", TZ, nullable=False),
        sa.Column("done_at", TZ),
        sa.Column("result", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_actions_state", "actions", ["source", "state"])
    op.create_table(
        "digests",
        sa.Column("manager", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(30), primary_key=True),
        sa.Column("period", sa.String(40), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("claimed_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("stats", sa.Text),
    )
    op.create_table(
        "sources",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("last_success", TZ),
        sa.Column("last_attempt", TZ),
        sa.Column("last_error", sa.Text),
        sa.Column("cycles", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "leases",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("leases", "sources", "digests", "actions", "findings", "tasks", "cursors"):
        op.drop_table(table)
