"""``measurable-goal``: the Goal says how success is measured (the M and T of SMART)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field

from rules.base import Context, RuleParams, TimelessRule, Wording
from rules.briefs import Lang
from rules.documents.sections import section_filled
from rules.registry import register
from rules.texts import say
from syncd.core.models import Finding, Severity, Task

__all__ = ["MEASURABLE", "MeasurableGoal", "MeasurableGoalParams", "is_measurable"]

_RU_NUMBERS = (
    r"одн[аоуй]\w*|один|два|две|тр[еёи]\w*|четыр\w*|пят[ьи]\w*|шест\w*|сем[ьи]\w*|восем\w*"
    r"|девят\w*|десят\w*|двадцат\w*|тридцат\w*|сорок\w*|сто|сотн\w*|тысяч\w*|миллион\w*"
    r"|половин\w*|вдвое|втрое|дважды|трижды|полтора|полторы"
)
_EN_NUMBERS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|fifty"
    r"|hundred|thousand|million|half|double|twice|triple|dozen"
)
_RU_MONTHS = (
    r"январ\w*|феврал\w*|март\w*|апрел\w*|ма[яй]|июн\w*|июл\w*|август\w*|сентябр\w*"
    r"|октябр\w*|ноябр\w*|декабр\w*"
)
# "may" and "march" are left out on purpose: "users may…", "march on" are not dates.
_EN_MONTHS = r"january|february|april|june|july|august|september|october|november|december"
_WEEKDAYS_RU = r"понедельник\w*|вторник\w*|сред[аеуы]|четверг\w*|пятниц\w*|суббот\w*|воскресень\w*"
_WEEKDAYS_EN = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DEADLINES_RU = (
    r"дедлайн\w*|к\s+концу|до\s+конца|к\s+началу|до\s+начала|сегодня|завтра|послезавтра"
    r"|(?:на|к)\s+(?:этой|следующей)\s+недел\w*|в\s+течени[ея]|до\s+(?:запуска|старта|релиза)"
    r"|квартал\w*|ежедневн\w*|еженедельн\w*|ежемесячн\w*|(?:к|ко|до)\s+(?:" + _WEEKDAYS_RU + ")"
)
_DEADLINES_EN = (
    r"deadline\w*|by\s+(?:the\s+)?(?:end|start|eod|eow|tomorrow|today|next|" + _WEEKDAYS_EN + ")"
    r"|end\s+of\s+(?:the\s+)?(?:day|week|month|quarter|year|sprint)|within|until|quarter\w*"
    r"|daily|weekly|monthly|due\s+(?:by|on|date)|next\s+week|this\s+week"
)
_MONEY = r"[₽$€£]|(?:руб(?:л\w*)?|тыс|млн|млрд|usd|eur|rub)(?!\w)"
_PERCENT = r"%|процент\w*|percent\w*|п\.\s?п\."

MEASURABLE = re.compile(
    r"\d"
    rf"|(?<!\w)(?:{_PERCENT}|{_MONEY})"
    rf"|(?<!\w)(?:{_RU_NUMBERS}|{_EN_NUMBERS})(?!\w)"
    rf"|(?<!\w)(?:{_RU_MONTHS}|{_EN_MONTHS})(?!\w)"
    rf"|(?<!\w)(?:{_DEADLINES_RU}|{_DEADLINES_EN})(?!\w)",
    re.IGNORECASE,
)
"""A number, a percentage, an amount of money, a date or a deadline word, ru or en."""


def is_measurable(text: str) -> bool:
    return MEASURABLE.search(text) is not None


class MeasurableGoalParams(RuleParams):
    extra_words: tuple[str, ...] = Field(
        default=(), description="More words that make a goal measurable (e.g. KPI names)."
    )


@register("measurable-goal")
class MeasurableGoal(TimelessRule):
    """The Goal section states something measurable: a number, a percentage, an amount
    of money, a date or a deadline word. "Сделать хорошо" is a goal but not a measurable
    one; "Увеличить выручку на 15 %" is. Off unless listed; a task without a filled Goal
    is ``required-sections``' business, not this rule's.

    example:

        rules:
          - rule: measurable-goal
            severity: warning
            params: {extra_words: [CTR, ROMI]}
    """

    Params = MeasurableGoalParams
    params: MeasurableGoalParams
    default_severity = Severity.WARNING
    default_enabled = False
    order = 90
    label: ClassVar[Mapping[str, str]] = {"ru": "цель не измерима", "en": "goal not measurable"}
    summary = (
        "the goal states nothing measurable (a number, percentage, amount, date or "
        "deadline) — SMART; off unless listed"
    )

    def __init__(self, params: RuleParams | None = None, severity: Severity | None = None) -> None:
        super().__init__(params, severity)
        words = "|".join(re.escape(w) for w in self.params.extra_words if w.strip())
        self._extra = re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE) if words else None

    def check(self, task: Task, ctx: Context) -> Finding | None:
        goal = task.section("goal")
        if goal is None or not section_filled(goal):
            return None
        if is_measurable(goal.text) or (self._extra is not None and self._extra.search(goal.text)):
            return None
        return self.finding(task, ctx, "the goal states nothing measurable", ("goal",), {})

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording:
        return (
            say(lang, "Цель не измерима", "The goal is not measurable"),
            say(
                lang,
                "Что сделать: добавьте в цель число, процент, сумму или срок — например, "
                "«увеличить конверсию рассылки на 10 % к 1 марта».",
                "What to do: add a number, a percentage, an amount or a date to the goal, "
                "e.g. “raise the newsletter conversion by 10% by 1 March”.",
            ),
            say(
                lang,
                "Почему это важно: по измеримой цели понятно, получилось ли (SMART).",
                "Why it matters: a measurable goal tells whether it worked (SMART).",
            ),
        )
