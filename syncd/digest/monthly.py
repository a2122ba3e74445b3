"""The monthly client report: what the agency delivered for one client in one month.

Figures: tasks completed, share done on time (resolved no later than the due date, in the
team's zone), checkpoint compliance (completed tasks with a due date that never had a
"checkpoint missed" finding), median cycle time (start of work → resolved, in days) and
tasks overdue at the month's end — each with the previous month beside it.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from config.policy import Policy
from syncd.core.models import Task
from syncd.digest.i18n import Language
from syncd.digest.scope import Clients, owns
from syncd.store.ledger import FindingRow

__all__ = [
    "MonthlyDigest",
    "MonthlyFigures",
    "MonthlyReport",
    "ReportTask",
    "build_monthly_report",
    "missed_checkpoints",
    "month_bounds",
    "monthly_reports",
    "parse_month",
    "report_setting",
]


@dataclass(frozen=True)
class ReportTask:
    key: str
    title: str
    url: str
    due: date | None
    resolved: datetime | None
    on_time: bool | None


@dataclass(frozen=True)
class MonthlyFigures:
    month: str
    completed: int
    on_time_rate: float | None
    checkpoint_compliance: float | None
    median_cycle_days: float | None
    overdue_at_end: int


@dataclass(frozen=True)
class MonthlyReport:
    client: str
    month: str
    language: Language
    timezone: str
    current: MonthlyFigures
    previous: MonthlyFigures
    completed_tasks: tuple[ReportTask, ...]
    overdue_tasks: tuple[ReportTask, ...]

    @property
    def first_day(self) -> date:
        return parse_month(self.month)


@dataclass(frozen=True)
class MonthlyDigest:
    """The monthly slot of one manager: a report per client they own."""

    manager: str
    language: Language
    timezone: str
    period: str
    reports: tuple[MonthlyReport, ...]
    kind: str = "monthly"


def parse_month(month: str) -> date:
    try:
        year, number = (int(p) for p in month.split("-"))
        return date(year, number, 1)
    except ValueError:
        raise ValueError(f"month {month!r}: expected YYYY-MM, e.g. 2026-10") from None


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    first = parse_month(month)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, datetime.min.time(), zone),
        datetime.combine(nxt, datetime.min.time(), zone),
    )


def _previous(month: str) -> str:
    last = parse_month(month) - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def _figures(
    tasks: Sequence[Task],
    missed: Collection[tuple[str, str]],
    month: str,
    zone: ZoneInfo,
) -> tuple[MonthlyFigures, list[ReportTask], list[ReportTask]]:
    start, end = month_bounds(month, zone)
    last_day = (end - timedelta(days=1)).date()
    completed: list[ReportTask] = []
    overdue: list[ReportTask] = []
    cycle_days: list[float] = []
    with_due = on_time = kept = 0
    for t in tasks:
        resolved = t.resolved.astimezone(zone) if t.resolved else None
        if resolved is not None and start <= resolved < end:
            in_time = None
            if t.due is not None:
                with_due += 1
                in_time = resolved.date() <= t.due
                on_time += in_time
                kept += (t.source, t.key) not in missed
            cycle_days.append(max((resolved - t.work_start).total_seconds(), 0) / 86400)
            completed.append(ReportTask(t.key, t.title, t.url, t.due, resolved, in_time))
        elif (
            t.due is not None
            and t.due <= last_day
            and t.created < end
            and (resolved is None or resolved >= end)
        ):
            overdue.append(ReportTask(t.key, t.title, t.url, t.due, None, False))
    figures = MonthlyFigures(
        month=month,
        completed=len(completed),
        on_time_rate=on_time / with_due if with_due else None,
        checkpoint_compliance=kept / with_due if with_due else None,
        median_cycle_days=round(statistics.median(cycle_days), 1) if cycle_days else None,
        overdue_at_end=len(overdue),
    )
    completed.sort(key=lambda r: (r.resolved or end, r.key))
    overdue.sort(key=lambda r: (r.due or last_day, r.key))
    return figures, completed, overdue


def missed_checkpoints(findings_history: Iterable[FindingRow]) -> set[tuple[str, str]]:
    """``(source, task key)`` of every task the ledger ever held a ``checkpoint`` finding
    for (``findings_history``: ``store.findings(state=None)``): it missed its checkpoint."""
    return {(f.source, f.task_key) for f in findings_history if f.rule == "checkpoint"}


def _report(
    client: str,
    tasks: Sequence[Task],
    missed: Collection[tuple[str, str]],
    month: str,
    *,
    language: Language,
    timezone: str,
) -> MonthlyReport:
    zone = ZoneInfo(timezone)
    current, completed, overdue = _figures(tasks, missed, month, zone)
    previous, _c, _o = _figures(tasks, missed, _previous(month), zone)
    return MonthlyReport(
        client=client,
        month=month,
        language=language,
        timezone=timezone,
        current=current,
        previous=previous,
        completed_tasks=tuple(completed),
        overdue_tasks=tuple(overdue),
    )


def build_monthly_report(
    tasks: Iterable[Task],
    findings_history: Iterable[FindingRow],
    month: str,
    client: str,
    *,
    policy: Policy | None = None,
    language: Language = "en",
    timezone: str = "UTC",
) -> MonthlyReport:
    """The report on ``client`` for ``month`` (``YYYY-MM``) over those of ``tasks`` that
    belong to it (by ``policy``; without one the project is the client). For several
    clients at once use :func:`monthly_reports`, which reads everything once."""
    of = Clients(policy).of if policy is not None else (lambda t: t.project)
    mine = [t for t in tasks if of(t) == client]
    missed = missed_checkpoints(findings_history)
    return _report(client, mine, missed, month, language=language, timezone=timezone)


def monthly_reports(
    by_client: dict[str, list[Task]],
    missed: Collection[tuple[str, str]],
    month: str,
    *,
    language: Language = "en",
    timezone: str = "UTC",
) -> tuple[MonthlyReport, ...]:
    """One report per client, in client order: ``by_client`` is the tasks grouped once
    (``Clients.group``), ``missed`` the ledger read once (:func:`missed_checkpoints`)."""
    return tuple(
        _report(client, by_client[client], missed, month, language=language, timezone=timezone)
        for client in sorted(by_client)
    )


def report_setting(policy: Policy, client_tasks: Sequence[Task]) -> tuple[Language, str]:
    """Language and zone of a client's report (``client_tasks``: that client's tasks):
    those of the first manager owning one of them, else English in UTC."""
    for manager in policy.managers:
        if any(owns(manager, t) for t in client_tasks):
            return manager.language, manager.timezone
    return "en", "UTC"
