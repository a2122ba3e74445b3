"""Build a manager's digest from tasks and findings: what to look at today, and why.

Time-driven facts (overdue, due soon, workload) come from the tasks and the business
calendar; rule-driven facts (missed checkpoint = at risk, other violations) come from the
rule engine's findings, so the digest and the reminders never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from config.policy import ManagerConfig, Policy
from rules.base import Context
from rules.engine import Engine
from syncd.core.models import Finding, Task
from syncd.digest.model import (
    METRICS,
    SECTION_ORDER,
    ClientHeadline,
    Digest,
    DigestItem,
    DigestKind,
    DigestSection,
    SectionKind,
    WorkloadRow,
)
from syncd.digest.priority import quadrant
from syncd.digest.scope import Clients, manager_zone

__all__ = ["SECTION_RULES", "build_digest", "checkpoint_today"]

SECTION_RULES = frozenset({"overdue", "due-soon", "checkpoint"})
"""Rules whose findings have their own section; every other rule is a "violation"."""

_DEFAULT_WINDOW: dict[str, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


@dataclass
class _Facts:
    """What the digest knows about one open task."""

    task: Task
    client: str
    overdue_days: int | None = None
    due_in: int | None = None
    checkpoint_today: datetime | None = None
    at_risk: datetime | None = None
    violations: tuple[str, ...] = ()
    violations_since: datetime | None = None

    @property
    def urgent(self) -> bool:
        return self.overdue_days is not None or self.due_in is not None


def build_digest(  # noqa: PLR0917 - the order callers were promised
    policy: Policy,
    manager: ManagerConfig,
    tasks: Iterable[Task],
    findings: list[Finding],
    now: datetime,
    kind: DigestKind,
    previous_stats: Mapping[str, Any] | None,
    since: datetime | None,
    *,
    period: str = "",
    engine: Engine | None = None,
    listed: Collection[SectionKind] = SECTION_ORDER,
) -> Digest:
    """The digest of ``manager`` at ``now`` over ``tasks``, which are the manager's own
    (``scope.manager_tasks``: the caller filters once). ``since`` is when the previous
    digest of this kind went out (done-since-last); ``previous_stats`` its
    ``Digest.stats()``. ``engine`` (default: built from ``policy``) supplies calendars and
    checkpoint rules, so the digest sees the rules exactly as the reminders do.
    ``listed``: the sections whose items a caller reads (the headlines count all of them
    anyway): the desk lists its violations by rule, not the digest's 2,000 of them."""
    if now.tzinfo is None:
        raise ValueError("build_digest needs an aware 'now'")
    zone = manager_zone(manager)
    local_now = now.astimezone(zone)
    today = local_now.date()
    since = since or (now - _DEFAULT_WINDOW[kind])
    engine = engine or Engine.from_policy(policy)
    clients = Clients(policy)
    contexts: dict[str, Context] = {}  # one per source: the rules' view of "now"
    by_task: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_task[(finding.source, finding.task_key)].append(finding)

    open_facts: list[_Facts] = []
    done: list[tuple[Task, str]] = []
    for task in tasks:
        client = clients.of(task)
        if not task.is_open:
            if task.resolved is not None and since <= task.resolved <= now:
                done.append((task, client))
            continue
        facts = _Facts(task=task, client=client)
        calendar = engine.calendar(task.source)
        if task.due is not None:
            if now > calendar.due_end(task.due):
                facts.overdue_days = max(calendar.business_days_between(task.due, today), 0)
            else:
                left = calendar.business_days_between(today, task.due)
                if left <= engine.due_soon_days(task):  # the rule's horizon, not another
                    facts.due_in = max(left, 0)
            facts.checkpoint_today = checkpoint_today(engine, task, now, zone, contexts)
        task_findings = by_task.get((task.source, task.key), [])
        for finding in task_findings:
            # A checkpoint still in its grace period today is "check today", not yet lost.
            in_grace = finding.data.get("state") == "at_risk" and facts.checkpoint_today
            if finding.rule == "checkpoint" and not in_grace:
                facts.at_risk = _checkpoint_at(finding, zone)
        violating = sorted(
            (f for f in task_findings if f.rule not in SECTION_RULES), key=lambda f: f.rule
        )
        if violating:
            facts.violations = tuple(dict.fromkeys(f.rule for f in violating))
            facts.violations_since = min(f.detected_at for f in violating).astimezone(zone)
        open_facts.append(facts)

    sections = _sections(open_facts, done, zone, frozenset(listed))
    headlines = _headlines(open_facts, done, previous_stats)
    return Digest(
        manager=manager.name,
        language=manager.language,
        timezone=manager.timezone,
        kind=kind,
        generated_at=local_now,
        since=since.astimezone(zone),
        headlines=headlines,
        sections=sections,
        workload=_workload(open_facts, today),
        period=period,
    )


def checkpoint_today(
    engine: Engine, task: Task, now: datetime, zone: tzinfo, contexts: dict[str, Context]
) -> datetime | None:
    """When to check ``task`` today (``now``'s date in ``zone``), in ``zone``: its
    checkpoint moment if that falls today and no checkpoint comment is written yet, else
    None. ``contexts``: the rules' view of ``now`` per source, filled as needed."""
    moment = engine.checkpoint_moment(task)
    # Shown (and listed on the day) from the next working hour: a checkpoint that falls at
    # 00:30 is one to check at 09:00, not in the night.
    check_at = None if moment is None else engine.calendar(task.source).next_working_time(moment)
    if check_at is None or check_at.astimezone(zone).date() != now.astimezone(zone).date():
        return None
    if task.source not in contexts:
        contexts[task.source] = engine.context(task.source, now)
    # A checkpoint comment already written: nothing left to check today.
    if engine.checkpoint_rule(task).satisfied(task, contexts[task.source]):
        return None
    return check_at.astimezone(zone)


def _checkpoint_at(finding: Finding, zone: Any) -> datetime:
    raw = finding.data.get("checkpoint_at")
    if raw:
        try:
            return datetime.fromisoformat(raw).astimezone(zone)
        except ValueError:
            pass
    return finding.detected_at.astimezone(zone)


def _item(facts: _Facts, why: str, **extra: Any) -> DigestItem:
    task = facts.task
    assignee = task.assignees[0].name or task.assignees[0].id if task.assignees else None
    return DigestItem(
        key=task.key,
        title=task.title,
        url=task.url,
        client=facts.client,
        assignee=assignee,
        due=task.due,
        priority=task.priority,
        quadrant=quadrant(task.priority, urgent=facts.urgent),
        why=why,
        **extra,
    )


def _eisenhower(item: DigestItem) -> tuple[int, date, str]:
    return (item.quadrant, item.due or date.max, item.key)


def _sections(
    facts: list[_Facts], done: list[tuple[Task, str]], zone: Any, listed: frozenset[SectionKind]
) -> tuple[DigestSection, ...]:
    items: dict[SectionKind, list[DigestItem]] = {kind: [] for kind in SECTION_ORDER}
    for f in facts:
        if f.checkpoint_today is not None:
            items["check_today"].append(_item(f, "checkpoint_today", at=f.checkpoint_today))
        if f.overdue_days is not None:
            items["overdue"].append(_item(f, "overdue", days=f.overdue_days))
        if f.at_risk is not None and f.overdue_days is None:  # overdue says more already
            items["at_risk"].append(_item(f, "at_risk", at=f.at_risk))
        if f.due_in is not None:
            items["due_soon"].append(_item(f, "due_soon", days=f.due_in))
        if f.violations and "violations" in listed:  # a line for most tasks: not for nothing
            items["violations"].append(
                _item(f, "violations", rules=f.violations, since=f.violations_since)
            )
    for task, client in done:
        resolved = task.resolved.astimezone(zone) if task.resolved else None
        items["done"].append(_item(_Facts(task=task, client=client), "done", at=resolved))
    result = []
    for kind in SECTION_ORDER:
        if not items[kind] or kind not in listed:
            continue
        if kind == "done":
            ordered = sorted(items[kind], key=lambda i: (i.client, i.key))
        else:
            ordered = sorted(items[kind], key=_eisenhower)
        result.append(DigestSection(kind=kind, items=tuple(ordered)))
    return tuple(result)


def _headlines(
    facts: list[_Facts], done: list[tuple[Task, str]], previous: Mapping[str, Any] | None
) -> tuple[ClientHeadline, ...]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(METRICS, 0))
    for f in facts:
        c = counts[f.client]
        c["open"] += 1
        c["overdue"] += f.overdue_days is not None
        c["at_risk"] += f.at_risk is not None and f.overdue_days is None
        c["due_soon"] += f.due_in is not None
        c["violations"] += bool(f.violations)
    for _task, client in done:
        counts[client]["done"] += 1
    before = previous.get("clients", {}) if previous else None
    headlines = []
    for client in sorted(counts):
        now_counts = counts[client]
        was = before.get(client) if before is not None else None
        deltas: dict[str, int | None] = {
            m: (now_counts[m] - int(was.get(m, 0))) if isinstance(was, dict) else None
            for m in METRICS
        }
        headlines.append(ClientHeadline(client=client, counts=now_counts, deltas=deltas))
    return tuple(headlines)


def _workload(facts: list[_Facts], today: date) -> tuple[WorkloadRow, ...]:
    week_end = today + timedelta(days=6 - today.weekday())
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for f in facts:
        names = [p.name or p.id for p in f.task.assignees] or [""]
        for name in names:
            row = rows[name]
            row[0] += 1
            due = f.task.due
            if f.overdue_days is not None:
                row[2] += 1
            elif due is not None and today <= due <= week_end:
                row[1] += 1
    ordered = sorted(rows.items(), key=lambda kv: (-kv[1][0], kv[0] == "", kv[0]))
    return tuple(
        WorkloadRow(assignee=n, open=o, due_this_week=w, overdue=d) for n, (o, w, d) in ordered
    )
