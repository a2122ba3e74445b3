"""``priority-set``: the task says how important it is (the Eisenhower matrix needs it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field

from rules.base import Context, RuleParams, TimelessRule, Wording
from rules.briefs import Lang
from rules.builtin._util import casefolded
from rules.registry import register
from rules.texts import say
from syncd.core.models import Finding, Severity, Task

__all__ = ["PrioritySet", "PrioritySetParams"]


class PrioritySetParams(RuleParams):
    unset_values: tuple[str, ...] = Field(
        default=("", "none", "undefined", "no priority", "не задан", "без приоритета"),
        description="Priority names that mean 'not set' (compared case-insensitively).",
    )


@register("priority-set")
class PrioritySet(TimelessRule):
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
    order = 80
    label: ClassVar[Mapping[str, str]] = {"ru": "нет приоритета", "en": "no priority"}
    summary = "it has no priority"

    def __init__(self, params: RuleParams | None = None, severity: Severity | None = None) -> None:
        super().__init__(params, severity)
        self._unset = casefolded(v.strip() for v in self.params.unset_values)

    def check(self, task: Task, ctx: Context) -> Finding | None:
        priority = (task.priority or "").strip()
        if priority.casefold() not in self._unset:
            return None
        return self.finding(task, ctx, "no priority", ("unset",), {"priority": priority})

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording:
        return (
            say(lang, "Не указан приоритет", "No priority"),
            say(
                lang,
                "Что сделать: укажите приоритет — насколько задача важна для клиента.",
                "What to do: set a priority: how much the task matters to the client.",
            ),
            say(
                lang,
                "Почему это важно: по приоритету команда решает, что делать первым.",
                "Why it matters: priorities tell the team what to do first.",
            ),
        )
