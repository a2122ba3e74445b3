"""``due-soon``: the deadline is a few business days away — time to check, not to panic."""

from __future__ import annotations

from pydantic import Field

from rules.base import Context, Rule, RuleParams
from rules.registry import register
from rules.texts import business_days
from syncd.models import Finding, Severity, Task

__all__ = ["DueSoon", "DueSoonParams"]


class DueSoonParams(RuleParams):
    days: int = Field(default=2, ge=0, description="Business days before the due date.")


@register("due-soon")
class DueSoon(Rule):
    """The due date is within ``days`` business days (0 = due today) and not yet passed.

    example:

        rules:
          - rule: due-soon
            params: {days: 3}
            severity: info
    """

    Params = DueSoonParams
    params: DueSoonParams
    default_severity = Severity.INFO

    def check(self, task: Task, ctx: Context) -> Finding | None:
        if task.due is None or ctx.now >= ctx.calendar.due_end(task.due):
            return None
        left = ctx.calendar.business_days_between(ctx.today, task.due)
        if left > self.params.days:
            return None
        due = task.due.isoformat()
        return self.finding(
            task,
            ctx,
            "due today" if left == 0 else f"due {due}, in {business_days(left, 'en')}",
            (due,),
            {"due": due, "days_left": str(max(left, 0))},
        )
