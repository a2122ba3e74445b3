"""Source leases: each source is served by one replica at a time, spread evenly.

A lease is a row (source, owner, expires_at). Each cycle a replica calls ``claim``: it
announces itself (heartbeat row in ``replicas``), renews the leases it holds, gives back
any above its fair share (a new replica joined), and takes free or expired ones up to its
fair share, ``ceil(sources / live replicas)``; while another replica holds fewer than
``floor(sources / live replicas)`` it gives one back per round instead (``_share``), so the
spread ends within one (4/3/3, not 4/4/2). A replica that dies stops renewing; after
``ttl`` both its leases and its heartbeat expire, the survivors' fair share grows and they
take its sources over.

Every source gets a lease row (owner ``""`` = free) before anyone competes for it, so the
competition is always over existing rows: on PostgreSQL ``SELECT … FOR UPDATE SKIP
LOCKED`` lets replicas claiming at the same moment pick disjoint rows instead of queueing
behind each other (ordered by a per-replica hash so they prefer different sources); on
SQLite the write transaction is ``BEGIN IMMEDIATE``, which serializes claimers outright.
Leases are an efficiency, not the safety net: the ledgers' unique keys keep effects
exactly-once even when two replicas briefly both think they own a source.

All functions take a connection inside a write transaction; the Store owns transactions.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from syncd.store import schema as t
from syncd.store.database import dialect_insert

__all__ = ["FREE", "claim", "heartbeat", "live_replicas", "owners", "release", "renew"]

FREE = ""  # owner of a placeholder row nobody holds
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
_FORGET_REPLICAS_AFTER = timedelta(days=1)


def heartbeat(conn: sa.Connection, replica: str, now: datetime, ttl: timedelta) -> None:
    """Announce ``replica`` as live until ``now + ttl``; forget replicas dead for a day."""
    insert = dialect_insert(conn, t.replicas).values(
        replica=replica, started_at=now, heartbeat_at=now, expires_at=now + ttl
    )
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[t.replicas.c.replica],
            set_={"heartbeat_at": now, "expires_at": now + ttl},
        )
    )
    conn.execute(t.replicas.delete().where(t.replicas.c.expires_at < now - _FORGET_REPLICAS_AFTER))


def live_replicas(conn: sa.Connection, now: datetime) -> list[str]:
    query = sa.select(t.replicas.c.replica).where(t.replicas.c.expires_at > now)
    return sorted(conn.execute(query).scalars())


def _ensure_rows(conn: sa.Connection, sources: list[str]) -> None:
    known = set(
        conn.execute(sa.select(t.leases.c.source).where(t.leases.c.source.in_(sources))).scalars()
    )
    missing = [s for s in sources if s not in known]  # sorted: concurrent inserts can't deadlock
    if missing:
        insert = dialect_insert(conn, t.leases)
        conn.execute(
            insert.on_conflict_do_nothing(index_elements=[t.leases.c.source]),
            [{"source": s, "owner": FREE, "expires_at": _NEVER} for s in missing],
        )


def claim(
    conn: sa.Connection,
    owner: str,
    sources: list[str],
    *,
    now: datetime,
    ttl: timedelta,
    fair_share: int | None,
) -> list[str]:
    """Renew, shed and take leases; return the sources ``owner`` now holds (sorted)."""
    heartbeat(conn, owner, now, ttl)
    wanted = sorted(set(sources))
    if not wanted:
        return []
    _ensure_rows(conn, wanted)
    leases = t.leases.c
    expires = now + ttl
    postgres = conn.dialect.name == "postgresql"

    # A row still naming us was not taken by anyone, even if it has expired: renew it.
    mine_q = sa.select(leases.source).where(leases.owner == owner, leases.source.in_(wanted))
    if postgres:  # lock them; one taken over meanwhile no longer matches and drops out
        mine_q = mine_q.with_for_update()
    mine = list(conn.execute(mine_q.order_by(leases.source)).scalars())
    keep_at_most, take_up_to = _share(
        conn, owner, wanted, len(mine), now=now, fair_share=fair_share
    )
    keep, shed = mine[:keep_at_most], mine[keep_at_most:]
    if keep:
        conn.execute(
            t.leases.update()
            .where(leases.owner == owner, leases.source.in_(keep))
            .values(expires_at=expires)
        )
    if shed:
        conn.execute(
            t.leases.update()
            .where(leases.owner == owner, leases.source.in_(shed))
            .values(owner=FREE, expires_at=_NEVER, acquired_at=None)
        )

    taken: list[str] = []
    room = 0 if shed else take_up_to - len(keep)  # never take back what was just given
    if room > 0:
        free_q = sa.select(leases.source).where(
            leases.source.in_(wanted), leases.owner != owner, leases.expires_at <= now
        )
        if postgres:
            # Replicas racing here prefer different rows and skip each other's locked ones.
            free_q = free_q.order_by(sa.func.md5(sa.literal(owner) + leases.source))
            free_q = free_q.limit(room).with_for_update(skip_locked=True)
        else:
            free_q = free_q.order_by(leases.source).limit(room)
        taken = list(conn.execute(free_q).scalars())
        if taken:
            conn.execute(
                t.leases.update()
                .where(leases.source.in_(taken), leases.expires_at <= now)
                .values(owner=owner, expires_at=expires, acquired_at=now)
            )
    return sorted(keep + taken)


def _share(
    conn: sa.Connection,
    owner: str,
    wanted: list[str],
    held: int,
    *,
    now: datetime,
    fair_share: int | None,
) -> tuple[int, int]:
    """(how many leases ``owner`` may keep, how many it may hold after taking free ones).

    The cap is ``ceil(N / live replicas)``; that alone lets ten sources on three replicas
    end 4/4/2. So while another live replica holds fewer than ``floor(N / replicas)``, a
    replica above the floor gives one source back per round and takes none: the one below
    picks it up. Once nobody is below the floor nothing moves (4/3/3 stays 4/3/3): the
    hysteresis that keeps sources from flapping between replicas. Only replicas already
    holding some of these sources count as below: one that holds none may be configured
    with other sources, and would never pick up what is given back (a newcomer gets its
    first ones from the cap: the others shed what is above it). An explicit
    ``fair_share`` is a plain cap."""
    if fair_share is not None:
        return fair_share, fair_share
    live = [r for r in live_replicas(conn, now) if r != owner]
    replicas = len(live) + 1
    cap, floor = math.ceil(len(wanted) / replicas), len(wanted) // replicas
    held_by = (
        sa.select(t.leases.c.owner, sa.func.count())
        .where(t.leases.c.source.in_(wanted), t.leases.c.owner.in_(live))
        .group_by(t.leases.c.owner)
    )
    if all(int(n) >= floor for _owner, n in conn.execute(held_by)):
        return cap, cap
    return min(cap, max(floor, held - 1)), floor


def renew(conn: sa.Connection, owner: str, source: str, now: datetime, ttl: timedelta) -> bool:
    """Extend one lease; False when ``owner`` no longer holds it (another replica took it)."""
    done = conn.execute(
        t.leases.update()
        .where(t.leases.c.source == source, t.leases.c.owner == owner)
        .values(expires_at=now + ttl)
    )
    return bool(done.rowcount)


def release(conn: sa.Connection, owner: str, sources: list[str] | None) -> int:
    """Give leases back at once (shutdown, source removed) instead of letting them expire.
    Releasing all of them also retires the replica, so the others' fair share grows now."""
    where = [t.leases.c.owner == owner]
    if sources is not None:
        where.append(t.leases.c.source.in_(sources))
    done = conn.execute(
        t.leases.update().where(*where).values(owner=FREE, expires_at=_NEVER, acquired_at=None)
    )
    if sources is None:
        conn.execute(t.replicas.delete().where(t.replicas.c.replica == owner))
    return int(done.rowcount)


def owners(conn: sa.Connection) -> dict[str, tuple[str, datetime]]:
    """Every held lease (expired ones included: nobody has taken them over yet)."""
    rows = conn.execute(
        sa.select(t.leases.c.source, t.leases.c.owner, t.leases.c.expires_at)
        .where(t.leases.c.owner != FREE)
        .order_by(t.leases.c.source)
    )
    return {source: (owner, expires_at) for source, owner, expires_at in rows}
