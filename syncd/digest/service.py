"""Sending each due digest exactly once: claim → render → send everywhere → confirm.

Per manager and due slot (``schedule.due_slots``) the service claims the
``(manager, kind, period)`` row of the digest ledger; only the winner renders and sends.
Each channel also gets its own ledger row (kind ``daily/<n>-<type>``) so that when one of
two channels fails, the retry next cycle does not repeat the one that worked. A failed
send releases its claims — it is retried next cycle and never recorded as sent. Dry-run
renders and prints without claiming or sending.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from config.policy import ChannelConfig, ManagerConfig, Policy
from syncd.channels import Document, Sender, build_sender
from syncd.channels.payloads import json_payload
from syncd.digest.content import build_digest
from syncd.digest.model import Digest
from syncd.digest.monthly import MonthlyDigest, build_monthly_report
from syncd.digest.render import render
from syncd.digest.render.monthly import render_monthly
from syncd.digest.report import render_report_file
from syncd.digest.schedule import SlotKind, due_slots, period_key, previous_month
from syncd.digest.scope import client_of, manager_calendar, manager_tasks
from syncd.errors import ChannelError, SyncdError
from syncd.logs import get_logger
from syncd.models import Finding, Task
from syncd.replica import default_owner
from syncd.store.store import Store

__all__ = ["DigestService", "SentDigest", "render_report_file"]

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

    @property
    def status(self) -> str:
        """``sent``, ``failed`` (retried next cycle), ``skipped`` (empty) or ``dry-run``."""
        if self.dry_run:
            return "dry-run"
        if self.error is not None:
            return "failed"
        return "skipped" if self.skipped else "sent"


class DigestService:
    def __init__(
        self,
        policy: Policy,
        store: Store,
        *,
        dry_run: bool = False,
        owner: str | None = None,
        senders: Callable[[ChannelConfig], Sender] | None = None,
        evaluate: Evaluate | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.policy = policy
        self.store = store
        self.dry_run = dry_run
        self.owner = owner or default_owner()
        self._senders = senders or build_sender
        self._evaluate = evaluate
        self._out = out

    # -- inputs -----------------------------------------------------------------------
    def _findings(self, tasks: list[Task], now: datetime) -> list[Finding]:
        if self._evaluate is not None:
            found = self._evaluate(tasks, now)
        else:
            from rules.engine import Engine

            found = Engine.from_policy(self.policy).evaluate(tasks, now)
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
            history = self.store.findings(state=None)
            clients = sorted({client_of(self.policy, t) for t in tasks})
            reports = tuple(
                build_monthly_report(
                    tasks,
                    history,
                    month,
                    client,
                    policy=self.policy,
                    language=manager.language,
                    timezone=manager.timezone,
                )
                for client in clients
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
        )

    # -- the cycle --------------------------------------------------------------------
    def run_due(self, now: datetime) -> list[SentDigest]:
        """Send every digest due at ``now``. Never raises for one manager's failure."""
        results: list[SentDigest] = []
        for manager in self.policy.managers:
            try:
                calendar = manager_calendar(self.policy, manager)
                sent = {
                    r.period
                    for r in self.store.digests(manager.name)
                    if r.state == "sent" and "/" not in r.kind  # not per-channel rows
                }
                slots = due_slots(manager, now, sent, calendar=calendar)
            except SyncdError as exc:
                _log.error("digest_schedule_failed", manager=manager.name, error=str(exc))
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

    def _run_slot(
        self, manager: ManagerConfig, kind: SlotKind, period: str, now: datetime
    ) -> SentDigest | None:
        names = tuple(self._senders(c).name for c in manager.channels)
        if self.dry_run:
            doc = self.build(manager, kind, period, now)
            self._print(manager, period, doc)
            return SentDigest(manager.name, kind, period, names, _empty(doc), dry_run=True)
        if not self.store.claim_digest(manager.name, kind, period, self.owner, now):
            return None  # sent already, or another replica is sending it right now
        try:
            doc = self.build(manager, kind, period, now)
            empty = _empty(doc)
            skip = empty and not manager.schedules.send_empty
            if not skip:
                self._deliver(manager, kind, period, doc, now)
        except ChannelError as exc:
            self.store.release_digest(manager.name, kind, period)
            _log.warning("digest_not_sent", manager=manager.name, period=period, error=str(exc))
            return SentDigest(manager.name, kind, period, names, error=str(exc))
        except BaseException:
            self.store.release_digest(manager.name, kind, period)
            raise
        stats = doc.stats() if isinstance(doc, Digest) else {"version": 1}
        self.store.confirm_digest(manager.name, kind, period, stats, now)
        _log.info("digest_sent", manager=manager.name, period=period, skipped=skip)
        return SentDigest(manager.name, kind, period, () if skip else names, empty, skip)

    def _deliver(
        self, manager: ManagerConfig, kind: str, period: str, doc: Document, now: datetime
    ) -> None:
        failures: list[str] = []
        for index, config in enumerate(manager.channels):
            sub = f"{kind}/{index}-{config.type}"
            if not self.store.claim_digest(manager.name, sub, period, self.owner, now):
                continue  # this channel got it in an earlier, partly failed attempt
            sender = self._senders(config)
            try:
                sender.send(doc)
            except (ChannelError, SyncdError) as exc:
                self.store.release_digest(manager.name, sub, period)
                _log.warning(
                    "digest_channel_failed",
                    manager=manager.name,
                    channel=sender.name,
                    period=period,
                    error=str(exc),
                )
                failures.append(f"{sender.name}: {exc}")
                continue
            self.store.confirm_digest(manager.name, sub, period, {}, now)
        if failures:
            raise ChannelError("; ".join(failures), channel=manager.name)

    def _print(self, manager: ManagerConfig, period: str, doc: Document) -> None:
        out = self._out or sys.stdout
        formats = sorted({_preview_format(c.type) for c in manager.channels}) or ["text"]
        for fmt in formats:
            out.write(f"--- digest {manager.name} {period} ({fmt}, dry-run: not sent) ---\n")
            out.write(_render_doc(doc, fmt))
            out.write("\n")

    # -- preview ----------------------------------------------------------------------
    def preview(self, manager_name: str, fmt: str, at: datetime, kind: SlotKind = "daily") -> str:
        """The digest ``manager_name`` would get at ``at``, in ``fmt``; nothing is sent
        or recorded."""
        manager = self._manager(manager_name)
        local_day = at.astimezone(ZoneInfo(manager.timezone)).date()
        period = period_key(kind, local_day)
        return _render_doc(self.build(manager, kind, period, at), fmt)

    def _manager(self, name: str) -> ManagerConfig:
        for manager in self.policy.managers:
            if manager.name == name:
                return manager
        known = ", ".join(m.name for m in self.policy.managers) or "none configured"
        raise SyncdError(f"no manager named {name!r} in the policy (known: {known})")


def _empty(doc: Document) -> bool:
    return doc.nothing_to_report if isinstance(doc, Digest) else not doc.reports


def _preview_format(channel_type: str) -> str:
    return {"email": "html"}.get(channel_type, channel_type)


def _render_doc(doc: Document, fmt: str) -> str:
    if isinstance(doc, Digest):
        return render(doc, fmt)
    if fmt in ("html", "md", "text", "mattermost"):
        return str(render_monthly(doc, fmt))
    if fmt == "telegram":
        return "\n\n".join(render_monthly(doc, "telegram"))
    return json.dumps(json_payload(doc, fmt), ensure_ascii=False, indent=2) + "\n"
