"""``overdue``: the due date has passed and the task is still open."""

from __future__ import annotations

from rules.base import Context, Rule
from rules.registry import register
from rules.texts import business_days
from syncd.models import Finding, Severity, Task

__all__ = ["Overdue"]


@register("overdue")
class Overdue(Rule):
    """The due date ended (at local midnight in the team's zone) and the task is open.
    The fingerprint is the due date, so moving the deadline and missing it again is a
    new finding with a new reminder.

    example:

        rules:
          - rule: overdue
            scope: {status_categories: [new, in_progress]}
    """

    default_severity = Severity.ERROR

    def check(self, task: Task, ctx: Context) -> Finding | None:
        if task.due is None or ctx.now < ctx.calendar.due_end(task.due):
            return None
        days = max(ctx.calendar.business_days_between(task.due, ctx.today), 0)
        due = task.due.isoformat()
        return self.finding(
            task,
            ctx,
            f"overdue since {due} ({business_days(days, 'en')})",
            (due,),
            {"due": due, "days": str(days)},
        )
