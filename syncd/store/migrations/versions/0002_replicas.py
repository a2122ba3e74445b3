"""Replicas announce themselves (heartbeat) so leases can be spread evenly; leases record
when they were acquired (``syncd status`` shows how long a replica has held a source).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "replicas",
        sa.Column("replica", sa.String(200), primary_key=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("heartbeat_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    with op.batch_alter_table("leases") as batch:
        batch.add_column(sa.Column("acquired_at", TZ))
    op.create_index("ix_leases_owner", "leases", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_leases_owner", "leases")
    with op.batch_alter_table("leases") as batch:
        batch.drop_column("acquired_at")
    op.drop_table("replicas")
