"""Building normalized tasks for rule tests: real models, only the fields a test cares about."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from config.policy import CalendarConfig
from rules.base import Context
from rules.calendar import BusinessCalendar
from rules.documents.sections import document_source, parse_description, to_plain_text
from syncd.core.models import Activity, Comment, Person, Section, StatusCategory, Task

ANNA = Person(id="u-anna", name="Анна", username="anna")
BORIS = Person(id="u-boris", name="Борис", username="boris")
BOT = Person(id="u-syncd", name="syncd", username="syncd")

GOAL = Section(name="goal", title="Цель", text="Увеличить открываемость рассылки до 25 %")
ACCEPTANCE = Section(
    name="acceptance", title="Критерии приёмки", text="Письмо проверено в Литере", checklist_items=1
)


def at(text: str) -> datetime:
    """``2026-11-24 10:00`` (UTC) or a full ISO string with an offset."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def make_task(**fields: Any) -> Task:
    base: dict[str, Any] = {
        "source": "jira",
        "key": "SHOP-1",
        "id": "10001",
        "url": "https://jira.example/browse/SHOP-1",
        "project": "SHOP",
        "title": "Баннер для рассылки",
        "sections": (GOAL, ACCEPTANCE),
        "status": "In Progress",
        "status_category": StatusCategory.IN_PROGRESS,
        "assignees": (ANNA,),
        "priority": "High",
        "created": at("2026-11-02 09:00"),
        "updated": at("2026-11-02 09:00"),
        "due": date(2026, 11, 27),
    }
    base.update(fields)
    return Task(**base)


def described(raw: str | dict[str, Any], fmt: str, **fields: Any) -> Task:
    """A task whose description is ``raw`` in ``fmt``, with the description fields filled
    as the connectors fill them (plain text, source as written, sections by the defaults)."""
    return make_task(
        description_text=to_plain_text(raw, fmt),
        description_format=fmt,
        description_source=document_source(raw),
        sections=parse_description(raw, fmt),
        **fields,
    )


def comment(author: Person, when: str, body: str, *, is_bot: bool = False, id: str = "") -> Comment:
    return Comment(id=id or f"c-{when}", author=author, created=at(when), body=body, is_bot=is_bot)


def change(
    author: Person | None, when: str, field: str = "status", *, is_bot: bool = False
) -> Activity:
    return Activity(author=author, at=at(when), field=field, is_bot=is_bot)


def context(
    now: datetime, calendar: BusinessCalendar | None = None, bots: frozenset[str] = frozenset()
) -> Context:
    calendar = calendar or BusinessCalendar(CalendarConfig(timezone="Europe/Moscow"))
    now = now.astimezone(UTC)
    return Context(now, calendar.local_date(now), calendar, bots)
