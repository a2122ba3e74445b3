"""What ``syncd once`` prints about a source's cycle: one line of honest counts, and — when
nothing is written (report-only, dry-run) — the findings per rule with a few examples.

Honest means: the requests are every request the cycle sent the tracker, split by kind,
and a reminder that waits for the next cycle says why (the tracker's rate limit, tracker
trouble, or the per-cycle action budget). A summary, not every would-be comment: at 20,000
tasks the comments are 140,000 lines; ``--verbose`` or ``--output FILE`` gives them all.
"""

from __future__ import annotations

from collections.abc import Iterator

from syncd.reconcile import FAILURES_IN_A_ROW
from syncd.source_cycle import CycleReport
from syncd.working_set import FindingsSummary

__all__ = ["EXAMPLES_PER_RULE", "KIND_LABELS", "cycle_line", "rule_summary"]

EXAMPLES_PER_RULE = 3
KIND_LABELS = {"search": "search/list"}
"""How a request kind is named in the summary (the others by their own name)."""


def cycle_line(report: CycleReport, *, action_budget: int) -> str:
    """``agency: 2 task(s) synced, … 1 deferred (…), 127 API request(s) (…)``."""
    text = (
        f"{report.source}: {report.synced} task(s) synced, {report.findings} finding(s), "
        f"{report.posted} reminder(s) posted, {report.queued} queued for working hours, "
        f"{_deferred(report, action_budget)}, {_requests(report)}"
    )
    if report.skipped:
        text += f"; {report.skipped} task(s) skipped, retried next run (see syncd status)"
    return text


def _requests(report: CycleReport) -> str:
    split = ", ".join(
        f"{n} {KIND_LABELS.get(kind, kind)}" for kind, n in report.request_kinds.items() if n
    )
    return f"{report.requests} API request(s)" + (f" ({split})" if split else "")


def _deferred(report: CycleReport, action_budget: int) -> str:
    result = report.reconcile
    if not report.deferred or result is None:
        return f"{report.deferred} deferred"
    by = result.deferred_by
    reasons = []
    if n := by.get("rate_limit"):
        status = result.throttled_status or 429
        wait = f", retry after {result.retry_after:.0f} s" if result.retry_after else ""
        reasons.append(f"{n} rate-limited by the tracker ({status}{wait})")
    if n := by.get("failures"):
        reasons.append(f"{n} held back after {FAILURES_IN_A_ROW} failed writes in a row")
    if n := by.get("budget"):
        reasons.append(f"{n} by the action budget (max_actions_per_cycle: {action_budget})")
    return f"{report.deferred} deferred ({'; '.join(reasons)})"


def rule_summary(
    report: CycleReport, mode: str, *, hint: bool, examples: int = EXAMPLES_PER_RULE
) -> Iterator[str]:
    """Findings per rule — the counts ``check --json`` shows — each with the first tasks
    (by key) as examples. ``mode`` says why nothing was written: ``report-only`` (the
    source's ``enforce`` is off) or ``dry-run``. ``hint``: name the options that show every
    would-be comment (not when they are already shown)."""
    summary = report.summary
    if summary is None or summary.examples != examples:
        summary = FindingsSummary.of(report.findings_list, examples)
    head = f"  {mode}: {summary.total} finding(s) on {summary.tasks} task(s)"
    result = report.reconcile
    if result is not None and result.would_post_count:
        head += f", {result.would_post_count} comment(s) would be posted"
    head += ", nothing written"
    if hint and summary.total:
        head += "; every would-be comment: --verbose or --output FILE"
    yield head
    for rule, count in sorted(summary.by_rule.items()):
        shown = summary.first(rule)
        more = count - len(shown)
        sample = "; ".join(f"{key}: {message}" for key, message in shown)
        yield f"    {rule}: {count} — {sample}" + (f"; and {more} more" if more else "")
