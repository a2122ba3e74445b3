"""The headline numbers of "this week" per client, and their daily snapshot.

The desk shows a manager's clients with the digest's numbers (open, overdue, at risk, due
soon, violations, done this week) and an 8-week trend of each. The trend needs history
that the tasks alone cannot give (yesterday's overdue count), so once a day the digest
thread stores the numbers (``record_snapshots``); the desk only reads them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from config.policy import ManagerConfig, Policy
from rules.engine import Engine
from syncd.core.logs import get_logger
from syncd.core.models import Finding, Task
from syncd.digest.content import build_digest
from syncd.digest.model import SECTION_ORDER, Digest, SectionKind
from syncd.digest.scope import manager_tasks, manager_zone
from syncd.store import Store

__all__ = ["record_snapshots", "week_digest"]

_log = get_logger("syncd.digest.snapshots")


def week_digest(
    policy: Policy,
    manager: ManagerConfig,
    tasks: Iterable[Task],
    findings: list[Finding],
    now: datetime,
    *,
    engine: Engine,
    listed: Collection[SectionKind] = SECTION_ORDER,
) -> Digest:
    """The manager's digest with "done" counted since Monday 00:00 in their zone
    (``listed``: the sections to list, as ``build_digest``)."""
    local = now.astimezone(manager_zone(manager))
    monday = datetime.combine(
        local.date() - timedelta(days=local.weekday()), datetime.min.time(), local.tzinfo
    )
    return build_digest(
        policy, manager, tasks, findings, now, "weekly", None, monday, engine=engine, listed=listed
    )


def record_snapshots(policy: Policy, store: Store, engine: Engine, now: datetime) -> int:
    """Store today's per-client numbers of every manager who has none for today (their
    zone's date); the number of managers snapshotted. One manager's failure is logged and
    the others are still taken."""
    taken = 0
    for manager in policy.managers:
        day = now.astimezone(manager_zone(manager)).date()
        try:
            if store.has_client_snapshot(manager.name, day):
                continue
            tasks = list(manager_tasks(manager, store.iter_tasks()))
            findings = engine.evaluate([t for t in tasks if t.is_open], now)
            digest = week_digest(policy, manager, tasks, findings, now, engine=engine)
            counts = {h.client: h.counts for h in digest.headlines}
            store.record_client_snapshot(manager.name, day, counts, now)
            taken += 1
        except Exception:  # a broken store or a bug: the digests must still go out
            _log.exception("snapshot_failed", manager=manager.name)
    return taken
