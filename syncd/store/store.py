"""The Store: every read and write of syncd's state goes through here.

Writes that decide an effect (claiming an action, a digest, a lease) rely on the
database's unique keys, not on a read-then-write, so two processes — or two replicas —
racing for the same reminder cannot both win. The ledgers live in one module each
(``tasks``, ``kept_results``, ``findings``, ``actions``, ``digests``, ``sources``, ``skipped``,
``snapshots``); ``Store`` is
all of them.
"""

from __future__ import annotations

from syncd.store.actions import ActionsMixin
from syncd.store.database import create_store_engine
from syncd.store.digest_ledger import DigestsMixin
from syncd.store.findings import FindingsMixin
from syncd.store.kept_results import KeptResultsMixin
from syncd.store.skipped import SkippedMixin
from syncd.store.snapshots import SnapshotsMixin
from syncd.store.sources import SourcesMixin
from syncd.store.tasks import TasksMixin

__all__ = ["Store", "open_store"]


class Store(
    TasksMixin,
    KeptResultsMixin,
    FindingsMixin,
    ActionsMixin,
    DigestsMixin,
    SourcesMixin,
    SkippedMixin,
    SnapshotsMixin,
):
    """State of one syncd deployment. Thread-safe: each call uses its own connection."""


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at ``url``: ``sqlite:///path`` or
    ``postgresql://user:password@host:port/database``. Raises StoreError with the reason
    (never the password) when it cannot be used."""
    store = Store(create_store_engine(url))
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store
