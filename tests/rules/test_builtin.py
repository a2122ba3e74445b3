"""The built-in rules other than checkpoint, each with a frozen ``now``."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from config.policy import CalendarConfig
from rules.builtin.due_date import DueDate, DueDateParams
from rules.builtin.due_soon import DueSoon, DueSoonParams
from rules.builtin.overdue import Overdue
from rules.builtin.priority_set import PrioritySet
from rules.builtin.required_sections import RequiredSections, RequiredSectionsParams, Variant
from rules.builtin.single_owner import SingleOwner
from rules.builtin.stale import Stale, StaleParams
from rules.calendar import BusinessCalendar
from syncd.core.models import Section, StatusCategory
from tests.rules.factory import (
    ANNA,
    BORIS,
    BOT,
    GOAL,
    at,
    change,
    comment,
    context,
    described,
    make_task,
)

RU = BusinessCalendar(CalendarConfig(country="RU", timezone="Europe/Moscow"))
NOW = at("2026-11-25 09:00")  # Wednesday, 12:00 in Moscow


# -- required-sections ---------------------------------------------------------------
def test_required_sections_missing_and_placeholder() -> None:
    rule = RequiredSections()
    assert rule.check(make_task(), context(NOW)) is None
    todo = Section(name="goal", title="Цель", text="TBD")
    finding = rule.check(make_task(sections=(todo,)), context(NOW))
    assert finding is not None
    assert finding.data["missing"] == "goal,acceptance"
    assert finding.data["empty"] == "goal"
    # The fingerprint is the missing set: filling one section makes a new finding.
    again = rule.check(make_task(sections=()), context(at("2026-11-26 09:00")))
    assert again is not None
    assert again.fingerprint == finding.fingerprint
    half = rule.check(make_task(sections=(GOAL,)), context(NOW))
    assert half is not None
    assert half.data["missing"] == "acceptance"
    assert half.fingerprint != finding.fingerprint


def test_required_sections_variants_for_a_design_brief() -> None:
    params = RequiredSectionsParams(
        variants=(
            Variant(labels=("Design",), sections=("formats", "sizes")),
            Variant(issue_types=("Вёрстка",), sections=("mockup",), replace=True),
        )
    )
    rule = RequiredSections(params)
    design = make_task(labels=("design",))
    finding = rule.check(design, context(NOW))
    assert finding is not None
    assert finding.data["missing"] == "formats,sizes"
    markup = make_task(issue_type="Вёрстка", sections=())
    only = rule.check(markup, context(NOW))
    assert only is not None
    assert only.data["missing"] == "mockup"
    assert rule.check(make_task(labels=("copy",)), context(NOW)) is None


def test_required_sections_reparses_with_configured_aliases() -> None:
    params = RequiredSectionsParams(
        sections=("goal", "brief"),
        aliases={"brief": ("Бриф",)},
        templates={"brief": {"ru": "ссылка"}},
    )
    description = "h2. Цель\nПривести 300 лидов на вебинар\nh2. Бриф\nhttps://disk.example/brief"
    t = described(description, "wiki")
    assert RequiredSections(params).check(t, context(NOW)) is None
    empty = described("h2. Цель\nПривести 300 лидов", "wiki")
    finding = RequiredSections(params).check(empty, context(NOW))
    assert finding is not None
    assert finding.data["missing"] == "brief"
    assert finding.data["title.brief"] == "Бриф"
    assert finding.data["hint.ru.brief"] == "ссылка"


def test_required_sections_rejects_unknown_section_names() -> None:
    with pytest.raises(ValidationError, match="formatz"):
        RequiredSectionsParams(sections=("goal", "formatz"))


# -- due-date, single-owner, priority-set ------------------------------------------------
def test_due_date_missing_and_horizon() -> None:
    assert DueDate().check(make_task(), context(NOW)) is None
    missing = DueDate().check(make_task(due=None), context(NOW))
    assert missing is not None
    assert missing.message == "no due date"
    far = make_task(due=date(2027, 6, 1))
    assert DueDate().check(far, context(NOW)) is None
    flagged = DueDate(DueDateParams(max_horizon_days=60)).check(far, context(NOW, RU))
    assert flagged is not None
    assert int(flagged.data["days"]) > 60
    assert flagged.severity.value == "warning"


def test_single_owner() -> None:
    assert SingleOwner().check(make_task(), context(NOW)) is None
    none = SingleOwner().check(make_task(assignees=()), context(NOW))
    many = SingleOwner().check(make_task(assignees=(ANNA, BORIS)), context(NOW))
    assert none is not None
    assert many is not None
    assert (none.data["count"], many.data["count"]) == ("0", "2")
    assert none.fingerprint != many.fingerprint


@pytest.mark.parametrize(
    ("priority", "flagged"),
    [(None, True), ("", True), ("None", True), ("Не задан", True), ("Low", False)],
)
def test_priority_set(priority: str | None, flagged: bool) -> None:
    assert (PrioritySet().check(make_task(priority=priority), context(NOW)) is not None) is flagged


# -- overdue and due-soon around Moscow midnight --------------------------------------------
def test_overdue_starts_at_moscow_midnight_and_new_due_is_new_finding() -> None:
    t = make_task(due=date(2026, 11, 25))
    assert Overdue().check(t, context(at("2026-11-25 20:59"), RU)) is None  # 23:59 Moscow
    first = Overdue().check(t, context(at("2026-11-25 21:00"), RU))  # 00:00 Moscow
    assert first is not None
    assert first.data == {"due": "2026-11-25", "days": "1"}
    later = Overdue().check(t, context(at("2026-11-30 08:00"), RU))
    assert later is not None
    assert later.fingerprint == first.fingerprint
    assert later.data["days"] == "3"
    moved = Overdue().check(make_task(due=date(2026, 11, 27)), context(at("2026-11-30 08:00"), RU))
    assert moved is not None
    assert moved.fingerprint != first.fingerprint


def test_due_soon_counts_business_days() -> None:
    friday = make_task(due=date(2026, 11, 27))
    soon = DueSoon().check(friday, context(NOW, RU))  # Wed → Fri = 2
    assert soon is not None
    assert soon.data["days_left"] == "2"
    assert DueSoon(DueSoonParams(days=1)).check(friday, context(NOW, RU)) is None
    monday = make_task(due=date(2026, 11, 30))  # Fri → Mon is one business day
    assert DueSoon().check(monday, context(at("2026-11-27 09:00"), RU)) is not None
    today = DueSoon().check(friday, context(at("2026-11-27 20:59"), RU))
    assert today is not None
    assert today.data["days_left"] == "0"
    assert DueSoon().check(friday, context(at("2026-11-27 21:00"), RU)) is None  # overdue now


# -- stale: human vs bot activity --------------------------------------------------------------
def in_progress(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "status_category": StatusCategory.IN_PROGRESS,
        "start": at("2026-11-16 07:00"),
    }
    base.update(fields)
    return base


def test_stale_without_activity_and_with_human_comment() -> None:
    quiet = make_task(**in_progress())
    finding = Stale().check(quiet, context(NOW, RU))
    assert finding is not None
    assert finding.data["days"] == "7"
    assert finding.data["last_activity"] == "2026-11-16T10:00:00+03:00"
    talked = make_task(**in_progress(comments=(comment(ANNA, "2026-11-23 10:00", "жду фото"),)))
    assert Stale().check(talked, context(NOW, RU)) is None
    assert Stale(StaleParams(days=2)).check(talked, context(NOW, RU)) is not None


def test_stale_human_field_change_counts_bot_change_does_not() -> None:
    human = make_task(**in_progress(activity=(change(BORIS, "2026-11-24 12:00", "duedate"),)))
    assert Stale().check(human, context(NOW, RU)) is None
    bot_flag = make_task(
        **in_progress(activity=(change(BOT, "2026-11-24 12:00", "labels", is_bot=True),))
    )
    assert Stale().check(bot_flag, context(NOW, RU)) is not None
    bot_id = make_task(**in_progress(activity=(change(BOT, "2026-11-24 12:00", "labels"),)))
    assert Stale().check(bot_id, context(NOW, RU, frozenset({BOT.id}))) is not None
    reminder = comment(BOT, "2026-11-24 12:00", "Напоминание: нет статуса", is_bot=True)
    assert (
        Stale().check(make_task(**in_progress(comments=(reminder,))), context(NOW, RU)) is not None
    )


def test_stale_only_in_progress_and_fingerprint_follows_activity() -> None:
    assert (
        Stale().check(
            make_task(**in_progress(status_category=StatusCategory.NEW)), context(NOW, RU)
        )
        is None
    )
    first = Stale().check(make_task(**in_progress()), context(NOW, RU))
    woke = make_task(**in_progress(comments=(comment(ANNA, "2026-11-17 10:00", "начала"),)))
    second = Stale().check(woke, context(NOW, RU))
    assert first is not None
    assert second is not None
    assert first.fingerprint != second.fingerprint


def test_configured_aliases_reparse_the_document_as_written() -> None:
    # The plain text has lost the "Контекст" heading that ends the goal: re-parsing it
    # let unrelated prose fill the empty goal (and lost the callout, the bold labels...).
    description = (
        "## Цель\nTBD\n\n## Контекст\nКлиент хочет рост продаж в регионах на 20 %\n\n"
        "## Критерии приёмки\n> **Важно**\n> - макет согласован\n"
    )
    t = described(description, "markdown")
    plain = RequiredSections().check(t, context(NOW))
    aliased = RequiredSectionsParams(aliases={"formats": ("Форматы баннеров",)})
    again = RequiredSections(aliased).check(t, context(NOW))
    assert plain is not None
    assert again is not None
    assert plain.data["missing"] == again.data["missing"] == "goal"


def test_snapshot_without_the_source_keeps_the_connectors_sections() -> None:
    # Stored before description_source existed: the connector's sections stand, the plain
    # text can only add the rule's own sections.
    params = RequiredSectionsParams(
        sections=("goal", "acceptance", "brief"), aliases={"brief": ("Бриф",)}
    )
    old = make_task(
        description_text="Цель\nTBD\nКонтекст\nКлиент хочет рост продаж\nБриф\nhttps://disk.example/b",
        description_format="markdown",
    )
    assert RequiredSections(params).check(old, context(NOW)) is None
    no_brief = make_task(description_text="Цель\nTBD", description_format="wiki")
    finding = RequiredSections(params).check(no_brief, context(NOW))
    assert finding is not None
    assert finding.data["missing"] == "brief"
