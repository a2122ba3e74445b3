"""Who already got a digest: the per-channel and per-part rows of the digest ledger.

Row kinds under one ``(manager, period)``:

- ``daily``                the slot itself (claimed first; it serialises the senders);
- ``daily/0-webhook``      one per channel (index in the manager's list, type);
- ``daily/1-telegram/p2``  one per message of a channel that sends several (Telegram).

Each row is claimed just before its send and confirmed just after, so a retry (next
cycle, another replica, a restarted process) skips what already went out: when part 2 of
3 fails, part 1 is not repeated; when one of two channels fails, the other is not.

**At most once, by choice.** A row still ``claimed`` means its sender stopped between
claiming and confirming — a crash, a kill, a lost database connection — and the send may
or may not have happened; nobody can tell (a webhook has no "did you get it?"). Once the
claim is older than the stale window (the one after which the slot itself may be taken
over), that row is settled as *unknown* — confirmed with ``{"delivery": "unknown"}`` in
its stats and logged as ``digest_delivery_unknown`` with the dead claim's owner — and is
**not** sent again. A digest lands in a shared chat the client's people may read; a second
copy of it (or of part 1 of 3) is noise everybody sees, while a lost one is a single log
line an operator can act on. Sends that fail cleanly (any exception) release their claim
and are retried next cycle, as before: only the unknowable case is given up.

A send that went out and got no answer — a read timeout, a connection dropped after the
request (``DeliveryUnknownError`` from the channel) — is the same unknowable case seen
live: its row is settled as unknown at once (``{"delivery": "unknown", "problem": …}``),
logged as ``digest_delivery_unknown``, and not sent again, in this cycle or a later one.

A message an SMTP server accepted for some recipients and refused for others
(``PartialDeliveryError``) went out too: its row is confirmed with the refused addresses
(``{"refused": …}``), logged as ``digest_recipients_refused``, and not sent again.

A fresh claim held by someone else is *busy*: left alone, and the slot is retried next
cycle, by when it is confirmed (skipped then) or stale (settled as unknown).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from config.policy import ChannelConfig
from syncd.channels import Document, PartedSender, Sender
from syncd.core.errors import ChannelError, DeliveryUnknownError, PartialDeliveryError
from syncd.core.logs import get_logger
from syncd.store.ledger import DigestRow
from syncd.store.store import Store

__all__ = ["STALE_AFTER", "Begin", "DeliveryLedger", "Parts", "deliver"]

STALE_AFTER = timedelta(minutes=10)
"""How old an unconfirmed claim must be before its sender counts as gone."""

Begin = Literal["go", "done", "unknown", "busy"]
"""``go``: claimed, send now. ``done``: sent before. ``unknown``: a dead sender may have
sent it — skip. ``busy``: someone else is sending it right now."""

_log = get_logger("syncd.digest")


@dataclass
class DeliveryLedger:
    """The rows of one manager's slot (``period``), for one attempt at ``now``."""

    store: Store
    manager: str
    period: str
    owner: str
    now: datetime
    stale_after: timedelta = STALE_AFTER

    def _row(self, kind: str) -> DigestRow | None:
        for row in self.store.digests(self.manager, kind):
            if row.period == self.period:
                return row
        return None

    def _claim(self, kind: str) -> Begin:
        taken = self.store.claim_digest(
            self.manager, kind, self.period, self.owner, self.now, stale_after=self.stale_after
        )
        return "go" if taken else "busy"

    def begin(self, kind: str, *, take_over: bool = False) -> Begin:
        """Claim ``kind`` unless it went out (or may have). ``take_over``: a stale claim is
        taken over instead of settled as unknown — for a channel whose parts have rows of
        their own, so only the part that was in flight is given up."""
        row = self._row(kind)
        if row is None:
            return self._claim(kind)
        if row.state != "claimed":
            return "done"
        if self.now - row.claimed_at < self.stale_after:
            return "busy"
        if take_over:
            return self._claim(kind)
        self.settle_unknown(row)
        return "unknown"

    def settle_unknown(self, row: DigestRow) -> None:
        """Settle a stale claim: its sender stopped before confirming."""
        self._unknown(
            row.kind,
            {"claimed_by": row.owner, "claimed_at": row.claimed_at.isoformat()},
            "not resent: it may have been delivered before its sender stopped",
        )

    def unknown(self, kind: str, problem: str) -> None:
        """Settle our own claim on ``kind``: the send went out and no answer came."""
        self._unknown(
            kind,
            {"claimed_by": self.owner, "claimed_at": self.now.isoformat(), "problem": problem},
            "not resent: sent without an answer, it may have been delivered",
        )

    def _unknown(self, kind: str, details: dict[str, str], action: str) -> None:
        _log.warning(
            "digest_delivery_unknown",
            manager=self.manager,
            kind=kind,
            period=self.period,
            action=action,
            **details,
        )
        self.store.confirm_digest(
            self.manager, kind, self.period, {"delivery": "unknown", **details}, self.now
        )

    def confirm(self, kind: str, details: dict[str, str] | None = None) -> None:
        self.store.confirm_digest(self.manager, kind, self.period, details or {}, self.now)

    def release(self, kind: str) -> None:
        self.store.release_digest(self.manager, kind, self.period)

    def parts(self, channel_kind: str) -> Parts:
        return Parts(self, channel_kind)


class Parts:
    """``syncd.channels.PartLedger`` over the rows ``<channel kind>/p<n>``."""

    def __init__(self, ledger: DeliveryLedger, channel_kind: str) -> None:
        self.ledger = ledger
        self.channel_kind = channel_kind

    def kind(self, part: int) -> str:
        return f"{self.channel_kind}/p{part}"

    def begin(self, part: int) -> bool:
        state = self.ledger.begin(self.kind(part))
        if state == "busy":
            raise ChannelError(
                f"part {part} is being sent by another process; retried next cycle",
                channel=self.channel_kind,
                retriable=True,
            )
        return state == "go"

    def sent(self, part: int) -> None:
        self.ledger.confirm(self.kind(part))

    def failed(self, part: int) -> None:
        self.ledger.release(self.kind(part))

    def unknown(self, part: int, problem: str) -> None:
        self.ledger.unknown(self.kind(part), problem)


def deliver(
    ledger: DeliveryLedger,
    kind: str,
    channels: Sequence[ChannelConfig],
    senders: Callable[[ChannelConfig], Sender],
    doc: Document,
) -> tuple[str, ...]:
    """Send ``doc`` (slot ``kind``) to every channel not served yet; return the names of
    channels whose delivery is unknown (an earlier attempt died mid-send, or this one got
    no answer): they are not sent again. After trying them
    all (one broken channel does not starve the others) raise ChannelError naming those
    that failed; their claims are released whatever the exception was."""
    failures: list[str] = []
    unknown: list[str] = []
    for index, config in enumerate(channels):
        sub = f"{kind}/{index}-{config.type}"
        sender = senders(config)
        parted = bool(getattr(sender, "multipart", False))
        state = ledger.begin(sub, take_over=parted)
        if state == "done":
            continue  # this channel got it in an earlier, partly failed attempt
        if state == "unknown":
            unknown.append(sender.name)
            continue
        if state == "busy":
            failures.append(f"{sender.name}: being sent by another process")
            continue
        try:
            if parted:
                cast(PartedSender, sender).send(doc, parts=ledger.parts(sub))
            else:
                sender.send(doc)
        except PartialDeliveryError as exc:  # some recipients have it: never again
            _log.warning(
                "digest_recipients_refused",
                manager=ledger.manager,
                channel=sender.name,
                period=ledger.period,
                refused=list(exc.refused),
                action="not resent: the other recipients got it",
            )
            ledger.confirm(sub, {"refused": ", ".join(exc.refused)})
            continue
        except DeliveryUnknownError as exc:  # it went out unanswered: never again
            ledger.unknown(sub, str(exc))
            unknown.append(sender.name)
            continue
        except Exception as exc:  # whatever it was, the claim must not stay held
            ledger.release(sub)
            context = {"manager": ledger.manager, "channel": sender.name, "period": ledger.period}
            if isinstance(exc, ChannelError):
                _log.warning("digest_channel_failed", error=str(exc), **context)
            else:
                _log.exception("digest_channel_crashed", **context)
            problem = str(exc) if isinstance(exc, ChannelError) else repr(exc)
            failures.append(f"{sender.name}: {problem}")
            continue
        ledger.confirm(sub)
    if failures:
        raise ChannelError("; ".join(failures), channel=ledger.manager)
    return tuple(unknown)
