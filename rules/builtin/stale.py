"""``stale``: work in progress that nobody has touched for days."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from rules.base import FOREVER, Context, Rule, RuleParams, Wording
from rules.briefs import Lang
from rules.builtin._util import iso, next_business_day_start, utc
from rules.registry import register
from rules.texts import business_days, day, say
from syncd.core.models import Finding, Severity, StatusCategory, Task

__all__ = ["Stale", "StaleParams", "last_human_activity", "next_human_activity"]


class StaleParams(RuleParams):
    days: int = Field(default=5, ge=1, description="Business days without human activity.")


def last_human_activity(task: Task, ctx: Context) -> datetime:
    """The latest of: the start of the current spell of work, a comment by a person, a
    field change by a person. Bot comments and bot changes (syncd's own reminders and
    labels above all) never count, or syncd would keep its own findings alive."""
    now = ctx.now
    latest = task.work_start
    for comment in task.comments:
        if comment.created > latest and comment.created <= now and not ctx.is_bot(comment):
            latest = comment.created
    for change in task.activity:
        if change.at > latest and change.at <= now and not ctx.is_bot(change):
            latest = change.at
    return latest


def next_human_activity(task: Task, ctx: Context) -> datetime:
    """The first comment or field change by a person dated after ``ctx.now`` (a tracker's
    clock ahead of ours): from that instant on :func:`last_human_activity` may count it.
    :data:`~rules.base.FOREVER` when there is none."""
    now = ctx.now
    first = FOREVER
    for comment in task.comments:
        if comment.created > now and not ctx.is_bot(comment):
            first = min(first, utc(comment.created))
    for change in task.activity:
        if change.at > now and not ctx.is_bot(change):
            first = min(first, utc(change.at))
    return first


@register("stale")
class Stale(Rule):
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

    def check(self, task: Task, ctx: Context) -> Finding | None:
        if task.status_category is not StatusCategory.IN_PROGRESS:
            return None
        last = last_human_activity(task, ctx)
        idle = ctx.calendar.business_days_between(ctx.calendar.local_date(last), ctx.today)
        if idle < self.params.days:
            return None
        return self.finding(
            task,
            ctx,
            f"no activity for {business_days(idle, 'en')}",
            (last.isoformat(),),
            {"last_activity": iso(last, ctx), "days": str(idle)},
        )

    def valid_until(self, task: Task, ctx: Context, finding: Finding | None) -> datetime | None:
        if task.status_category is not StatusCategory.IN_PROGRESS:
            return FOREVER
        calendar = ctx.calendar
        if finding is None:
            # Idle business days grow at the start of each business day: stale from the
            # ``days``-th business day after the day of the last activity.
            last = calendar.local_date(last_human_activity(task, ctx))
            turns = calendar.day_start(calendar.add_business_days(last, self.params.days))
        else:
            turns = next_business_day_start(ctx)  # "no activity for N business days" grows
        return min(turns, next_human_activity(task, ctx))

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
