"""The account managers' guides (README.ru.md, docs/managers.md) show what the rules really
accept: their task description passes ``required-sections`` and ``measurable-goal``, their
checkpoint comment counts, the night checkpoint is shown at the hour they say, and their
reminder is the one syncd writes. Each example sits in the fenced block after an
``<!-- example:NAME -->`` line."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from config.policy import CalendarConfig
from connectors.gitlab.render import render_markdown
from rules.base import Context
from rules.briefs import Lang
from rules.builtin.checkpoint import Checkpoint
from rules.builtin.measurable_goal import MeasurableGoal
from rules.builtin.required_sections import RequiredSections
from rules.calendar import BusinessCalendar
from rules.documents.sections import to_plain_text
from rules.texts import reminder_intro, reminder_item, reminder_outro
from syncd.core.models import Comment, Person, Reminder, Task
from tests.rules.factory import at, described

ROOT = Path(__file__).resolve().parents[2]
GUIDES: dict[Lang, Path] = {"ru": ROOT / "README.ru.md", "en": ROOT / "docs" / "managers.md"}
ANNA = Person(id="u-anna", name="Анна Петрова", username="anna")
RU = BusinessCalendar(CalendarConfig(country="RU", timezone="Europe/Moscow"))
# The guides' story: work began on Monday 23 November 2026 at 10:00, due on Friday the 27th.
START, DUE = at("2026-11-23T10:00+03:00"), date(2026, 11, 27)


def example(lang: Lang, name: str) -> str:
    text = GUIDES[lang].read_text(encoding="utf-8")
    found = re.search(rf"<!-- example:{name} -->\n```\w*\n(.*?)\n```", text, re.DOTALL)
    assert found is not None, f"{GUIDES[lang].name}: no example:{name} block"
    return found.group(1)


def _ctx(now: str) -> Context:
    moment = at(now)
    return Context(moment, RU.local_date(moment), RU)


def _task(description: str, *comments: Comment) -> Task:
    return described(
        description,
        "markdown",
        assignees=(ANNA,),
        created=at("2026-11-20T10:00+03:00"),
        start=START,
        due=DUE,
        comments=comments,
    )


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_example_task_passes_the_description_rules(lang: Lang) -> None:
    task = _task(example(lang, "task"))
    ctx = _ctx("2026-11-24T12:00+03:00")
    assert {s.name for s in task.sections} == {"goal", "acceptance"}
    assert RequiredSections().check(task, ctx) is None
    assert MeasurableGoal().check(task, ctx) is None


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_example_checkpoint_comment_counts(lang: Lang) -> None:
    body = to_plain_text(example(lang, "checkpoint"), "markdown")
    note = Comment(id="1", author=ANNA, created=at("2026-11-24T17:00+03:00"), body=body)
    rule, ctx = Checkpoint(), _ctx("2026-11-26T12:00+03:00")  # long after the checkpoint
    assert rule.check(_task(example(lang, "task"), note), ctx) is None
    # Without it the checkpoint is missed: the example is what makes the difference.
    missed = rule.check(_task(example(lang, "task")), ctx)
    assert missed is not None
    # The guides' night example: 35 % of Monday 10:00 → end of Friday is Wednesday 00:30,
    # shown from the next working hour, 09:00.
    assert missed.data["checkpoint_at"] == "2026-11-25T00:30:00+03:00"
    assert missed.data["check_at"] == "2026-11-25T09:00:00+03:00"


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_example_reminder_is_the_one_syncd_writes(lang: Lang) -> None:
    # The example task without its acceptance criteria, and no checkpoint comment.
    goal_only = example(lang, "task").split("\n\n")[0]
    task = _task(goal_only)
    ctx = _ctx("2026-11-25T09:00+03:00")  # the first working hour after the checkpoint
    findings = [
        f for f in (RequiredSections().check(task, ctx), Checkpoint().check(task, ctx)) if f
    ]
    reminder = Reminder(
        marker="r-guide",
        intro=reminder_intro(lang),
        items=tuple(reminder_item(f, task, lang) for f in findings),
        mention=ANNA,
        outro=reminder_outro(lang),
    )
    rendered = render_markdown(reminder).replace("**", "")  # as GitLab shows it
    shown = "\n".join(line for line in rendered.splitlines() if "<!--" not in line).strip()
    assert example(lang, "reminder") == shown
