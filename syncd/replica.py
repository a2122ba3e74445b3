"""Who this replica is, in the ledgers and the source leases."""

from __future__ import annotations

import socket

__all__ = ["default_owner"]


def default_owner() -> str:
    """The host name: stable across restarts, so a restarted process resumes its own
    unconfirmed claims at once. Several replicas on one host must set ``SYNCD_REPLICA_ID``."""
    return socket.gethostname()
