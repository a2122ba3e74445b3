"""What a reminder says and which findings it covers: planning, with no side effects.

One comment per task per cycle names every finding of that task that has not been reminded
about yet (or came back after the cool-down). Its marker is derived from the source, the
task, the findings it covers and how often they were reminded before, so planning the same
situation twice gives the same marker — which is what lets the ledger refuse a second post.
The marker is the ledger's claim key; on the tracker a reminder is recognised by the
findings it names, whatever source posted it (``syncd.reminder_identity``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from config.policy import SourceConfig
from rules.texts import reminder_intro, reminder_item, reminder_outro, thanks_text
from syncd.core.models import Finding, Person, Reminder, ReminderItem, Severity, Task
from syncd.store import ActionRow, FindingRow

__all__ = [
    "ATTENTION_LABEL",
    "SEVERITY_RANK",
    "Evaluation",
    "Plan",
    "ReconcileResult",
    "iter_plans",
    "marker_for",
    "plan_from_action",
    "plan_payload",
    "thanks_plan",
]

ATTENTION_LABEL = "syncd-attention"
SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Plan:
    """One combined reminder for one task."""

    task_key: str
    marker: str
    reminder: Reminder
    covers: tuple[tuple[str, str], ...]
    """(rule, fingerprint) of every finding the comment names."""
    add_labels: tuple[str, ...] = ()


@dataclass
class Evaluation:
    """One evaluation of a source: what reconciliation needs to know."""

    tasks: Mapping[str, Task]
    """The open tasks that have findings."""
    findings: Sequence[Finding]
    failed: set[tuple[str, str]] = field(default_factory=set)
    """(task key, rule) pairs whose rule crashed: their old findings are not "fixed"."""
    labelled: set[str] = field(default_factory=set)
    """Open tasks carrying the attention label."""
    scope: set[str] | None = None
    """The tasks ``findings`` speak for (None: every open task of the source). Outside it
    the findings did not change and the ledger holds them already: nothing to reconcile."""
    evaluated: int | None = None
    """How many tasks the engine evaluated (the others' kept results held); None: all."""
    ledger_notes: list[tuple[str, str | None]] = field(default_factory=list)
    """(task key, digest of its findings) to note as the ledger's once they are recorded
    (``Store.note_ledger``); None where a rule failed (the ledger keeps old findings)."""


@dataclass
class ReconcileResult:
    posted: list[Plan] = field(default_factory=list)
    would_post: list[Plan] = field(default_factory=list)
    """Dry-run: what would have been written. (Report-only shows each plan as it is made
    and only counts them: a large backlog's comments are not held.)"""
    would_post_count: int = 0
    """Dry-run or report-only: how many comments would have been written."""
    queued_until: dict[str, datetime] = field(default_factory=dict)
    """Task key → start of the next working hours, for reminders held back overnight."""
    deferred: int = 0
    deferred_by: dict[str, int] = field(default_factory=dict)
    """``deferred`` by reason (``syncd.reconcile.DEFERRAL_REASONS``): a tracker's rate
    limit, tracker trouble (failed writes in a row) or the per-cycle action budget."""
    failed: int = 0
    resolved: int = 0
    retry_after: float | None = None
    """The tracker asked us to slow down: seconds before the next write."""
    throttled_status: int | None = None
    """The HTTP status with which it asked (429, or 503 with ``Retry-After``)."""
    label_changes: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)


def marker_for(
    source: str, task_key: str, covers: Sequence[tuple[str, str]], generation: int
) -> str:
    raw = "|".join([source, task_key, str(generation), *sorted(f"{r}:{f}" for r, f in covers)])
    return "r-" + hashlib.sha256(raw.encode()).hexdigest()[:20]


def plan_payload(plan: Plan) -> dict[str, Any]:
    """What the ledger keeps of a claimed reminder, to finish it after a crash as it was."""
    reminder = plan.reminder
    return {
        "reminder": {
            "marker": reminder.marker,
            "intro": reminder.intro,
            "items": [asdict(item) for item in reminder.items],
            "mention": reminder.mention.model_dump() if reminder.mention else None,
            "outro": reminder.outro,
            "generation": reminder.generation,
        },
        "covers": [list(c) for c in plan.covers],
        "add_labels": list(plan.add_labels),
    }


def plan_from_action(action: ActionRow) -> Plan:
    data = action.payload["reminder"]
    covers = tuple((r, f) for r, f in action.payload["covers"])
    reminder = Reminder(
        marker=data["marker"],
        intro=data["intro"],
        items=tuple(
            ReminderItem(title=i["title"], details=tuple(i.get("details", ())))
            for i in data["items"]
        ),
        mention=Person(**data["mention"]) if data.get("mention") else None,
        outro=data.get("outro", ""),
        covers=covers,
        generation=int(data.get("generation", 0)),
    )
    return Plan(
        action.task_key,
        action.marker,
        reminder,
        covers,
        tuple(action.payload.get("add_labels", ())),
    )


def iter_plans(
    source: SourceConfig,
    tasks: Mapping[str, Task],
    findings: Sequence[Finding],
    ledger: Mapping[tuple[str, str, str], FindingRow],
    now: datetime,
    *,
    busy: set[str],
) -> Iterator[Plan]:
    """Plans for the findings worth a comment now, most severe tasks first, one at a
    time: a report-only cycle over a large backlog shows each would-be comment and
    forgets it."""
    cooldown = timedelta(seconds=source.reminder_cooldown)
    threshold = SEVERITY_RANK[Severity(source.remind_min_severity)]
    by_task: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if SEVERITY_RANK[f.severity] > threshold or f.task_key in busy or f.task_key not in tasks:
            continue
        row = ledger.get((f.task_key, f.rule, f.fingerprint))
        if row is not None and row.notified_marker is not None:
            continue  # already reminded about this one
        if row is not None and row.notified_at is not None and now - row.notified_at < cooldown:
            continue  # came back too soon after a reminder: stay quiet for the cool-down
        by_task[f.task_key].append(f)

    def urgency(key: str) -> tuple[int, str]:
        return min(SEVERITY_RANK[f.severity] for f in by_task[key]), key

    for key in sorted(by_task, key=urgency):
        task = tasks[key]
        items = sorted(by_task[key], key=lambda f: (SEVERITY_RANK[f.severity], f.rule))
        rows = [ledger[k] for f in items if (k := (key, f.rule, f.fingerprint)) in ledger]
        generation = max((r.times_notified for r in rows), default=0)
        covers = tuple((f.rule, f.fingerprint) for f in items)
        marker = marker_for(source.name, key, covers, generation)
        lang = source.language
        heads_up = all(f.severity is Severity.INFO for f in items)
        reminder = Reminder(
            marker=marker,
            intro=reminder_intro(lang, heads_up=heads_up),
            items=tuple(reminder_item(f, task, lang, source.rule_docs_url) for f in items),
            mention=task.assignees[0] if task.assignees else task.reporter,
            outro=reminder_outro(lang, heads_up=heads_up),
            covers=covers,
            generation=generation,
        )
        add = (ATTENTION_LABEL,) if source.labels_on_finding else ()
        yield Plan(key, marker, reminder, covers, add)


def thanks_plan(source: SourceConfig, task_key: str, markers: Sequence[str]) -> Plan:
    """The thank-you for the reminders ``markers`` on a task whose findings are all fixed.
    Its marker derives from theirs, so one fix is thanked once."""
    raw = "|".join([source.name, task_key, "thanks", *sorted(markers)])
    marker = "t-" + hashlib.sha256(raw.encode()).hexdigest()[:20]
    reminder = Reminder(marker=marker, intro=thanks_text(source.language), items=())
    return Plan(task_key, marker, reminder, covers=())
