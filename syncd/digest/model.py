"""What a digest says, independent of how it is drawn.

``build_digest`` fills these; every renderer (HTML mail, Slack blocks, Telegram HTML…)
reads only them. Reasons ("why is this listed") are stored as a code plus facts, not as
prose, so each renderer localizes them in the manager's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

__all__ = [
    "METRICS",
    "SECTION_ORDER",
    "ClientHeadline",
    "Digest",
    "DigestItem",
    "DigestKind",
    "DigestSection",
    "SectionKind",
    "WorkloadRow",
]

DigestKind = Literal["daily", "weekly"]
SectionKind = Literal["check_today", "overdue", "at_risk", "due_soon", "violations", "done"]
SECTION_ORDER: tuple[SectionKind, ...] = (
    "check_today",
    "overdue",
    "at_risk",
    "due_soon",
    "violations",
    "done",
)
METRICS: tuple[str, ...] = ("open", "overdue", "at_risk", "due_soon", "violations", "done")
"""Headline counters per client, in display order; also the keys of ``Digest.stats()``."""


@dataclass(frozen=True)
class DigestItem:
    """One task in one section, with the facts its "why" line is built from."""

    key: str
    title: str
    url: str
    client: str
    assignee: str | None
    due: date | None
    priority: str | None
    quadrant: int
    """Eisenhower quadrant: 1 urgent+important, 2 important, 3 urgent, 4 neither."""
    why: str
    """Reason code: ``checkpoint_today``, ``overdue``, ``at_risk``, ``due_soon``,
    ``violations``, ``done``."""
    days: int | None = None
    """Business days late (overdue) or left (due soon)."""
    at: datetime | None = None
    """The checkpoint moment (check today, at risk) or when it was resolved (done)."""
    rules: tuple[str, ...] = ()
    """Violated rule names (violations)."""
    since: datetime | None = None
    """When the earliest of those violations was first seen."""

    @property
    def important(self) -> bool:
        return self.quadrant in (1, 2)

    @property
    def urgent(self) -> bool:
        return self.quadrant in (1, 3)


@dataclass(frozen=True)
class DigestSection:
    kind: SectionKind
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class ClientHeadline:
    client: str
    counts: dict[str, int]
    """Metric name (see ``METRICS``) → count."""
    deltas: dict[str, int | None]
    """Change since the previous digest; None when there is nothing to compare with."""


@dataclass(frozen=True)
class WorkloadRow:
    assignee: str
    open: int
    due_this_week: int
    overdue: int


@dataclass(frozen=True)
class Digest:
    manager: str
    language: Literal["ru", "en"]
    timezone: str
    kind: DigestKind
    generated_at: datetime
    """``now`` in the manager's time zone."""
    since: datetime | None
    headlines: tuple[ClientHeadline, ...]
    sections: tuple[DigestSection, ...]
    """Non-empty sections only, in ``SECTION_ORDER``."""
    workload: tuple[WorkloadRow, ...]
    period: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def local_date(self) -> date:
        return self.generated_at.date()

    @property
    def nothing_to_report(self) -> bool:
        """True when no section has an item: the digest is one line."""
        return not self.sections

    def section(self, kind: SectionKind) -> DigestSection | None:
        for section in self.sections:
            if section.kind == kind:
                return section
        return None

    def stats(self) -> dict[str, Any]:
        """Counters kept in the digest ledger; the next digest shows ▲/▼ against them."""
        return {
            "version": 1,
            "generated_at": self.generated_at.isoformat(),
            "clients": {h.client: dict(h.counts) for h in self.headlines},
        }
