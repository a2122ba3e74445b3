"""A daily snapshot of each manager's per-client headline numbers, for the desk's 8-week
trend sparklines.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_snapshots",
        sa.Column("manager", sa.String(200), primary_key=True),
        sa.Column("client", sa.String(300), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("client_snapshots")
