"""Sending each due digest: claim → render → send everywhere → confirm.

Per manager and due slot (``schedule.due_slots``) the service claims the
``(manager, kind, period)`` row of the digest ledger; only the winner renders and sends.
Each channel, and each message of a multi-message channel (Telegram), also gets its own
ledger row (``syncd.digest.channel_ledger``), so a retry never repeats what already went out.
A send that fails (any exception) releases its claims and is retried next cycle; it is
never recorded as sent. A send interrupted between claim and confirm (a crash) is settled
as "unknown" after the stale window, and a send that went out without an answer (a read
timeout) at once; neither is resent — at most once per channel; the ``delivery`` module
docstring says why. Dry-run renders and prints without claiming or
sending, once per slot per process.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from config.policy import ChannelConfig, ManagerConfig, Policy
from rules.calendar import BusinessCalendar
from rules.engine import Engine
from syncd.channels import Document, Sender, build_sender
from syncd.core.errors import ChannelError, SyncdError
from syncd.core.logs import get_logger
from syncd.core.models import Finding, Task
from syncd.digest.channel_ledger import STALE_AFTER, DeliveryLedger, deliver
from syncd.digest.content import build_digest
from syncd.digest.model import Digest
from syncd.digest.monthly import MonthlyDigest, missed_checkpoints, monthly_reports
from syncd.digest.report import preview_format, render_document
from syncd.digest.schedule import SlotKind, due_slots, next_fire, period_key, previous_month
from syncd.digest.scope import Clients, manager_calendar, manager_tasks
from syncd.replica import default_owner
from syncd.store.store import Store

__all__ = ["DigestService", "SentDigest"]

_log = get_logger("syncd.digest")
Evaluate = Callable[[list[Task], datetime], list[Finding]]


@dataclass(frozen=True)
class SentDigest:
    manager: str
    kind: str
    period: str
    channels: tuple[str, ...]
    """Names of the channels it went to (or would go to, in dry-run)."""
    empty: bool = False
    """Nothing to report; ``skipped`` tells whether it was still sent."""
    skipped: bool = False
    dry_run: bool = False
    error: str | None = None
    unknown: tuple[str, ...] = ()
    """Channels that may or may not have got it (an earlier attempt crashed mid-send, or
    this one got no answer): recorded as delivery unknown, not resent."""

    @property
    def status(self) -> str:
        """``sent``, ``failed`` (retried next cycle), ``skipped`` (empty) or ``dry-run``."""
        if self.dry_run:
            return "dry-run"
        if self.error is not None:
            return "failed"
        return "skipped" if self.skipped else "sent"


class DigestService:
    """Every manager's digests over one policy; a reload builds a new service, so what
    is derived from the policy (engine, calendars, clients) is built once here."""

    def __init__(
        self,
        policy: Policy,
        store: Store,
        *,
        engine: Engine | None = None,
        dry_run: bool = False,
        owner: str | None = None,
        senders: Callable[[ChannelConfig], Sender] | None = None,
        evaluate: Evaluate | None = None,
        out: TextIO | None = None,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self.policy = policy
        self.store = store
        self.dry_run = dry_run
        self.owner = owner or default_owner()
        self.stale_after = stale_after
        self._senders = senders or build_sender
        self._evaluate = evaluate
        self._out = out
        # The wiring passes the runners' engine; standalone uses (preview) build their own.
        self.engine = engine or Engine.from_policy(policy)
        self.clients = Clients(policy)
        self._calendars: dict[str, BusinessCalendar] = {}
        # Dry-run records nothing in the ledger; without this memory `syncd run --dry-run`
        # would print the same digest every minute for the rest of the day.
        self._printed: set[tuple[str, str, str]] = set()

    def _calendar(self, manager: ManagerConfig) -> BusinessCalendar:
        """The manager's business calendar, built on their first digest tick only."""
        calendar = self._calendars.get(manager.name)
        if calendar is None:
            calendar = manager_calendar(self.policy, manager, self.engine)
            self._calendars[manager.name] = calendar
        return calendar

    # -- inputs -----------------------------------------------------------------------
    def _findings(self, tasks: list[Task], now: datetime) -> list[Finding]:
        if self._evaluate is not None:
            found = self._evaluate(tasks, now)
        else:
            found = self.engine.evaluate(tasks, now)
        # "Since when" is the ledger's first sighting, not this evaluation's moment.
        first_seen = {
            (r.source, r.task_key, r.rule, r.fingerprint): r.first_seen
            for r in self.store.findings(state="open")
        }
        return [
            f.model_copy(update={"detected_at": seen})
            if (seen := first_seen.get((f.source, f.task_key, f.rule, f.fingerprint)))
            else f
            for f in found
        ]

    def _previous(self, manager: ManagerConfig, kind: str) -> tuple[dict[str, Any] | None, Any]:
        sent = [r for r in self.store.digests(manager.name, kind) if r.state == "sent"]
        if not sent:
            return None, None
        last = max(sent, key=lambda r: r.sent_at or r.claimed_at)
        return last.stats, last.sent_at

    def build(self, manager: ManagerConfig, kind: SlotKind, period: str, now: datetime) -> Document:
        tasks = list(manager_tasks(manager, self.store.iter_tasks()))
        if kind == "monthly":
            local_day = now.astimezone(ZoneInfo(manager.timezone)).date()
            month = previous_month(local_day)
            reports = monthly_reports(
                self.clients.group(tasks),
                missed_checkpoints(self.store.findings(state=None)),
                month,
                language=manager.language,
                timezone=manager.timezone,
            )
            return MonthlyDigest(
                manager=manager.name,
                language=manager.language,
                timezone=manager.timezone,
                period=period,
                reports=reports,
            )
        open_tasks = [t for t in tasks if t.is_open]
        stats, since = self._previous(manager, kind)
        return build_digest(
            self.policy,
            manager,
            tasks,
            self._findings(open_tasks, now),
            now,
            kind,
            stats,
            since,
            period=period,
            engine=self.engine,
        )

    # -- the cycle --------------------------------------------------------------------
    def run_due(self, now: datetime) -> list[SentDigest]:
        """Send every digest due at ``now``. Never raises for one manager's failure."""
        results: list[SentDigest] = []
        for manager in self.policy.managers:
            try:
                calendar = self._calendar(manager)
                sent = {
                    r.period
                    for r in self.store.digests(manager.name)
                    if r.state == "sent" and "/" not in r.kind  # not per-channel rows
                }
                slots = due_slots(manager, now, sent, calendar=calendar)
            except SyncdError as exc:
                _log.error("digest_schedule_failed", manager=manager.name, error=str(exc))
                continue
            except Exception:
                _log.exception("digest_schedule_failed", manager=manager.name)
                continue
            for kind, period in slots:
                try:
                    result = self._run_slot(manager, kind, period, now)
                except Exception as exc:  # a bug or a broken store: log it, serve the others
                    _log.exception("digest_failed", manager=manager.name, period=period)
                    results.append(
                        SentDigest(manager.name, kind, period, (), error=type(exc).__name__)
                    )
                    continue
                if result is not None:
                    results.append(result)
        return results

    def next_due(self, now: datetime) -> datetime | None:
        """When the next schedule fires, over every manager: the daemon wakes then, so a
        09:00 digest goes out at 09:00 whatever the poll interval. None: no schedules."""
        fires = []
        for manager in self.policy.managers:
            try:
                fires.append(next_fire(manager, now))
            except SyncdError as exc:
                _log.error("digest_schedule_failed", manager=manager.name, error=str(exc))
        return min((f for f in fires if f is not None), default=None)

    def _run_slot(
        self, manager: ManagerConfig, kind: SlotKind, period: str, now: datetime
    ) -> SentDigest | None:
        names = tuple(self._senders(c).name for c in manager.channels)
        if self.dry_run:
            key = (manager.name, kind, period)
            if key in self._printed:
                return None
            doc = self.build(manager, kind, period, now)
            self._print(manager, period, doc)
            self._printed.add(key)
            return SentDigest(manager.name, kind, period, names, _empty(doc), dry_run=True)
        if not self.store.claim_digest(
            manager.name, kind, period, self.owner, now, stale_after=self.stale_after
        ):
            return None  # sent already, or another replica is sending it right now
        unknown: tuple[str, ...] = ()
        try:
            doc = self.build(manager, kind, period, now)
            empty = _empty(doc)
            skip = empty and not manager.schedules.send_empty
            if not skip:
                ledger = DeliveryLedger(
                    self.store, manager.name, period, self.owner, now, self.stale_after
                )
                unknown = deliver(ledger, kind, manager.channels, self._senders, doc)
        except ChannelError as exc:
            self.store.release_digest(manager.name, kind, period)
            _log.warning("digest_not_sent", manager=manager.name, period=period, error=str(exc))
            return SentDigest(manager.name, kind, period, names, error=str(exc))
        except BaseException:
            self.store.release_digest(manager.name, kind, period)
            raise
        stats = doc.stats() if isinstance(doc, Digest) else {"version": 1}
        self.store.confirm_digest(manager.name, kind, period, stats, now)
        _log.info("digest_sent", manager=manager.name, period=period, skipped=skip, unknown=unknown)
        return SentDigest(
            manager.name, kind, period, () if skip else names, empty, skip, unknown=unknown
        )

    def _print(self, manager: ManagerConfig, period: str, doc: Document) -> None:
        out = self._out or sys.stdout
        formats = sorted({preview_format(c.type) for c in manager.channels}) or ["text"]
        for fmt in formats:
            out.write(f"--- digest {manager.name} {period} ({fmt}, dry-run: not sent) ---\n")
            out.write(render_document(doc, fmt))
            out.write("\n")

    # -- preview ----------------------------------------------------------------------
    def preview(self, manager_name: str, fmt: str, at: datetime, kind: SlotKind = "daily") -> str:
        """The digest ``manager_name`` would get at ``at``, in ``fmt``; nothing is sent
        or recorded."""
        manager = self._manager(manager_name)
        local_day = at.astimezone(ZoneInfo(manager.timezone)).date()
        period = period_key(kind, local_day)
        return render_document(self.build(manager, kind, period, at), fmt)

    def _manager(self, name: str) -> ManagerConfig:
        for manager in self.policy.managers:
            if manager.name == name:
                return manager
        known = ", ".join(m.name for m in self.policy.managers) or "none configured"
        raise SyncdError(f"no manager named {name!r} in the policy (known: {known})")


def _empty(doc: Document) -> bool:
    return doc.nothing_to_report if isinstance(doc, Digest) else not doc.reports
