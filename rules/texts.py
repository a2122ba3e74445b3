"""Reminder wording shared by every rule, in Russian and English: the greeting, the closing
line, the thank-you, and the helpers rules word their items with (dates, business days).

Each rule words its own item (``Rule.wording`` in the rule's module): the problem in one
line, the one thing to do, and the reason (taken from the account manager's practice, not
from syncd). :func:`reminder_item` asks the rule.

Counts use Babel's CLDR plural rules ("1 рабочий день", "2 рабочих дня", "5 рабочих дней").
"""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_date

from rules.briefs import Lang
from rules.registry import get_rule
from syncd.core.errors import RuleError
from syncd.core.models import Finding, ReminderItem, Task

__all__ = [
    "business_days",
    "day",
    "moment",
    "reminder_intro",
    "reminder_item",
    "reminder_outro",
    "say",
    "thanks_text",
]

_DAYS: dict[str, str] = {
    "one": "рабочий день",
    "few": "рабочих дня",
    "many": "рабочих дней",
    "other": "рабочего дня",
}
_RU = Locale("ru")


def business_days(count: int, lang: Lang) -> str:
    if lang == "ru":
        return f"{count} {_DAYS[_RU.plural_form(count)]}"
    return f"{count} business day" + ("" if count == 1 else "s")


def day(value: str | None, lang: Lang) -> str:
    if not value:
        return "?"
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return format_date(parsed, "d MMMM", locale=lang)


def moment(value: str | None, lang: Lang) -> str:
    if not value:
        return "?"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    joiner = " в " if lang == "ru" else " at "
    return format_date(parsed.date(), "d MMMM", locale=lang) + joiner + f"{parsed:%H:%M}"


def say(lang: Lang, ru: str, en: str) -> str:
    return ru if lang == "ru" else en


def reminder_item(
    finding: Finding, task: Task, lang: Lang, doc_url: str | None = None
) -> ReminderItem:
    """One item of a (combined) reminder comment for ``finding`` on ``task``;
    ``doc_url`` (``{rule}`` is replaced by the rule's name) links the team's rule page."""
    del task  # the finding's data carries every fact the wording needs
    try:
        item = get_rule(finding.rule).reminder_item(finding, lang)
    except RuleError:  # a finding of a rule no longer configured: its own message
        item = ReminderItem(finding.message)
    if doc_url:
        more = say(lang, "Подробнее о правиле", "About this rule")
        link = doc_url.replace("{rule}", finding.rule)
        item = ReminderItem(item.title, (*item.details, f"{more}: {link}"))
    return item


def reminder_intro(lang: Lang, *, heads_up: bool = False) -> str:
    """``heads_up``: every item is informational (a deadline coming up): nothing to fix."""
    if heads_up:
        return say(lang, "Напоминание по задаче:", "A heads-up on this task:")
    if lang == "ru":
        return "Привет! Проверил задачу — вот что стоит поправить:"
    return "Hi! I checked this task; here is what needs attention:"


def reminder_outro(lang: Lang, *, heads_up: bool = False) -> str:
    if heads_up:
        return say(
            lang,
            "Если всё идёт по плану, ничего делать не нужно.",
            "If all is going to plan, there is nothing to do.",
        )
    if lang == "ru":
        return "Когда поправите, напоминание закроется само при следующей проверке. Спасибо!"
    return "Once fixed, this reminder closes by itself at the next check. Thank you!"


def thanks_text(lang: Lang) -> str:
    """The optional thank-you when everything a reminder named is fixed."""
    return say(
        lang,
        "Спасибо! Всё, о чём я напоминал, поправлено.",
        "Thank you! Everything I reminded about is fixed.",
    )
