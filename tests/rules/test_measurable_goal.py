"""``measurable-goal`` on real-looking goals, each with why it is (not) measurable."""

from __future__ import annotations

import pytest

from rules.builtin.measurable_goal import MeasurableGoal, MeasurableGoalParams
from syncd.core.models import Section, Task
from tests.rules.factory import at, context, make_task

MEASURABLE = [
    ("Увеличить выручку на 15 %", "a percentage"),
    ("Поднять открываемость рассылки до 25 процентов", "a percentage in words"),
    ("Снизить стоимость заявки до 900 ₽", "money with the rouble sign"),
    ("Уложиться в бюджет 200 тыс. руб. на контекст", "money in words"),
    ("Привести 300 регистраций на вебинар", "a number"),
    ("Запустить лендинг к 1 марта", "a date"),
    ("Сдать баннеры клиенту к пятнице", "a deadline weekday"),
    ("Подготовить отчёт по кампании до конца месяца", "a deadline phrase"),
    (
        "Удвоить базу подписчиков: в два раза больше, чем в прошлом квартале",
        "a quarter and a number word",
    ),
    ("Собрать три варианта концепции для клиента", "a number word"),
    ("Выпускать дайджест еженедельно", "a regular cadence is measurable"),
    ("Increase the newsletter click rate to 4%", "a percentage"),
    ("Grow webinar sign-ups by twenty percent", "number and percent in words"),
    ("Cut cost per lead below $12", "money"),
    ("Launch the spring campaign by Friday", "a deadline weekday"),
    ("Ship the redesign by the end of the quarter", "a deadline phrase"),
    ("Publish the case study on 14 October", "a date"),
    ("Get the client's sign-off within two days", "a deadline word and a number"),
]

NOT_MEASURABLE = [
    ("Сделать хорошо", "no number, no date: the article's example of a vague goal"),
    ("Улучшить дизайн рассылки", "better by how much, by when?"),
    ("Повысить узнаваемость бренда", "no measure of awareness"),
    ("Обновить рубрику блога, чтобы клиент был доволен", "'рубрика' is not roubles"),
    ("Сделать сайт удобнее для пользователей", "no criterion"),
    ("Make the landing page look modern", "taste, not a measure"),
    ("Improve customer experience", "no number"),
    ("Users may want a lighter design", "'may' is not the month"),
    ("Redesign the header due to client complaints", "'due to' is not a deadline"),
    ("Запустить рассылку как можно скорее", "ASAP is not a date"),
]


def goal_task(text: str) -> Task:
    return make_task(sections=(Section(name="goal", title="Цель", text=text),))


NOW = context(at("2026-11-25 09:00"))


@pytest.mark.parametrize(("goal", "why"), MEASURABLE)
def test_measurable_goals_pass(goal: str, why: str) -> None:
    assert MeasurableGoal().check(goal_task(goal), NOW) is None, why


@pytest.mark.parametrize(("goal", "why"), NOT_MEASURABLE)
def test_vague_goals_are_flagged(goal: str, why: str) -> None:
    finding = MeasurableGoal().check(goal_task(goal), NOW)
    assert finding is not None, why
    assert finding.severity.value == "warning"


def test_extra_words_and_missing_goal() -> None:
    vague = goal_task("Поднять CTR рекламных объявлений")
    assert MeasurableGoal().check(vague, NOW) is not None
    assert MeasurableGoal(MeasurableGoalParams(extra_words=("CTR",))).check(vague, NOW) is None
    # No (filled) goal at all is required-sections' finding, not this rule's.
    assert MeasurableGoal().check(make_task(sections=()), NOW) is None
    assert MeasurableGoal().check(goal_task("TBD"), NOW) is None
    assert MeasurableGoal.default_enabled is False
