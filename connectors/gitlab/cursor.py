"""The GitLab sync cursor: ``updated_after`` = the largest ``updated_at`` seen, plus the ids
seen at exactly that moment.

Why this shape (``reference/gitlab/NOTES.md``):
- ``updated_after`` is inclusive, so the next poll gets the issues at the boundary again;
  ``seen`` lets us drop those (de-dup on (id, updated_at)) while keeping an issue changed in
  the same millisecond after we read it (same time, id not seen). A steady state therefore
  costs one list request answering only the boundary issue(s).
- The list is read newest first (``order_by=updated_at&sort=desc``): by keyset for a project
  where GitLab offers it (18.3+), else by offset (groups; older GitLab). With offsets, a
  changed issue jumps to the front: the pages behind shift by one and repeat an item
  (dropped as a duplicate) but never skip one; the changed issue itself is newer than the
  new cursor and comes with the next poll. Ascending offset paging would skip an item
  behind the watermark — lost for good (``test_issues_changing_while_paging…``). Keyset
  pages are anchored on (updated_at, id) and need no such care, nor hit GitLab's
  50,000-offset limit on large projects.
- Reading newest first, the watermark is known from the first page but only safe to store
  once the last page is done: ``Poll.cursor_for_page`` returns the old cursor until then.
- Every moment here is GitLab's own (``updated_at``), never the host's; an ``updated_at``
  later than GitLab's own present (its ``Date`` header) does not move the watermark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.http.reread_keys import RetryKeys
from connectors.http.timestamps import parse_timestamp
from syncd.core.errors import FatalError

__all__ = ["Cursor", "Poll"]


@dataclass(frozen=True)
class Cursor:
    updated_after: str | None = None
    """GitLab's own ``updated_at`` text of the newest issue seen (sent back verbatim)."""
    seen: frozenset[str] = frozenset()
    """Ids of the issues whose ``updated_at`` is exactly ``updated_after``."""
    retry: RetryKeys = field(default_factory=RetryKeys)
    """Issues (``group/project#iid``) whose reading or mapping failed: read first next sync."""
    ahead: frozenset[tuple[str, str]] = frozenset()
    """(id, ``updated_at``) of issues read while stamped later than GitLab's present: the
    watermark stays behind them, so the listing returns them until it passes; this version
    of them is not read again."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"updated_after": self.updated_after, "seen": sorted(self.seen)}
        if self.retry.pending:
            data["retry"] = self.retry.to_json()
        if self.ahead:
            data["ahead"] = sorted([i, u] for i, u in self.ahead)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, source: str = "") -> Cursor:
        if not data:
            return cls()
        after, seen = data.get("updated_after"), data.get("seen", [])
        try:
            if after is not None:
                parse_timestamp(str(after), "updated_after")
            retry = RetryKeys.from_json(data.get("retry"))
            ahead = frozenset((str(i), str(u)) for i, u in data.get("ahead", []))
            return cls(
                None if after is None else str(after),
                frozenset(str(s) for s in seen),
                retry,
                ahead,
            )
        except (TypeError, ValueError) as exc:
            raise FatalError(f"stored GitLab cursor is unusable: {exc}", source=source) from None


@dataclass
class Poll:
    """One pass over the changed issues."""

    start: Cursor
    limit: datetime | None = None
    """The tracker's time at its first answer (``connectors.http.tracker_clock``): an issue
    stamped later than that (an import that set ``updated_at``, a skewed node) must not
    carry the watermark into the future, where it would hide every later change."""
    _best: tuple[datetime, str] | None = None
    _best_ids: set[str] = field(default_factory=set)
    _yielded: set[str] = field(default_factory=set)
    _ahead: dict[str, str] = field(default_factory=dict)
    retry: RetryKeys = field(init=False)

    def __post_init__(self) -> None:
        self.retry = self.start.retry.copy()

    def is_new(self, issue_id: str, updated_at: str) -> bool:
        """False for an issue already handled (boundary of the last poll, or repeated by a
        shifting offset page in this one); records the watermark otherwise."""
        if issue_id in self._yielded:
            return False
        if updated_at == self.start.updated_after and issue_id in self.start.seen:
            return False
        if (issue_id, updated_at) in self.start.ahead:
            self._ahead[issue_id] = updated_at
            return False
        moment = parse_timestamp(updated_at, f"issue {issue_id}.updated_at")
        self._yielded.add(issue_id)
        if self.limit is not None and moment > self.limit:
            self._ahead[issue_id] = updated_at
            return True  # read, but the watermark stays at the tracker's present
        if self._best is None or moment > self._best[0]:
            self._best, self._best_ids = (moment, updated_at), {issue_id}
        elif moment == self._best[0]:
            self._best_ids.add(issue_id)
        return True

    def already_read(self, issue_id: str) -> None:
        """Read outside the listing in this poll (a retried issue): not again from it."""
        self._yielded.add(issue_id)

    def final(self) -> Cursor:
        """The cursor to store once every page of this poll is stored."""
        retry = self.retry.copy()
        ahead = frozenset(self._ahead.items())
        if self._best is None:
            return Cursor(self.start.updated_after, self.start.seen, retry, ahead)
        moment, text = self._best
        after = self.start.updated_after
        if after and parse_timestamp(after, "updated_after") == moment:
            return Cursor(after, self.start.seen | self._best_ids, retry, ahead)
        return Cursor(text, frozenset(self._best_ids), retry, ahead)
