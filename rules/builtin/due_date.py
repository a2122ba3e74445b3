"""``due-date``: deadlines are set (and agreed), not left open-ended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field

from rules.base import Context, RuleParams, TimelessRule, Wording
from rules.briefs import Lang
from rules.registry import register
from rules.texts import business_days, day, say
from syncd.core.models import Finding, Severity, Task

__all__ = ["DueDate", "DueDateParams"]


class DueDateParams(RuleParams):
    max_horizon_days: int | None = Field(
        default=None,
        ge=1,
        description="Flag due dates more than this many business days after the work start.",
    )


@register("due-date")
class DueDate(TimelessRule):
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
    order = 20
    label: ClassVar[Mapping[str, str]] = {"ru": "нет срока", "en": "no due date"}
    summary = "it has no due date (or one too far away)"

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

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording:
        if "horizon" in data:
            due, span = day(data.get("due"), lang), business_days(int(data.get("days", "0")), lang)
            return (
                say(
                    lang,
                    f"Срок {due} — через {span} после начала",
                    f"Due {due}: {span} after the start",
                ),
                say(
                    lang,
                    "Что сделать: разбейте задачу на этапы с ближними сроками.",
                    "What to do: split the task into steps with nearer deadlines.",
                ),
                say(
                    lang,
                    "Почему это важно: далёкий срок не помогает планировать загрузку команды.",
                    "Why it matters: a far-off deadline does not help plan the team's load.",
                ),
            )
        return (
            say(lang, "Не указан срок выполнения", "No due date"),
            say(
                lang,
                "Что сделать: согласуйте срок с клиентом и командой и укажите его в задаче.",
                "What to do: agree a deadline with the assignee and set the due date.",
            ),
            say(
                lang,
                "Почему это важно: без срока задачу нельзя спланировать и проверить вовремя.",
                "Why it matters: without a deadline the task cannot be planned or checked in time.",
            ),
        )
