"""``single-owner``: exactly one person everybody asks about the task."""

from __future__ import annotations

from rules.base import Context, Rule
from rules.registry import register
from syncd.models import Finding, Severity, Task

__all__ = ["SingleOwner"]


@register("single-owner")
class SingleOwner(Rule):
    """Exactly one assignee: "there must always be the one person everybody will ask".
    None means nobody is in charge; several means everybody thinks someone else is.

    example:

        rules:
          - rule: single-owner
            severity: error
    """

    default_severity = Severity.ERROR

    def check(self, task: Task, ctx: Context) -> Finding | None:
        count = len(task.assignees)
        if count == 1:
            return None
        if count == 0:
            return self.finding(task, ctx, "no assignee", ("none",), {"count": "0"})
        names = ", ".join(p.name or p.id for p in task.assignees)
        return self.finding(
            task,
            ctx,
            f"{count} assignees ({names}); one person should own the task",
            ("many",),
            {"count": str(count), "assignees": names},
        )
