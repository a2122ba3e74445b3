"""``stale``: work in progress that nobody has touched for days."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from rules.base import Context, Rule, RuleParams
from rules.builtin._util import iso
from rules.registry import register
from rules.texts import business_days
from syncd.models import Finding, Severity, StatusCategory, Task

__all__ = ["Stale", "StaleParams", "last_human_activity"]


class StaleParams(RuleParams):
    days: int = Field(default=5, ge=1, description="Business days without human activity.")


def last_human_activity(task: Task, ctx: Context) -> datetime:
    """The latest of: the start of the current spell of work, a comment by a person, a
    field change by a person. Bot comments and bot changes (syncd's own reminders and
    labels above all) never count, or syncd would keep its own findings alive."""
    now = ctx.now
    latest = task.work_start
    for comment in task.comments:
        if comment.created > latest and comment.created <= now and not ctx.is_bot(comment):
            latest = comment.created
    for change in task.activity:
        if change.at > latest and change.at <= now and not ctx.is_bot(change):
            latest = change.at
    return latest


@register("stale")
class Stale(Rule):
    """In progress with no human activity — a comment or a field change by a person — for
    ``days`` business days. The fingerprint is the last activity, so a task that wakes up
    and goes quiet again is a new finding.

    example:

        rules:
          - rule: stale
            params: {days: 3}
            scope: {projects: [SHOP], status_categories: [in_progress]}
    """

    Params = StaleParams
    params: StaleParams
    default_severity = Severity.WARNING

    def check(self, task: Task, ctx: Context) -> Finding | None:
        if task.status_category is not StatusCategory.IN_PROGRESS:
            return None
        last = last_human_activity(task, ctx)
        idle = ctx.calendar.business_days_between(ctx.calendar.local_date(last), ctx.today)
        if idle < self.params.days:
            return None
        return self.finding(
            task,
            ctx,
            f"no activity for {business_days(idle, 'en')}",
            (last.isoformat(),),
            {"last_activity": iso(last, ctx), "days": str(idle)},
        )
