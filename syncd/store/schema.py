"""Table definitions shared by every backend (SQLAlchemy Core, no ORM).

The action ledger has two levels: ``findings`` holds one row per (source, task, rule,
fingerprint) — what is wrong and whether a reminder covered it — and ``actions`` holds one
row per effect on a tracker (a combined reminder comment, a label change), keyed by the
marker that effect carries. The unique keys are what makes double-posting impossible even
when two replicas briefly overlap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

__all__ = [
    "UTCDateTime",
    "actions",
    "client_snapshots",
    "cursors",
    "digests",
    "findings",
    "kept_findings",
    "kept_results",
    "leases",
    "metadata",
    "replicas",
    "skipped_tasks",
    "sources",
    "tasks",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite has no zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

cursors = Table(
    "cursors",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

tasks = Table(
    "tasks",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("key", String(300), primary_key=True),
    Column("updated", UTCDateTime(), nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("snapshot", Text, nullable=False),
    # A digest of ``snapshot`` (``syncd.store.tasks.content_id``): what kept results are
    # checked against. NULL only for a row written before it existed: never matches.
    Column("content", String(32)),
)

# What an engine made of one task's content, kept until it can change (``rules.engine``'s
# ``TaskResult.valid_until``): derived data, losing a row only costs an evaluation.
kept_results = Table(
    "kept_results",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("task_key", String(300), primary_key=True),
    Column("content", String(32), nullable=False),
    Column("engine", String(64), nullable=False),  # Engine.fingerprint()
    Column("evaluated_at", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime()),  # exclusive; NULL: only at evaluated_at
    Column("attention", Boolean, nullable=False),  # the task carries the attention label
    Column("findings_hash", String(32), nullable=False),  # of what the ledger records
    # The same digest of what the findings ledger holds open for the task (NULL: unknown).
    Column("ledger_hash", String(32)),
    Column("findings", Text, nullable=False),  # compact JSON, syncd.working_set
)

# The same findings one per row, as ``check --json`` prints them (``syncd.check_lines``
# templates), keyed in the order ``check`` prints: a run over kept results reads them in
# one ordered scan. Without a rowid on SQLite, the rows are stored in that order.
kept_findings = Table(
    "kept_findings",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("rule", String(100), primary_key=True),
    Column("task_key", String(300), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),  # order within the task
    Column("severity", String(20), nullable=False),
    Column("message", Text, nullable=False),
    Column("line", Text, nullable=False),
    sqlite_with_rowid=False,
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("task_key", String(300), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(20), nullable=False),  # open | resolved
    Column("severity", String(20), nullable=False),
    Column("message", Text, nullable=False),
    Column("first_seen", UTCDateTime(), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime()),
    Column("notified_marker", String(100)),
    Column("notified_at", UTCDateTime()),
    Column("times_notified", Integer, nullable=False, default=0),
    UniqueConstraint("source", "task_key", "rule", "fingerprint", name="uq_findings_key"),
)

actions = Table(
    "actions",
    metadata,
    Column("marker", String(100), primary_key=True),
    Column("source", String(200), nullable=False),
    Column("task_key", String(300), nullable=False),
    Column(
        "kind", String(30), nullable=False
    ),  # comment (label changes are idempotent and not ledgered)
    Column("state", String(20), nullable=False),  # claimed | done | failed
    Column("payload", Text, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime()),
    Column("result", Text),
    Column("attempts", Integer, nullable=False, default=0),
)

digests = Table(
    "digests",
    metadata,
    Column("manager", String(200), primary_key=True),
    Column("kind", String(30), primary_key=True),
    Column("period", String(40), primary_key=True),
    Column("state", String(20), nullable=False),  # claimed | sent
    Column("owner", String(200), nullable=False),
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("stats", Text),
)

sources = Table(
    "sources",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("last_success", UTCDateTime()),
    Column("last_attempt", UTCDateTime()),
    Column("last_error", Text),
    Column("cycles", Integer, nullable=False, default=0),
)

leases = Table(
    "leases",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("owner", String(200), nullable=False),  # "" = free (placeholder row)
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("acquired_at", UTCDateTime()),
)

# Live replicas announce themselves here on every lease claim; the number of rows whose
# ``expires_at`` is in the future is what "an even share" of the sources is computed from.
replicas = Table(
    "replicas",
    metadata,
    Column("replica", String(200), primary_key=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# Tasks a cycle could not take (unreadable, malformed, refused by the store): shown by
# ``syncd status`` until the task is stored or leaves the scope. ``stage`` says who retries
# it: ``read`` — the connector (its cursor's retry list); ``store`` — the cycle re-reads it.
skipped_tasks = Table(
    "skipped_tasks",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("key", String(300), primary_key=True),
    Column("stage", String(20), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("first_skipped", UTCDateTime(), nullable=False),
    Column("last_skipped", UTCDateTime(), nullable=False),
)

client_snapshots = Table(
    "client_snapshots",
    metadata,
    Column("manager", String(200), primary_key=True),
    Column("client", String(300), primary_key=True),
    Column("day", String(10), primary_key=True),  # ISO date in the manager's zone
    Column("counts", Text, nullable=False),  # JSON: metric → count (digest METRICS)
    Column("taken_at", UTCDateTime(), nullable=False),
)
