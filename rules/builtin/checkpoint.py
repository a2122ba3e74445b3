"""``checkpoint``: by 35 % of a task's time, someone has said where it stands."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import Field

from rules.base import FOREVER, Context, RuleParams, TimeDrivenRule, Wording
from rules.briefs import Lang
from rules.builtin._util import iso, utc
from rules.checkpoints import (
    DEFAULT_HASHTAGS,
    DEFAULT_KEYWORDS,
    CheckpointMatcher,
    checkpoint_moment,
)
from rules.registry import register
from rules.texts import day, moment, say
from syncd.core.models import Finding, Severity, Task

__all__ = ["Checkpoint", "CheckpointParams"]


class CheckpointParams(RuleParams):
    fraction: float = Field(default=0.35, gt=0, lt=1, description="Share of start → due.")
    keywords: tuple[str, ...] = Field(
        default=DEFAULT_KEYWORDS, description="A checkpoint comment begins with one of these."
    )
    hashtags: tuple[str, ...] = Field(
        default=DEFAULT_HASHTAGS, description="…or carries one of these anywhere."
    )
    assignee_comments_count: bool = Field(
        default=False, description="Any comment by an assignee counts as a checkpoint."
    )
    grace_hours: float = Field(
        default=4.0, ge=0, description="Hours after the moment reported as at-risk, not missed."
    )
    business_time: bool | None = Field(
        default=None, description="Measure in business time; default: when a country is set."
    )


@register("checkpoint")
class Checkpoint(TimeDrivenRule):
    """By the checkpoint moment (start + fraction × (due − start), in business time when
    the team has a holiday calendar) the task has a checkpoint comment by a person, written
    after the current spell of work began. Right after the moment the task is "at risk"
    (warning) for ``grace_hours``; after that the checkpoint is "missed".

    example:

        rules:
          - rule: checkpoint
            params:
              fraction: 0.35
              keywords: [Checkpoint, Статус, Чекпоинт]
              hashtags: ["#checkpoint"]
              assignee_comments_count: false
              grace_hours: 4
    """

    Params = CheckpointParams
    params: CheckpointParams
    default_severity = Severity.ERROR
    order = 40
    label: ClassVar[Mapping[str, str]] = {"ru": "пропущен чекпоинт", "en": "checkpoint missed"}
    summary = (
        "by start + 35 % of the time to the due date (from when the deadline was set, if "
        "later; business time when a holiday calendar is set) nobody wrote a checkpoint "
        "comment — one that begins with Checkpoint, Check-in, Status, Статус, Чекпоинт, "
        "Чекпойнт, Чек-поинт or Контрольная точка (as a whole word), or carries "
        "`#checkpoint`/`#чекпоинт`; at risk for `grace_hours`, then missed"
    )

    def __init__(self, params: RuleParams | None = None, severity: Severity | None = None) -> None:
        super().__init__(params, severity)
        self.matcher = CheckpointMatcher(self.params.keywords, self.params.hashtags)
        self._grace = timedelta(hours=self.params.grace_hours)

    def satisfied(self, task: Task, ctx: Context) -> bool:
        start = task.work_start
        assignees = {p.id for p in task.assignees} if self.params.assignee_comments_count else ()
        for comment in task.comments:
            if comment.created < start or comment.created > ctx.now or ctx.is_bot(comment):
                continue
            if comment.author.id in assignees or self.matcher.matches(comment.body):
                return True
        return False

    def _first_ahead(self, task: Task, ctx: Context, first: datetime) -> datetime:
        """The earlier of ``first`` and the first checkpoint comment dated after
        ``ctx.now`` (a tracker's clock ahead of ours): it counts from its date on."""
        start, now = task.work_start, ctx.now
        assignees = {p.id for p in task.assignees} if self.params.assignee_comments_count else ()
        for comment in task.comments:
            created = comment.created
            if created <= now or created < start or created >= first or ctx.is_bot(comment):
                continue
            if comment.author.id in assignees or self.matcher.matches(comment.body):
                first = utc(created)
        return first

    def check_until(self, task: Task, ctx: Context) -> tuple[Finding | None, datetime | None]:
        p = self.params
        moment = checkpoint_moment(task, ctx.calendar, p.fraction, business_time=p.business_time)
        if moment is None:
            return None, FOREVER
        if ctx.now < moment:
            return None, utc(moment)  # flagged from the moment on, unless a comment came
        if self.satisfied(task, ctx):
            return None, FOREVER  # a checkpoint comment counts, and keeps counting
        grace_end = moment + self._grace
        at_risk = ctx.now < grace_end
        state = "at_risk" if at_risk else "missed"
        assert task.due is not None
        finding = self.finding(
            task,
            ctx,
            f"checkpoint was due {moment.astimezone(ctx.calendar.tz):%Y-%m-%d %H:%M}, "
            f"no checkpoint comment ({state})",
            # One checkpoint per spell of work: moving the deadline moves the moment but is
            # not a new obligation, so it must not re-notify (a reopen starts a new spell).
            (task.work_start.isoformat(),),
            {
                "checkpoint_at": iso(moment, ctx),
                # What people are shown: continuous business time can put the moment at
                # night ("00:30"); a manager can act from the next working hour.
                "check_at": iso(ctx.calendar.next_working_time(moment), ctx),
                "start": iso(task.work_start, ctx),
                "due": task.due.isoformat(),
                "state": state,
            },
            # At risk is one step milder than missed, never louder than configured.
            severity=Severity.WARNING if at_risk and self.severity is Severity.ERROR else None,
        )
        # "At risk" turns "missed" when the grace ends (the same wall-clock sum as above),
        # and a checkpoint comment dated ahead of our clock clears it when it counts.
        return finding, self._first_ahead(task, ctx, utc(grace_end) if at_risk else FOREVER)

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording:
        # ``check_at``: the moment moved into working hours (a finding from before it existed
        # has only ``checkpoint_at``).
        at = moment(data.get("check_at") or data.get("checkpoint_at"), lang)
        due = day(data.get("due"), lang)
        if data.get("state") == "at_risk":
            title = say(
                lang,
                f"Пора отметить чекпоинт: контрольная точка — {at}",
                f"Checkpoint due: the checkpoint is {at}",
            )
        else:
            title = say(
                lang,
                f"Нет комментария-чекпоинта: контрольная точка была {at}",
                f"No checkpoint comment: the checkpoint was {at}",
            )
        return (
            title,
            say(
                lang,
                "Что сделать: напишите комментарий, который начинается со слова «Статус» или "
                f"«Чекпоинт»: что сделано, что осталось, успеваете ли к сроку {due}.",
                "What to do: write a comment starting with “Status” or “Checkpoint”: what is "
                f"done, what is left, will it be ready by {due}.",
            ),
            say(
                lang,
                "Почему это важно: проверка на 30–40 % срока оставляет время передать задачу, "
                "уточнить вводные или перенести дедлайн.",
                "Why it matters: checking at 30–40% of the time leaves room to hand the task "
                "over, clarify the brief or move the deadline.",
            ),
        )
