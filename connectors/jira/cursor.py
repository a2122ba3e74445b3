"""The incremental-sync cursor for Jira, kept free of HTTP so it can be tested with plain data.

Jira's JQL date literals have minute precision and are read in the *searching user's*
profile time zone, while ``fields.updated`` has milliseconds and an offset. So:

- the **watermark** is the highest full-precision ``updated`` processed, never later than
  the moment the poll started (an issue changed while we page shows up again next poll);
  once a poll has read its last page and nothing moved, it *is* the poll's start. That
  moment is the **tracker's** time (the ``Date`` of its first search answer,
  ``connectors.http.tracker_clock``), never the host's: a host clock ahead would skip the
  changes made in the gap, one behind would re-read the same changes every poll. Without
  a usable ``Date`` the watermark is the newest ``updated`` seen;
- the next query asks ``updated >= floor_minute(watermark) - overlap`` written in the
  profile zone — the overlap absorbs Jira Cloud's eventually-consistent search index and
  the instant between the search and the ``Date`` of its answer (default 2 minutes);
- everything that window returns again is recognised by ``seen`` (issue id → the newest
  ``updated`` processed) and skipped, so a quiet poll yields nothing and a page full of
  issues sharing one minute never stalls (we follow the page token/offset, not the minute).

Offset paging over a result that changes while we page can skip an issue: when an issue
already read moves to the end (it was updated) or the result shrinks (Data Center reports
``total``), every later item moves one place up and one lands on the page boundary we
already passed. ``Poll`` notices both and pulls the watermark back to just before the first
boundary that could have been affected, so the next poll reads that stretch again (the
``seen`` map keeps it cheap). An issue leaving the scope on Jira Cloud (no ``total``) cannot
be noticed this way; the overlap window and the next change of the skipped issue cover it.

The cursor is persisted after every page (``Page.cursor``); ``Cursor.to_dict`` is its only
serialised form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from connectors.http.reread_keys import RetryKeys
from connectors.http.timestamps import parse_timestamp
from syncd.core.errors import FatalError

__all__ = ["CURSOR_VERSION", "MAX_SEEN", "Cursor", "Poll", "floor_minute", "jql_literal"]

CURSOR_VERSION = 1
MAX_SEEN = 20_000
"""Upper bound of remembered (id, updated) pairs; dropping some only costs re-reading."""


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def jql_literal(moment: datetime, zone: tzinfo) -> str:
    """``moment`` floored to the minute as a JQL literal in ``zone``, never later than it.

    In the hour a DST change repeats, a wall time names two instants and Jira may pick the
    later one; step back until both readings are at or before ``moment``."""
    candidate = moment
    for _ in range(3):
        local = floor_minute(candidate.astimezone(zone))
        readings = (local.replace(fold=0), local.replace(fold=1))
        if all(r <= moment for r in readings):
            return local.strftime("%Y/%m/%d %H:%M")
        candidate -= timedelta(hours=1)
    return floor_minute((moment - timedelta(hours=3)).astimezone(zone)).strftime("%Y/%m/%d %H:%M")


@dataclass(frozen=True)
class Cursor:
    watermark: datetime | None = None
    seen: dict[str, datetime] = field(default_factory=dict)
    retry: RetryKeys = field(default_factory=RetryKeys)
    """Issues whose reading or mapping failed: read again first next sync."""
    properties_kept: bool = False
    """The server has been seen to keep comment properties: reminders need no visible text
    marker (remembered here so a restart does not have to find it out again)."""

    def lower_bound(self, overlap: timedelta) -> datetime | None:
        return None if self.watermark is None else floor_minute(self.watermark) - overlap

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "v": CURSOR_VERSION,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "seen": sorted([i, u.isoformat()] for i, u in self.seen.items()),
        }
        if self.retry.pending:
            data["retry"] = self.retry.to_json()
        if self.properties_kept:
            data["properties_kept"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, source: str = "") -> Cursor:
        """Parse a stored cursor; a damaged one is a clear error, not a silent full resync."""
        if not data:
            return cls()
        try:
            if data.get("v") != CURSOR_VERSION:
                raise ValueError(f"unknown cursor version {data.get('v')!r}")
            raw = data.get("watermark")
            watermark = parse_timestamp(str(raw), "watermark") if raw is not None else None
            seen: dict[str, datetime] = {}
            for n, pair in enumerate(data.get("seen", [])):
                issue_id, updated = pair
                seen[str(issue_id)] = parse_timestamp(str(updated), f"seen[{n}]")
            retry = RetryKeys.from_json(data.get("retry"))
        except (ValueError, TypeError, AttributeError) as exc:
            raise FatalError(f"stored Jira cursor is unreadable: {exc}", source=source) from None
        kept = data.get("properties_kept") is True
        return cls(watermark=watermark, seen=seen, retry=retry, properties_kept=kept)


class Poll:
    """One pass over the search results: decides which issues are new and what cursor each
    page may persist."""

    def __init__(self, cursor: Cursor, started: datetime | None, overlap: timedelta) -> None:
        self.started = started
        """The tracker's time when the poll's search ran; None while (or if never) known."""
        self.overlap = overlap
        self.lower = cursor.lower_bound(overlap)
        self._seen = dict(cursor.seen)
        self._initial = cursor.watermark
        self._max: datetime | None = cursor.watermark
        self._cap: datetime | None = None
        self._restart = False
        self._page_marks: list[datetime | None] = []  # watermark after each page
        self._first_page: dict[str, int] = {}  # issue id → page where we first read it
        self._total: int | None = None
        self.shift_suspected = False
        self.retry = cursor.retry.copy()

    def is_new(self, issue_id: str, updated: datetime) -> bool:
        """True if this version was not processed before (this poll or an earlier one);
        records it as processed (``check`` then ``record``)."""
        fresh = self.check(issue_id, updated)
        if fresh:
            self.record(issue_id, updated)
        return fresh

    def check(self, issue_id: str, updated: datetime) -> bool:
        """True if this version was not processed before; records nothing, so a version
        whose mapping fails is not taken for done (see ``record``, ``failed``)."""
        page = len(self._page_marks)
        first = self._first_page.get(issue_id)
        known = self._seen.get(issue_id)
        if first is not None and first < page and known is not None and updated > known:
            # Read on an earlier page of this poll and back with a newer version: it moved
            # to the end, and the pages after ``first`` may have slid past an issue.
            self._suspect(first)
        self._first_page.setdefault(issue_id, page)
        return known is None or updated > known

    def record(self, issue_id: str, updated: datetime, key: str | None = None) -> None:
        """This version is stored: never process it again; the watermark may pass it."""
        self._seen[issue_id] = updated
        self._advance(updated)
        if key is not None:
            self.retry.succeeded(key)

    def failed(self, key: str, updated: datetime | None = None) -> str | None:
        """Reading or mapping ``key`` failed: keep it for the next sync (``RetryKeys``) and
        let the watermark move on. Returns a key given up on, for the caller to log."""
        if updated is not None:
            self._advance(updated)
        return self.retry.failed(key)

    def _advance(self, updated: datetime) -> None:
        if self._max is None or updated > self._max:
            self._max = updated

    def note_total(self, total: int | None) -> None:
        """Data Center's ``total``: a change while paging means offsets moved."""
        if total is None:
            return
        if self._total is not None and total != self._total:
            self._suspect(len(self._page_marks) - 1)
        self._total = total

    def _suspect(self, after_page: int) -> None:
        """Pull the persisted watermark back to the mark after ``after_page`` (or to where
        this poll started when there is none), so the next poll re-reads what may have
        slid past a page boundary."""
        self.shift_suspected = True
        mark = self._page_marks[after_page] if 0 <= after_page < len(self._page_marks) else None
        floor = mark if mark is not None else self._initial
        if floor is None:
            self._restart = True
        elif self._cap is None or floor < self._cap:
            self._cap = floor

    def end_page(self, *, last: bool = False) -> Cursor:
        """Close a page: the cursor that may be persisted once its tasks are stored.

        After the ``last`` page of a poll in which nothing moved, every issue updated before
        the poll started has been read, so the watermark is the poll's start (the overlap of
        the next query covers index lag and clock skew). Without this the last burst of
        changes would sit at the watermark and be re-read by every later poll until
        something newer changes."""
        self._page_marks.append(self._max)
        if last and not self.shift_suspected and self.started is not None:
            self._max = self.started
        return self.cursor()

    def cursor(self) -> Cursor:
        mark = self._max
        if mark is not None and self.started is not None and mark > self.started:
            mark = self.started
        if self._restart:
            mark = None
        elif self._cap is not None and mark is not None and self._cap < mark:
            mark = self._cap
        keep_from = None if mark is None else floor_minute(mark) - self.overlap
        seen = {i: u for i, u in self._seen.items() if keep_from is None or u >= keep_from}
        if len(seen) > MAX_SEEN:
            newest = sorted(seen.items(), key=lambda kv: kv[1])[-MAX_SEEN:]
            seen = dict(newest)
        return Cursor(watermark=mark, seen=seen, retry=self.retry.copy())
