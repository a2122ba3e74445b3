"""``overdue``: the due date has passed and the task is still open."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from rules.base import FOREVER, Context, TimeDrivenRule, Wording
from rules.briefs import Lang
from rules.builtin._util import utc
from rules.registry import register
from rules.texts import business_days, day, say
from syncd.core.models import Finding, Severity, Task

__all__ = ["Overdue"]


@register("overdue")
class Overdue(TimeDrivenRule):
    """The due date ended (at local midnight in the team's zone) and the task is open.
    The fingerprint is the due date, so moving the deadline and missing it again is a
    new finding with a new reminder.

    example:

        rules:
          - rule: overdue
            scope: {status_categories: [new, in_progress]}
    """

    default_severity = Severity.ERROR
    order = 50
    label: ClassVar[Mapping[str, str]] = {"ru": "просрочено", "en": "overdue"}
    summary = "the due date has passed (due dates end at midnight in the team's time zone)"

    def check_until(self, task: Task, ctx: Context) -> tuple[Finding | None, datetime | None]:
        if task.due is None:
            return None, FOREVER
        end = ctx.calendar.due_end(task.due)
        if ctx.now < end:
            return None, utc(end)
        days = max(ctx.calendar.business_days_between(task.due, ctx.today), 0)
        due = task.due.isoformat()
        finding = self.finding(
            task,
            ctx,
            f"overdue since {due} ({business_days(days, 'en')})",
            (due,),
            {"due": due, "days": str(days)},
        )
        # The count of business days late grows at the start of each business day.
        return finding, ctx.calendar.next_business_day_start(ctx.today)

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording:
        due, days = day(data.get("due"), lang), int(data.get("days", "0") or 0)
        late = business_days(days, lang)
        return (
            say(lang, f"Срок прошёл: {due}", f"Overdue since {due}")
            + (say(lang, f" (просрочено на {late})", f" ({late})") if days else ""),
            say(
                lang,
                "Что сделать: закройте задачу, если она готова, или согласуйте новый срок.",
                "What to do: close the task if it is done, or agree a new due date.",
            ),
            say(
                lang,
                "Почему это важно: задача, не сделанная в срок, вызывает недовольство клиента.",
                "Why it matters: a task not done on time means an unhappy client.",
            ),
        )
