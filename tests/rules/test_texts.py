"""Reminder wording: every rule in both languages, Russian plurals, usable templates."""

from __future__ import annotations

from datetime import date

import pytest

from config.policy import CalendarConfig
from rules.builtin.required_sections import RequiredSections, RequiredSectionsParams, Variant
from rules.calendar import BusinessCalendar
from rules.documents.sections import parse_description, section_filled
from rules.engine import Engine, ScopedRule
from rules.registry import get_rule, rule_names
from rules.texts import business_days, reminder_intro, reminder_item, reminder_outro
from syncd.core.models import Finding, Reminder, Severity, StatusCategory
from tests.rules.factory import ANNA, BORIS, at, context, make_task

RU = BusinessCalendar(CalendarConfig(country="RU", timezone="Europe/Moscow"))


@pytest.mark.parametrize(
    ("count", "ru", "en"),
    [
        (1, "1 рабочий день", "1 business day"),
        (2, "2 рабочих дня", "2 business days"),
        (4, "4 рабочих дня", "4 business days"),
        (5, "5 рабочих дней", "5 business days"),
        (11, "11 рабочих дней", "11 business days"),
        (21, "21 рабочий день", "21 business days"),
        (22, "22 рабочих дня", "22 business days"),
    ],
)
def test_business_days_plural(count: int, ru: str, en: str) -> None:
    assert business_days(count, "ru") == ru
    assert business_days(count, "en") == en


def _all_findings() -> list[Finding]:
    """One finding of every built-in rule, from the real rules."""
    from config.policy import RuleScope

    rules = [ScopedRule.build(get_rule(n)(), RuleScope()) for n in rule_names()]
    engine = Engine(rules, calendars={"jira": RU})
    vague = (make_task().sections[0].model_copy(update={"text": "Сделать красиво и удобно"}),)
    tasks = [
        make_task(key="A-1", sections=(), assignees=(ANNA, BORIS), priority=None, due=None),
        make_task(
            key="A-2", due=date(2026, 11, 20), created=at("2026-11-02 07:00"), sections=vague
        ),
        make_task(key="A-3", due=date(2026, 11, 27), status_category=StatusCategory.NEW),
    ]
    return engine.evaluate(tasks, at("2026-11-25 09:00"))


def test_every_rule_has_wording_in_both_languages() -> None:
    findings = _all_findings()
    assert {f.rule for f in findings} == set(rule_names())
    for finding in findings:
        for lang in ("ru", "en"):
            item = reminder_item(finding, make_task(), lang)
            assert item.title, finding.rule
            assert item.title != finding.message, (finding.rule, lang)
            assert len(item.details) >= 2, (finding.rule, lang)
            why = item.details[-1]
            assert why.startswith("Почему это важно:" if lang == "ru" else "Why it matters:")


def test_russian_checkpoint_overdue_and_stale_wording() -> None:
    by_rule = {f.rule: f for f in _all_findings() if f.task_key == "A-2"}
    # Created Mon 2 Nov 10:00 Moscow, due 20 Nov: 13 7/12 business days (4 Nov is a
    # holiday); 35 % of them from the start lands on Tue 10 Nov at 04:06 Moscow. Nobody
    # can act at 04:06: people are shown the start of that working day; the finding keeps
    # the computed moment.
    assert by_rule["checkpoint"].data["checkpoint_at"] == "2026-11-10T04:06:00+03:00"
    checkpoint = reminder_item(by_rule["checkpoint"], make_task(), "ru")
    assert checkpoint.title == "Нет комментария-чекпоинта: контрольная точка была 10 ноября в 09:00"
    assert "«Статус»" in checkpoint.details[0]
    assert "к сроку 20 ноября" in checkpoint.details[0]
    overdue = reminder_item(by_rule["overdue"], make_task(), "ru")
    assert overdue.title == "Срок прошёл: 20 ноября (просрочено на 3 рабочих дня)"
    stale = reminder_item(by_rule["stale"], make_task(), "en")
    assert stale.title == "No activity for 16 business days (since 2 November)"


def test_missing_sections_template_reads_back_as_empty_sections() -> None:
    params = RequiredSectionsParams(
        variants=(Variant(labels=("design",), sections=("formats", "sizes")),),
        templates={"sizes": {"ru": "1080×1080 для ленты"}},
    )
    finding = RequiredSections(params).check(
        make_task(labels=("design",), sections=()), context(at("2026-11-25 09:00"))
    )
    assert finding is not None
    item = reminder_item(finding, make_task(), "ru")
    assert item.title == (
        "В описании не заполнены разделы: Цель, Критерии приёмки, Форматы, Размеры"
    )
    template = item.details[1:-1]
    assert template[3] == "Размеры: … (например: 1080×1080 для ленты)"
    pasted = parse_description("\n".join(template), "text")
    assert [s.name for s in pasted] == ["goal", "acceptance", "formats", "sizes"]
    assert not any(section_filled(s) for s in pasted)  # pasting it unchanged is not enough
    single = RequiredSections().check(
        make_task(sections=make_task().sections[:1]), context(at("2026-11-25 09:00"))
    )
    assert single is not None
    assert reminder_item(single, make_task(), "ru").title == (
        "В описании не заполнен раздел: Критерии приёмки"
    )


def test_intro_outro_and_unknown_rule() -> None:
    assert reminder_intro("ru").startswith("Привет")
    assert reminder_intro("en").startswith("Hi")
    assert reminder_outro("ru") != reminder_outro("en")
    odd = Finding(
        rule="custom",
        source="jira",
        task_key="A-1",
        severity=Severity.INFO,
        message="custom says hi",
        fingerprint="f",
        detected_at=at("2026-11-25 09:00"),
    )
    assert reminder_item(odd, make_task(), "ru").title == "custom says hi"
    reminder = Reminder(
        marker="syncd:x", intro=reminder_intro("ru"), items=(reminder_item(odd, make_task(), "ru"),)
    )
    assert "custom says hi" in reminder.plain_text()


def test_english_template_reads_back_as_empty_too() -> None:
    finding = RequiredSections().check(make_task(sections=()), context(at("2026-11-25 09:00")))
    assert finding is not None
    item = reminder_item(finding, make_task(), "en")
    template = item.details[1:-1]
    assert template[0].startswith("Goal: … (e.g. ")
    pasted = parse_description("\n".join(template), "markdown")
    assert [s.name for s in pasted] == ["goal", "acceptance"]
    assert not any(section_filled(s) for s in pasted)


@pytest.mark.parametrize(
    ("lang", "label"), [("ru", "Подробнее о правиле"), ("en", "About this rule")]
)
def test_each_item_links_the_rule_page_when_configured(lang: str, label: str) -> None:
    url = "https://wiki.agency.example/syncd#{rule}"
    task = make_task()
    for finding in _all_findings():
        plain = reminder_item(finding, task, lang)  # type: ignore[arg-type]
        linked = reminder_item(finding, task, lang, url)  # type: ignore[arg-type]
        assert linked.title == plain.title
        assert linked.details[:-1] == plain.details
        assert linked.details[-1] == f"{label}: https://wiki.agency.example/syncd#{finding.rule}"


def test_heads_up_wording_when_nothing_needs_fixing() -> None:
    assert reminder_intro("ru", heads_up=True) == "Напоминание по задаче:"
    assert "ничего делать не нужно" in reminder_outro("ru", heads_up=True)
    assert "поправить" in reminder_intro("ru")
    assert reminder_intro("en", heads_up=True) != reminder_intro("en")
