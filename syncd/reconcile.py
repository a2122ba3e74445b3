"""Reconciliation: turn this cycle's findings into at most one reminder per task, exactly once.

The protocol for every effect on a tracker is claim → find marker → post → confirm:

1. *claim*: insert an ``actions`` row keyed by the marker (unique), carrying the whole
   reminder and the findings it covers. Losing the insert race means someone else owns it.
2. *find marker*: the tracker may already carry the comment (we crashed after posting,
   or a lost response hid a successful POST): then only confirm. A comment naming the same
   findings under another marker (a renamed source, a second installation, a restored
   backup: ``syncd.reminder_identity``) counts too; only the findings no comment names
   yet are posted.
3. *post* with the marker attached (comment property on Jira, hidden HTML comment on GitLab).
4. *confirm*: mark the action done and the findings notified, in one transaction.

A crash anywhere leaves a claimed row that the next cycle resumes with the same payload, so
the combined comment is never doubled and no finding drops out of it. A claim whose findings
cleared before it reached the tracker is abandoned (after checking the tracker), so the same
finding coming back is claimed afresh. Findings that clear are resolved; a finding that comes
back is reminded about again only after the source's cool-down.

Considerate-colleague limits: one comment per task per cycle (all new findings in it), only
within the team's working hours (outside them findings stay un-notified — the ledger is the
queue — and so do claims left from the evening), a per-cycle budget of attempts (the storm
guard; the rest waits), a stop at the first rate limit or after a few failures in a row,
and report-only mode until the source is confirmed with ``enforce: true``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from config.policy import SourceConfig
from connectors.base import Connector, PostedReminder
from connectors.markers import comment_carrying
from rules.calendar import BusinessCalendar
from syncd.core.errors import ConnectorError, FatalError, RateLimitedError
from syncd.core.logs import get_logger
from syncd.core.models import Severity
from syncd.reminder_identity import covered
from syncd.reminders import (
    ATTENTION_LABEL,
    SEVERITY_RANK,
    Evaluation,
    Plan,
    ReconcileResult,
    iter_plans,
    plan_from_action,
    plan_payload,
    thanks_plan,
)
from syncd.store import ActionRow, FindingRow, Store
from syncd.working_set import finding_keys

__all__ = [
    "ATTENTION_LABEL",
    "DEFERRAL_REASONS",
    "Evaluation",
    "Plan",
    "ReconcileResult",
    "Reconciler",
]

MAX_ATTEMPTS = 5
"""A reminder the tracker refuses (4xx, or a bug) this many times is given up, not retried
forever; connection trouble and rate limits never count towards it."""
FAILURES_IN_A_ROW = 3
"""After this many failed posts in one cycle the tracker is treated as down until next cycle."""

log = get_logger("syncd.reconcile")


DEFERRAL_REASONS = ("rate_limit", "failures", "budget")
"""Why a write waits for the next cycle: the tracker answered 429 (or 503 with
``Retry-After``); ``FAILURES_IN_A_ROW`` writes failed; ``max_actions_per_cycle`` is spent."""


class _Budget:
    """Writes this cycle may still attempt (the storm guard), and whether to stop early."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.failures_in_a_row = 0
        self.stopped = False
        self.stopped_by: str | None = None
        """``rate_limit`` or ``failures`` once ``stopped``."""

    def take(self) -> bool:
        if self.stopped or self.left <= 0:
            return False
        self.left -= 1
        return True

    def stop(self, reason: str) -> None:
        # A rate limit is the more telling reason even when it was also a third failure.
        if not self.stopped or reason == "rate_limit":
            self.stopped, self.stopped_by = True, reason

    def outcome(self, ok: bool) -> None:
        self.failures_in_a_row = 0 if ok else self.failures_in_a_row + 1
        if self.failures_in_a_row >= FAILURES_IN_A_ROW:
            self.stop("failures")

    def defer(self, result: ReconcileResult) -> None:
        """Count a write ``take`` refused, under the reason it was refused for."""
        reason = self.stopped_by if self.stopped and self.stopped_by else "budget"
        result.deferred += 1
        result.deferred_by[reason] = result.deferred_by.get(reason, 0) + 1


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
        stale_after: timedelta = timedelta(minutes=10),
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.source = source
        self.connector = connector
        self.store = store
        self.calendar = calendar
        self.owner = owner
        # Another owner's unconfirmed claim is taken over after this long: with source
        # leases, the lease lifetime (its owner lost the source); alone, ten minutes.
        self.stale_after = stale_after
        self.dry_run = dry_run
        self.echo = echo

    @property
    def writes(self) -> bool:
        return self.source.enforce and not self.dry_run

    @property
    def plans_reminders(self) -> bool:
        """Reminders are planned (to post, queue, or show): enforced, or shown to someone."""
        return self.source.enforce or self.echo is not None

    def pending_tasks(self) -> set[str]:
        """Tasks a cycle must reconcile although their findings did not move: unfinished
        claims, and — where reminders are planned — findings no reminder covered yet
        (queued for working hours, deferred, cooling down, never posted)."""
        name = self.source.name
        pending = {a.task_key for a in self.store.actions(name, state="claimed")}
        if self.plans_reminders:
            # Findings below the source's threshold are never reminded about: not pending.
            threshold = SEVERITY_RANK[Severity(self.source.remind_min_severity)]
            remindable = {s.value for s, rank in SEVERITY_RANK.items() if rank <= threshold}
            pending |= self.store.unnotified_task_keys(name, remindable)
        return pending

    def reconcile(
        self, ev: Evaluation, now: datetime, *, only: set[str] | None = None
    ) -> ReconcileResult:
        """``only``: the tasks this evaluation covered (a webhook's re-read of one task);
        findings of other tasks are neither resolved nor reminded about."""
        result = ReconcileResult()
        name = self.source.name
        current = finding_keys(ev.findings)
        # The tasks whose findings are reconciled: a webhook's one task, or a cycle's scope
        # (findings moved, reminders pending); the ledger of the others is read not at all.
        limit = only if only is not None else ev.scope
        open_before = {
            (r.task_key, r.rule, r.fingerprint): r
            for r in self.store.findings(name, task_keys=limit)
        }
        gone = [
            key
            for key in open_before
            if key not in current
            and (key[0], key[1]) not in ev.failed
            and (limit is None or key[0] in limit)
        ]
        if not self.dry_run:
            self.store.record_findings(name, ev.findings, now)
            self.store.resolve_findings(name, gone, now)
            # Now the ledger holds these tasks' findings: later cycles may skip them. A task
            # resolved without an evaluation (closed, out of scope) has its digest unknown:
            # reopened as it was, its findings must be recorded again, not taken as held.
            noted = {key for key, _ in ev.ledger_notes}
            unknown = {key[0] for key in gone if key[0] not in noted}
            self.store.note_ledger(name, [*ev.ledger_notes, *((k, None) for k in unknown)])
        result.resolved = len(gone)

        open_hours = self.calendar.is_working_time(now)
        budget = _Budget(self.source.max_actions_per_cycle)
        busy = self._resume_pending(
            current, now=now, result=result, budget=budget, open_hours=open_hours, only=only
        )
        if not self.source.enforce and self.echo is None:
            # Report-only and nobody to show it to: the findings are recorded, that is all
            # (planning every reminder of a large backlog each cycle would be wasted work).
            return result
        ledger = self._ledger(open_before, current)
        plans = iter_plans(self.source, ev.tasks, ev.findings, ledger, now, busy=busy)
        if not self.source.enforce:
            for plan in plans:  # report-only: never posted, day or night; shown, not held
                result.would_post_count += 1
                self._show(plan, "report-only, not posted")
        elif not open_hours:
            # Mentions notify people: outside working hours the findings stay un-notified
            # in the ledger (that is the queue) and the first cycle after opening posts them.
            until = self.calendar.next_working_time(now)
            for plan in plans:
                result.queued_until[plan.task_key] = until
                self._show(plan, f"queued until {until:%a %H:%M}, then would post")
        else:
            for plan in plans:
                if self.dry_run:
                    result.would_post.append(plan)
                    result.would_post_count += 1
                    self._show(plan, "would post")
                elif not budget.take():
                    budget.defer(result)
                elif self._execute(plan, now, result, budget):
                    result.posted.append(plan)
        self._unlabel(ev, {k for k, _, _ in gone}, result)
        if self.source.thank_when_fixed and self.writes and open_hours:
            self._thank(open_before, gone, ev, now, result, budget)
        if result.deferred:
            log.info(
                "reminders deferred to the next cycle",
                source=name,
                deferred=result.deferred,
                by=result.deferred_by,
                budget=self.source.max_actions_per_cycle,
                tracker_trouble=budget.stopped,
            )
        return result

    def _ledger(
        self,
        open_before: dict[tuple[str, str, str], FindingRow],
        current: set[tuple[str, str, str]],
    ) -> dict[tuple[str, str, str], FindingRow]:
        """The ledger rows of this cycle's findings as recorded, for planning. Rows that
        were open are known; only new or reopened findings are read again."""
        ledger = {k: r for k, r in open_before.items() if k in current}
        fresh = {k[0] for k in current if k not in open_before}
        if fresh:
            for row in self.store.findings(self.source.name, state=None, task_keys=fresh):
                key = (row.task_key, row.rule, row.fingerprint)
                if key in current and key not in ledger:
                    # A dry run records nothing: show a reopened finding as recording would.
                    reopened = row.state == "resolved"
                    ledger[key] = replace(row, notified_marker=None) if reopened else row
        return ledger

    # -- effects ----------------------------------------------------------------------
    def _execute(
        self,
        plan: Plan,
        now: datetime,
        result: ReconcileResult,
        budget: _Budget,
        kind: str = "comment",
    ) -> bool:
        claimed = self.store.claim_action(
            plan.marker,
            source=self.source.name,
            task_key=plan.task_key,
            kind=kind,
            payload=plan_payload(plan),
            owner=self.owner,
            now=now,
        )
        # Lost the claim: finish it only if it is ours from before a restart or its owner
        # died (stale). Another replica's live claim, or a given-up one, is left alone.
        if not claimed and not self.store.resume_action(
            plan.marker, self.owner, now, stale_after=self.stale_after
        ):
            return False
        return self._complete(plan, 0, now, result, budget)

    def _complete(
        self, plan: Plan, attempts: int, now: datetime, result: ReconcileResult, budget: _Budget
    ) -> bool:
        bound = log.bind(source=self.source.name, task=plan.task_key, marker=plan.marker)
        """Find, post, confirm. True when this plan's comment is on the tracker now (posted
        here or before a crash); False when it failed or other comments name it all."""
        try:
            posted = self.connector.posted_reminders(plan.task_key)
            comment_id = comment_carrying(posted, plan.marker)
            ours = comment_id is not None
            if comment_id is not None:
                bound.info("reminder already on the tracker; confirming", comment=comment_id)
            else:
                comment_id, ours = self._post_missing(plan, posted, bound)
            if plan.add_labels:
                self.connector.set_labels(plan.task_key, plan.add_labels, ())
                result.label_changes.append((plan.task_key, plan.add_labels, ()))
        except Exception as exc:  # one task's trouble must not stop the others
            self._failed(plan, attempts=attempts, exc=exc, now=now, result=result, budget=budget)
            return False
        self._confirm(plan, comment_id, now)
        budget.outcome(ok=True)
        return ours

    def _post_missing(
        self, plan: Plan, posted: list[PostedReminder], bound: Any
    ) -> tuple[str, bool]:
        """Post the reminder, naming only the findings no syncd comment on the task names
        yet (one posted under another source name, by another installation, or before a
        restored backup): none left means nothing is posted. Returns the comment id and
        whether it was posted now."""
        found = covered(plan, posted, source=self.source.name, ledger=self.store.get_action)
        missing = {c for c in plan.covers if c not in found}
        if plan.covers and not missing:
            comment_id = found[plan.covers[0]]
            bound.info(
                "reminder already on the tracker under another marker; confirming",
                comment=comment_id,
            )
            return comment_id, False
        reminder = plan.reminder.only(missing) if found else plan.reminder
        comment_id = self.connector.post_reminder(plan.task_key, reminder)
        bound.info(
            "reminder posted",
            comment=comment_id,
            findings=len(reminder.covers) or len(plan.covers),
            already_on_tracker=len(found),
        )
        return comment_id, True

    def _confirm(self, plan: Plan, comment_id: str | None, now: datetime) -> None:
        self.store.confirm_reminder(
            plan.marker,
            comment_id,
            source=self.source.name,
            task_key=plan.task_key,
            covers=plan.covers,
            now=now,
        )

    def _failed(
        self,
        plan: Plan,
        *,
        attempts: int,
        exc: Exception,
        now: datetime,
        result: ReconcileResult,
        budget: _Budget,
    ) -> None:
        """The claim stays (the next cycle looks for the marker before posting again),
        unless the tracker keeps refusing it for a reason retrying cannot fix."""
        bound = log.bind(source=self.source.name, task=plan.task_key, marker=plan.marker)
        result.failed += 1
        budget.outcome(ok=False)
        self.store.note_attempt(plan.marker, str(exc))
        if isinstance(exc, RateLimitedError):
            budget.stop("rate_limit")
            result.retry_after = max(result.retry_after or 0.0, exc.retry_after)
            result.throttled_status = exc.status
            bound.warning("tracker rate limit: no more writes this cycle", error=str(exc))
            return
        # A bug of ours or a refusal for this very task (deleted issue, bad request) will
        # not heal by waiting; an outage, an expired token or a 5xx will.
        unexpected = not isinstance(exc, ConnectorError)
        permanent = unexpected or isinstance(exc, FatalError)
        if permanent and attempts + 1 >= MAX_ATTEMPTS:
            self.store.give_up_action(plan.marker, str(exc), now)
            bound.error(
                "reminder given up after repeated refusals", attempts=attempts + 1, error=str(exc)
            )
        elif unexpected:
            bound.exception("reminder failed unexpectedly; will retry next cycle")
        else:
            # The POST may have reached the tracker even so (a lost answer): the next cycle
            # looks for the marker before posting again.
            bound.warning(
                "reminder outcome unknown or not posted; next cycle checks the tracker first",
                error=str(exc),
            )

    def _resume_pending(
        self,
        current: set[tuple[str, str, str]],
        *,
        now: datetime,
        result: ReconcileResult,
        budget: _Budget,
        open_hours: bool,
        only: set[str] | None,
    ) -> set[str]:
        """Finish claims left by a crash or a failed post. Returns the tasks they cover."""
        busy: set[str] = set()
        if not self.writes:
            return busy
        for action in self.store.actions(self.source.name, state="claimed"):
            if only is not None and action.task_key not in only:
                continue
            busy.add(action.task_key)
            relevant = action.kind == "thanks" or self._still_relevant(action, current)
            if relevant and not open_hours:
                result.queued_until[action.task_key] = self.calendar.next_working_time(now)
                continue
            if not budget.take():
                budget.defer(result)
                continue
            if not self.store.resume_action(
                action.marker, self.owner, now, stale_after=self.stale_after
            ):
                continue  # a live claim of another replica: it will finish it
            plan = plan_from_action(action)
            if relevant:
                if self._complete(plan, action.attempts, now, result, budget):
                    result.posted.append(plan)
            else:
                self._cancel(plan, action, now, result, budget)
        return busy

    def _cancel(
        self, plan: Plan, action: ActionRow, now: datetime, result: ReconcileResult, budget: _Budget
    ) -> None:
        """Every finding of the claim cleared. If the comment made it to the tracker, it
        is confirmed as it stands; if not, the claim is dropped."""
        try:
            comment_id = self.connector.find_marker(plan.task_key, plan.marker)
        except Exception as exc:  # decide next cycle
            self._failed(
                plan, attempts=action.attempts, exc=exc, now=now, result=result, budget=budget
            )
            return
        if comment_id is None:
            self.store.abandon_action(plan.marker)
        else:
            self._confirm(plan, comment_id, now)

    @staticmethod
    def _still_relevant(action: ActionRow, current: set[tuple[str, str, str]]) -> bool:
        return any((action.task_key, r, f) in current for r, f in action.payload["covers"])

    def _thank(  # noqa: PLR0917 - the cycle's state, passed on
        self,
        open_before: dict[tuple[str, str, str], FindingRow],
        gone: list[tuple[str, str, str]],
        ev: Evaluation,
        now: datetime,
        result: ReconcileResult,
        budget: _Budget,
    ) -> None:
        """One short thank-you on each open task whose reminded findings are all fixed."""
        flagged = {f.task_key for f in ev.findings}
        reminded: dict[str, list[str]] = {}
        for key in gone:
            marker = open_before[key].notified_marker
            if marker is not None and key[0] not in flagged:
                reminded.setdefault(key[0], []).append(marker)
        for task_key, markers in sorted(reminded.items()):
            task = self.store.get_task(self.source.name, task_key)
            if task is None or not task.is_open or not budget.take():
                continue  # closed or gone: nothing to thank for on the task itself
            self._execute(
                thanks_plan(self.source, task_key, markers), now, result, budget, kind="thanks"
            )

    def _unlabel(self, ev: Evaluation, resolved_keys: set[str], result: ReconcileResult) -> None:
        """Take the attention label off tasks with no open findings. Driven by state (open
        tasks still labelled), so a removal that failed is tried again next cycle."""
        if not self.source.labels_on_finding or not self.source.enforce:
            return
        flagged = {f.task_key for f in ev.findings}
        keys = set(ev.labelled) - flagged
        for key in resolved_keys - flagged - keys:  # closed since: no longer streamed as open
            task = self.store.get_task(self.source.name, key)
            if task is not None and ATTENTION_LABEL in task.labels:
                keys.add(key)
        for key in sorted(keys):
            if self.dry_run:
                self._echo(f"--- would remove label {ATTENTION_LABEL} from {key}")
                continue
            try:
                self.connector.set_labels(key, (), (ATTENTION_LABEL,))
                result.label_changes.append((key, (), (ATTENTION_LABEL,)))
            except Exception as exc:  # retried next cycle (state-driven)
                log.warning(
                    "label not removed; will retry",
                    source=self.source.name,
                    task=key,
                    error=str(exc),
                )

    def _show(self, plan: Plan, verb: str) -> None:
        labels = f" (+labels {', '.join(plan.add_labels)})" if plan.add_labels else ""
        self._echo(f"--- {verb}: comment on {plan.task_key}{labels} [marker syncd:{plan.marker}]")
        self._echo(plan.reminder.plain_text())

    def _echo(self, line: str) -> None:
        if self.echo is not None:
            self.echo(line)
