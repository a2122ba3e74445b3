"""``due-date``: deadlines are set (and agreed), not left open-ended."""

from __future__ import annotations

from pydantic import Field

from rules.base import Context, Rule, RuleParams
from rules.registry import register
from rules.texts import business_days
from syncd.models import Finding, Severity, Task

__all__ = ["DueDate", "DueDateParams"]


class DueDateParams(RuleParams):
    max_horizon_days: int | None = Field(
        default=None,
        ge=1,
        description="Flag due dates more than this many business days after the work start.",
    )


@register("due-date")
class DueDate(Rule):
    """The task has a due date; optionally one within a horizon, since a deadline half a
    year away is no deadline for an agency task.

    example:

        rules:
          - rule: due-date
            params: {max_horizon_days: 60}
            scope: {issue_types: [Task, Bug]}
    """

    Params = DueDateParams
    params: DueDateParams
    default_severity = Severity.ERROR

    def check(self, task: Task, ctx: Context) -> Finding | None:
        if task.due is None:
            return self.finding(task, ctx, "no due date", ("missing",), {})
        horizon = self.params.max_horizon_days
        if horizon is None:
            return None
        start = ctx.calendar.local_date(task.work_start)
        days = ctx.calendar.business_days_between(start, task.due)
        if days <= horizon:
            return None
        return self.finding(
            task,
            ctx,
            f"due date {task.due.isoformat()} is {business_days(days, 'en')} after the start "
            f"(more than {horizon})",
            ("horizon", task.due.isoformat()),
            {"due": task.due.isoformat(), "days": str(days), "horizon": str(horizon)},
            severity=Severity.WARNING,
        )
