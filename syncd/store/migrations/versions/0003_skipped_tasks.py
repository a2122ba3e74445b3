"""Tasks a cycle could not take (unreadable, malformed, refused by the store), so that
``syncd status`` names them and the cycle retries the ones only it can retry.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "skipped_tasks",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_skipped", TZ, nullable=False),
        sa.Column("last_skipped", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("skipped_tasks")
