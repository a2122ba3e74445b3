"""``stale``: work in progress that nobody has touched for days."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from rules.base import FOREVER, Context, RuleParams, TimeDrivenRule, Wording
from rules.briefs import Lang
from rules.builtin._util import iso, utc
from rules.registry import register
from rules.texts import business_days, day, say
from syncd.core.models import Activity, Comment, Finding, Severity, StatusCategory, Task

__all__ = ["Stale", "StaleParams", "human_activity", "last_human_activity"]


class StaleParams(RuleParams):
    days: int = Field(default=5, ge=1, description="Business days without human activity.")


def human_activity(task: Task, ctx: Context) -> tuple[datetime, datetime]:
    """The last human activity up to ``ctx.now`` (see :func:`last_human_activity`), and
    the first one dated after it (a tracker's clock ahead of ours), which counts from its
    date on: :data:`~rules.base.FOREVER` when there is none."""
    now = ctx.now
    latest, ahead = task.work_start, FOREVER
    dated: list[tuple[datetime, Comment | Activity]] = [(c.created, c) for c in task.comments]
    dated += [(a.at, a) for a in task.activity]
    for when, item in dated:
        if when > now:
            if when < ahead and not ctx.is_bot(item):
                ahead = utc(when)
        elif when > latest and not ctx.is_bot(item):
            latest = when
    return latest, ahead


def last_human_activity(task: Task, ctx: Context) -> datetime:
    """The latest of: the start of the current spell of work, a comment by a person, a
    field change by a person. Bot comments and bot changes (syncd's own reminders and
    labels above all) never count, or syncd would keep its own findings alive."""
    return human_activity(task, ctx)[0]


@register("stale")
class Stale(TimeDrivenRule):
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
    order = 70
    label: ClassVar[Mapping[str, str]] = {"ru": "нет движения", "en": "no activity"}
    summary = (
        "it is in progress with no human activity (comments or field changes by people; "
        "syncd's own never count) for N business days"
    )

    def check_until(self, task: Task, ctx: Context) -> tuple[Finding | None, datetime | None]:
        if task.status_category is not StatusCategory.IN_PROGRESS:
            return None, FOREVER
        last, ahead = human_activity(task, ctx)
        calendar = ctx.calendar
        since = calendar.local_date(last)
        # Idle business days grow at the start of each business day; an activity dated
        # ahead of now resets them when it starts to count.
        idle = calendar.business_days_between(since, ctx.today)
        if idle < self.params.days:
            turns = calendar.day_start(calendar.add_business_days(since, self.params.days))
            return None, turns  # an activity dated ahead can only put it off
        finding = self.finding(
            task,
            ctx,
            f"no activity for {business_days(idle, 'en')}",
            (last.isoformat(),),
            {"last_activity": iso(last, ctx), "days": str(idle)},
        )
        return finding, min(calendar.next_business_day_start(ctx.today), ahead)

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording:
        since = day(data.get("last_activity"), lang)
        span = business_days(int(data.get("days", "0") or 0), lang)
        return (
            say(
                lang, f"Нет движения {span} (с {since})", f"No activity for {span} (since {since})"
            ),
            say(
                lang,
                "Что сделать: напишите короткий статус: что сделано и что мешает.",
                "What to do: write a short status: what is done and what is blocking.",
            ),
            say(
                lang,
                "Почему это важно: задача без движения незаметно срывает срок.",
                "Why it matters: work in progress that nobody touches misses deadlines quietly.",
            ),
        )
