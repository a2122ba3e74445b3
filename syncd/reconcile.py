"""Reconciliation: turn this cycle's findings into at most one reminder per task, exactly once.

The protocol for every effect on a tracker is claim → find marker → post → confirm:

1. *claim*: insert an ``actions`` row keyed by the marker (unique), carrying the whole
   reminder and the findings it covers. Losing the insert race means someone else owns it.
2. *find marker*: the tracker may already carry the comment (we crashed after posting,
   or a lost response hid a successful POST): then only confirm.
3. *post* with the marker attached (comment property on Jira, hidden HTML comment on GitLab).
4. *confirm*: mark the action done and the findings notified.

A crash anywhere leaves a claimed row that the next cycle resumes with the same payload, so
the combined comment is never doubled and no finding drops out of it. Findings that clear
are resolved; a finding that comes back is reminded about again only after a cool-down.

Considerate-colleague limits: one comment per task per cycle (all new findings in it), only
within the team's working hours (outside them findings stay un-notified — the ledger is the
queue), a per-cycle action budget (the storm guard; the rest waits for the next cycle), and
report-only mode until the source is confirmed with ``enforce: true``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from config.policy import SourceConfig
from connectors.base import Connector, Reminder, ReminderItem
from rules.calendar import BusinessCalendar
from rules.texts import reminder_intro, reminder_item, reminder_outro
from syncd.errors import ConnectorError
from syncd.logs import get_logger
from syncd.models import Finding, Person, Severity, Task
from syncd.store import ActionRow, Store

__all__ = ["ATTENTION_LABEL", "Plan", "ReconcileResult", "Reconciler"]

ATTENTION_LABEL = "syncd-attention"
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

log = get_logger("syncd.reconcile")


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
class ReconcileResult:
    posted: list[Plan] = field(default_factory=list)
    would_post: list[Plan] = field(default_factory=list)
    """Dry-run or report-only: what would have been written."""
    queued_until: dict[str, datetime] = field(default_factory=dict)
    """Task key → start of the next working hours, for reminders held back overnight."""
    deferred: int = 0
    failed: int = 0
    resolved: int = 0
    label_changes: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)


def marker_for(
    source: str, task_key: str, covers: Sequence[tuple[str, str]], generation: int
) -> str:
    raw = "|".join([source, task_key, str(generation), *sorted(f"{r}:{f}" for r, f in covers)])
    return "r-" + hashlib.sha256(raw.encode()).hexdigest()[:20]


def reminder_to_payload(reminder: Reminder) -> dict[str, Any]:
    return {
        "marker": reminder.marker,
        "intro": reminder.intro,
        "items": [asdict(item) for item in reminder.items],
        "mention": reminder.mention.model_dump() if reminder.mention else None,
        "outro": reminder.outro,
    }


def reminder_from_payload(data: dict[str, Any]) -> Reminder:
    mention = Person(**data["mention"]) if data.get("mention") else None
    items = tuple(
        ReminderItem(title=i["title"], details=tuple(i.get("details", ()))) for i in data["items"]
    )
    return Reminder(
        marker=data["marker"],
        intro=data["intro"],
        items=items,
        mention=mention,
        outro=data.get("outro", ""),
    )


class Reconciler:
    def __init__(
        self,
        source: SourceConfig,
        connector: Connector,
        store: Store,
        calendar: BusinessCalendar,
        *,
        owner: str,
        dry_run: bool = False,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.source = source
        self.connector = connector
        self.store = store
        self.calendar = calendar
        self.owner = owner
        self.dry_run = dry_run
        self.cooldown = timedelta(seconds=source.reminder_cooldown)
        self.echo = echo

    @property
    def writes(self) -> bool:
        return self.source.enforce and not self.dry_run

    def reconcile(
        self, tasks: dict[str, Task], findings: list[Finding], now: datetime
    ) -> ReconcileResult:
        result = ReconcileResult()
        name = self.source.name
        current = {(f.task_key, f.rule, f.fingerprint) for f in findings}
        if not self.dry_run:
            self.store.record_findings(name, findings, now)
            gone = [
                (r.task_key, r.rule, r.fingerprint)
                for r in self.store.findings(name)
                if (r.task_key, r.rule, r.fingerprint) not in current
            ]
            self.store.resolve_findings(name, gone, now)
            result.resolved = len(gone)
            self._unlabel_fixed(
                tasks, {k for k, _, _ in gone}, {f.task_key for f in findings}, result
            )

        busy = self._resume_pending(current, now, result)
        plans = self._plan(tasks, findings, now, busy)
        if not plans:
            return result
        if not self.calendar.is_working_time(now):
            # Mentions notify people: outside working hours the findings stay un-notified
            # in the ledger (that is the queue) and the first cycle after opening posts them.
            until = self.calendar.next_working_time(now)
            for plan in plans:
                result.queued_until[plan.task_key] = until
                self._show(plan, f"queued until {until:%a %H:%M}, then would post")
            return result
        budget = self.source.max_actions_per_cycle
        for plan in plans:
            if not self.writes:
                result.would_post.append(plan)
                self._show(plan, "would post" if self.dry_run else "report-only, not posted")
                continue
            if len(result.posted) >= budget:
                result.deferred += 1
                continue
            if self._execute(plan, now, result):
                result.posted.append(plan)
        if result.deferred:
            log.info(
                "storm guard: reminders deferred to the next cycle",
                source=name,
                deferred=result.deferred,
                budget=budget,
            )
        return result

    # -- planning ---------------------------------------------------------------------
    def _plan(
        self, tasks: dict[str, Task], findings: list[Finding], now: datetime, busy: set[str]
    ) -> list[Plan]:
        ledger = {
            (r.task_key, r.rule, r.fingerprint): r for r in self.store.findings(self.source.name)
        }
        by_task: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            row = ledger.get((f.task_key, f.rule, f.fingerprint))
            if row is not None and row.notified_marker is not None:
                continue  # already reminded about this one
            if (
                row is not None
                and row.notified_at is not None
                and now - row.notified_at < self.cooldown
            ):
                continue  # came back too soon after a reminder: stay quiet for the cool-down
            if f.task_key in busy or f.task_key not in tasks:
                continue
            by_task[f.task_key].append(f)
        plans = []
        for key in sorted(
            by_task, key=lambda k: (min(_SEVERITY_ORDER[f.severity] for f in by_task[k]), k)
        ):
            task = tasks[key]
            items = sorted(by_task[key], key=lambda f: (_SEVERITY_ORDER[f.severity], f.rule))
            generation = max(
                (
                    ledger[(key, f.rule, f.fingerprint)].times_notified
                    for f in items
                    if (key, f.rule, f.fingerprint) in ledger
                ),
                default=0,
            )
            covers = tuple((f.rule, f.fingerprint) for f in items)
            marker = marker_for(self.source.name, key, covers, generation)
            lang = self.source.language
            mention = task.assignees[0] if task.assignees else task.reporter
            reminder = Reminder(
                marker=marker,
                intro=reminder_intro(lang),
                items=tuple(reminder_item(f, task, lang) for f in items),
                mention=mention,
                outro=reminder_outro(lang),
            )
            add = (ATTENTION_LABEL,) if self.source.labels_on_finding else ()
            plans.append(Plan(key, marker, reminder, covers, add))
        return plans

    # -- effects ----------------------------------------------------------------------
    def _execute(self, plan: Plan, now: datetime, result: ReconcileResult) -> bool:
        payload = {
            "reminder": reminder_to_payload(plan.reminder),
            "covers": [list(c) for c in plan.covers],
            "add_labels": list(plan.add_labels),
        }
        claimed = self.store.claim_action(
            plan.marker,
            source=self.source.name,
            task_key=plan.task_key,
            kind="comment",
            payload=payload,
            owner=self.owner,
            now=now,
        )
        # Lost the claim: finish it only if it is ours from before a restart or its owner
        # died (stale). Another replica's live claim is left alone — no double post.
        if not claimed and not self.store.resume_action(plan.marker, self.owner, now):
            return False
        return self._complete(
            plan.task_key, plan.marker, plan.reminder, plan.covers, plan.add_labels, now, result
        )

    def _complete(  # noqa: PLR0917 - the claim's parts, called from two places
        self,
        task_key: str,
        marker: str,
        reminder: Reminder,
        covers: Sequence[tuple[str, str]],
        add_labels: Sequence[str],
        now: datetime,
        result: ReconcileResult,
    ) -> bool:
        bound = log.bind(source=self.source.name, task=task_key, marker=marker)
        try:
            comment_id = self.connector.find_marker(task_key, marker)
            if comment_id is None:
                comment_id = self.connector.post_reminder(task_key, reminder)
                bound.info("reminder posted", comment=comment_id, findings=len(covers))
            else:
                bound.info("reminder already on the tracker; confirming", comment=comment_id)
            if add_labels:
                self.connector.set_labels(task_key, tuple(add_labels), ())
                result.label_changes.append((task_key, tuple(add_labels), ()))
        except ConnectorError as exc:
            # The claim stays: the next cycle looks for the marker again before posting.
            self.store.note_attempt(marker, str(exc))
            bound.warning("reminder not posted; will retry next cycle", error=str(exc))
            result.failed += 1
            return False
        self.store.confirm_action(marker, comment_id, now)
        self.store.mark_notified(self.source.name, task_key, covers, marker, now)
        return True

    def _resume_pending(
        self, current: set[tuple[str, str, str]], now: datetime, result: ReconcileResult
    ) -> set[str]:
        """Finish claims left by a crash or a failed post. Returns the tasks they cover."""
        busy: set[str] = set()
        if not self.writes:
            return busy
        for action in self.store.actions(self.source.name, state="claimed"):
            busy.add(action.task_key)
            if not self.store.resume_action(action.marker, self.owner, now):
                continue  # a live claim of another replica: it will finish it
            if not self._still_relevant(action, current):
                self.store.confirm_action(action.marker, "cancelled: findings resolved", now)
                continue
            covers = [(r, f) for r, f in action.payload["covers"]]
            reminder = reminder_from_payload(action.payload["reminder"])
            if self._complete(
                action.task_key,
                action.marker,
                reminder,
                covers,
                action.payload.get("add_labels", []),
                now,
                result,
            ):
                result.posted.append(Plan(action.task_key, action.marker, reminder, tuple(covers)))
        return busy

    @staticmethod
    def _still_relevant(action: ActionRow, current: set[tuple[str, str, str]]) -> bool:
        return any((action.task_key, r, f) in current for r, f in action.payload["covers"])

    def _unlabel_fixed(
        self,
        tasks: dict[str, Task],
        touched: set[str],
        still_flagged: set[str],
        result: ReconcileResult,
    ) -> None:
        if not (self.source.labels_on_finding and self.writes):
            return
        for key in sorted(touched - still_flagged):
            task = tasks.get(key)
            if task is not None and ATTENTION_LABEL not in task.labels:
                continue
            try:
                self.connector.set_labels(key, (), (ATTENTION_LABEL,))
                result.label_changes.append((key, (), (ATTENTION_LABEL,)))
            except ConnectorError as exc:
                log.warning(
                    "label not removed; will retry",
                    source=self.source.name,
                    task=key,
                    error=str(exc),
                )

    def _show(self, plan: Plan, verb: str) -> None:
        if self.echo is None:
            return
        labels = f" (+labels {', '.join(plan.add_labels)})" if plan.add_labels else ""
        self.echo(f"--- {verb}: comment on {plan.task_key}{labels} [marker syncd:{plan.marker}]")
        self.echo(plan.reminder.plain_text())
