"""``priority-set``: the task says how important it is (the Eisenhower matrix needs it)."""

from __future__ import annotations

from pydantic import Field

from rules.base import Context, Rule, RuleParams
from rules.builtin._util import casefolded
from rules.registry import register
from syncd.models import Finding, Severity, Task

__all__ = ["PrioritySet", "PrioritySetParams"]


class PrioritySetParams(RuleParams):
    unset_values: tuple[str, ...] = Field(
        default=("", "none", "undefined", "no priority", "не задан", "без приоритета"),
        description="Priority names that mean 'not set' (compared case-insensitively).",
    )


@register("priority-set")
class PrioritySet(Rule):
    """A priority is set. Digests order work by urgency and importance; a task without a
    priority cannot be placed.

    example:

        rules:
          - rule: priority-set
            params: {unset_values: ["", "None", "Не задан", "Normal"]}
    """

    Params = PrioritySetParams
    params: PrioritySetParams
    default_severity = Severity.WARNING

    def __init__(self, params: RuleParams | None = None, severity: Severity | None = None) -> None:
        super().__init__(params, severity)
        self._unset = casefolded(v.strip() for v in self.params.unset_values)

    def check(self, task: Task, ctx: Context) -> Finding | None:
        priority = (task.priority or "").strip()
        if priority.casefold() not in self._unset:
            return None
        return self.finding(task, ctx, "no priority", ("unset",), {"priority": priority})
