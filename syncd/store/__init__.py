"""The state store: cursors, task snapshots, the action and digest ledgers, leases.

One interface (``Store``) over SQLAlchemy Core, so SQLite (the embedded default) and
PostgreSQL (several replicas) share every query and every migration.
"""

from syncd.store.ledger import ActionRow, DigestRow, FindingRow, SourceRow
from syncd.store.store import Store, open_store

__all__ = ["ActionRow", "DigestRow", "FindingRow", "SourceRow", "Store", "open_store"]
