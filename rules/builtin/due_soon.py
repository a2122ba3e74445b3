"""``due-soon``: the deadline is a few business days away — time to check, not to panic."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from rules.base import FOREVER, Context, RuleParams, TimeDrivenRule, Wording
from rules.briefs import Lang
from rules.builtin._util import utc
from rules.registry import register
from rules.texts import business_days, day, say
from syncd.core.models import Finding, Severity, Task

__all__ = ["DueSoon", "DueSoonParams"]


class DueSoonParams(RuleParams):
    days: int = Field(default=2, ge=0, description="Business days before the due date.")


@register("due-soon")
class DueSoon(TimeDrivenRule):
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
    order = 60
    label: ClassVar[Mapping[str, str]] = {"ru": "скоро срок", "en": "due soon"}
    summary = "it is due within N business days"

    def check_until(self, task: Task, ctx: Context) -> tuple[Finding | None, datetime | None]:
        if task.due is None:
            return None, FOREVER
        calendar = ctx.calendar
        end = calendar.due_end(task.due)
        if ctx.now >= end:
            return None, FOREVER  # past due: overdue's business, never "due soon" again
        # Business days left shrink by one at the start of each business day up to the
        # due date: the window opens on the day that leaves exactly ``days``; inside it
        # the message changes every business day until the due date ends.
        left = calendar.business_days_between(ctx.today, task.due)
        if left > self.params.days:
            return None, calendar.countdown_start(task.due, self.params.days)
        due = task.due.isoformat()
        finding = self.finding(
            task,
            ctx,
            "due today" if left == 0 else f"due {due}, in {business_days(left, 'en')}",
            (due,),
            {"due": due, "days_left": str(max(left, 0))},
        )
        return finding, min(utc(end), calendar.next_business_day_start(ctx.today))

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording:
        due, left = day(data.get("due"), lang), int(data.get("days_left", "0") or 0)
        if left == 0:
            title = say(lang, f"Срок — сегодня, {due}", f"Due today, {due}")
        else:
            span = business_days(left, lang)
            title = say(lang, f"Срок через {span} — {due}", f"Due in {span}, {due}")
        return (
            title,
            say(
                lang,
                "Что сделать: если не успеваете, предупредите менеджера сейчас, "
                "а не в последний день.",
                "What to do: if it will not be ready, tell the manager now, not on the last day.",
            ),
            say(
                lang,
                "Почему это важно: ранний сигнал оставляет время договориться с клиентом.",
                "Why it matters: an early warning leaves time to agree with the client.",
            ),
        )
