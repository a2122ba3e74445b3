"""``single-owner``: exactly one person everybody asks about the task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rules.base import Context, TimelessRule, Wording
from rules.briefs import Lang
from rules.registry import register
from rules.texts import say
from syncd.core.models import Finding, Severity, Task

__all__ = ["SingleOwner"]


@register("single-owner")
class SingleOwner(TimelessRule):
    """Exactly one assignee: "there must always be the one person everybody will ask".
    None means nobody is in charge; several means everybody thinks someone else is.

    example:

        rules:
          - rule: single-owner
            severity: error
    """

    default_severity = Severity.ERROR
    order = 30
    label: ClassVar[Mapping[str, str]] = {
        "ru": "нет одного ответственного",
        "en": "not exactly one assignee",
    }
    summary = "it has no assignee or more than one"

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

    @classmethod
    def wording(cls, data: Mapping[str, str], lang: Lang) -> Wording:
        count = int(data.get("count", "0") or 0)
        if count == 0:
            title = say(lang, "Не назначен ответственный", "No assignee")
        else:
            title = say(
                lang,
                f"Назначено несколько исполнителей ({count}) — нужен один ответственный",
                f"{count} assignees: one person should own the task",
            )
        return (
            title,
            say(
                lang,
                "Что сделать: оставьте в задаче одного ответственного.",
                "What to do: leave exactly one assignee on the task.",
            ),
            say(
                lang,
                "Почему это важно: у задачи должен быть один ответственный, с кого спрашивают.",
                "Why it matters: there must always be the one person everybody asks.",
            ),
        )
