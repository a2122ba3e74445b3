"""Reminder wording, in Russian and English: what is missing, what to do, why it matters.

A reminder is read by a busy colleague, so every item says three things: the problem in
one line, the one thing to do, and the reason (taken from the account manager's practice,
not from syncd). For missing description sections the item carries a ready-to-fill
template whose lines the section parser recognises (``Цель: …``) and whose hints are
placeholders (``… (например: …)``), so pasting it unchanged does not silence the rule.

Counts use Babel's CLDR plural rules ("1 рабочий день", "2 рабочих дня", "5 рабочих дней").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from babel import Locale
from babel.dates import format_date

from connectors.base import ReminderItem
from rules.briefs import SECTION_TITLES, Lang, section_template, section_title
from syncd.models import Finding, Task
from syncd.usertext import isolate

__all__ = [
    "business_days",
    "reminder_intro",
    "reminder_item",
    "reminder_outro",
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


def _day(value: str | None, lang: Lang) -> str:
    if not value:
        return "?"
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return format_date(parsed, "d MMMM", locale=lang)


def _moment(value: str | None, lang: Lang) -> str:
    if not value:
        return "?"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    joiner = " в " if lang == "ru" else " at "
    return format_date(parsed.date(), "d MMMM", locale=lang) + joiner + f"{parsed:%H:%M}"


def _sections(f: Finding, lang: Lang) -> ReminderItem:
    names = [n for n in f.data.get("missing", "").split(",") if n]
    # A section syncd has no wording for is named as the policy's author wrote it:
    # isolated, so its direction cannot reorder the sentence around it. The template
    # lines keep it bare (a pasted template must parse); the renderers balance them.
    titles = ", ".join(
        section_title(n, f.data, lang)
        if n in SECTION_TITLES
        else isolate(section_title(n, f.data, lang))
        for n in names
    )
    if lang == "ru":
        head = (
            "В описании не заполнены разделы: "
            if len(names) > 1
            else "В описании не заполнен раздел: "
        )
        todo = "Что сделать: скопируйте шаблон в описание и заполните:"
        why = (
            "Почему это важно: исполнитель работает на цель клиента, а по чётким требованиям "
            "результат принимают с первого раза, а не переделывают."
        )
    else:
        head = "The description lacks: "
        todo = "What to do: copy this template into the description and fill it in:"
        why = (
            "Why it matters: people work towards the client's goal, and clear requirements "
            "get work accepted the first time instead of redone."
        )
    return ReminderItem(head + titles, (todo, *section_template(names, f.data, lang), why))


Wording = tuple[str, str, str]
"""(title, what to do, why it matters)."""


def _t(lang: Lang, ru: str, en: str) -> str:
    return ru if lang == "ru" else en


def _due_date(d: dict[str, str], lang: Lang) -> Wording:
    if "horizon" in d:
        due, span = _day(d.get("due"), lang), business_days(int(d.get("days", "0")), lang)
        return (
            _t(
                lang,
                f"Срок {due} — через {span} после начала",
                f"Due {due}: {span} after the start",
            ),
            _t(
                lang,
                "Что сделать: разбейте задачу на этапы с ближними сроками.",
                "What to do: split the task into steps with nearer deadlines.",
            ),
            _t(
                lang,
                "Почему это важно: далёкий срок не помогает планировать загрузку команды.",
                "Why it matters: a far-off deadline does not help plan the team's load.",
            ),
        )
    return (
        _t(lang, "Не указан срок выполнения", "No due date"),
        _t(
            lang,
            "Что сделать: согласуйте срок с клиентом и командой и укажите его в задаче.",
            "What to do: agree a deadline with the assignee and set the due date.",
        ),
        _t(
            lang,
            "Почему это важно: без срока задачу нельзя спланировать и проверить вовремя.",
            "Why it matters: without a deadline the task cannot be planned or checked in time.",
        ),
    )


def _single_owner(d: dict[str, str], lang: Lang) -> Wording:
    count = int(d.get("count", "0") or 0)
    if count == 0:
        title = _t(lang, "Не назначен ответственный", "No assignee")
    else:
        title = _t(
            lang,
            f"Назначено несколько исполнителей ({count}) — нужен один ответственный",
            f"{count} assignees: one person should own the task",
        )
    return (
        title,
        _t(
            lang,
            "Что сделать: оставьте в задаче одного ответственного.",
            "What to do: leave exactly one assignee on the task.",
        ),
        _t(
            lang,
            "Почему это важно: у задачи должен быть один ответственный, с кого спрашивают.",
            "Why it matters: there must always be the one person everybody asks.",
        ),
    )


def _checkpoint(d: dict[str, str], lang: Lang) -> Wording:
    # ``check_at``: the moment moved into working hours (a finding from before it existed
    # has only ``checkpoint_at``).
    at = _moment(d.get("check_at") or d.get("checkpoint_at"), lang)
    due = _day(d.get("due"), lang)
    if d.get("state") == "at_risk":
        title = _t(
            lang,
            f"Пора отметить чекпоинт: контрольная точка — {at}",
            f"Checkpoint due: the checkpoint is {at}",
        )
    else:
        title = _t(
            lang,
            f"Нет комментария-чекпоинта: контрольная точка была {at}",
            f"No checkpoint comment: the checkpoint was {at}",
        )
    return (
        title,
        _t(
            lang,
            "Что сделать: напишите комментарий, который начинается со слова «Статус» или "
            f"«Чекпоинт»: что сделано, что осталось, успеваете ли к сроку {due}.",
            "What to do: write a comment starting with “Status” or “Checkpoint”: what is "
            f"done, what is left, will it be ready by {due}.",
        ),
        _t(
            lang,
            "Почему это важно: проверка на 30–40 % срока оставляет время передать задачу, "
            "уточнить вводные или перенести дедлайн.",
            "Why it matters: checking at 30–40% of the time leaves room to hand the task "
            "over, clarify the brief or move the deadline.",
        ),
    )


def _overdue(d: dict[str, str], lang: Lang) -> Wording:
    due, days = _day(d.get("due"), lang), int(d.get("days", "0") or 0)
    late = business_days(days, lang)
    return (
        _t(lang, f"Срок прошёл: {due}", f"Overdue since {due}")
        + (_t(lang, f" (просрочено на {late})", f" ({late})") if days else ""),
        _t(
            lang,
            "Что сделать: закройте задачу, если она готова, или согласуйте новый срок.",
            "What to do: close the task if it is done, or agree a new due date.",
        ),
        _t(
            lang,
            "Почему это важно: задача, не сделанная в срок, вызывает недовольство клиента.",
            "Why it matters: a task not done on time means an unhappy client.",
        ),
    )


def _due_soon(d: dict[str, str], lang: Lang) -> Wording:
    due, left = _day(d.get("due"), lang), int(d.get("days_left", "0") or 0)
    if left == 0:
        title = _t(lang, f"Срок — сегодня, {due}", f"Due today, {due}")
    else:
        span = business_days(left, lang)
        title = _t(lang, f"Срок через {span} — {due}", f"Due in {span}, {due}")
    return (
        title,
        _t(
            lang,
            "Что сделать: если не успеваете, предупредите менеджера сейчас, а не в последний день.",
            "What to do: if it will not be ready, tell the manager now, not on the last day.",
        ),
        _t(
            lang,
            "Почему это важно: ранний сигнал оставляет время договориться с клиентом.",
            "Why it matters: an early warning leaves time to agree with the client.",
        ),
    )


def _stale(d: dict[str, str], lang: Lang) -> Wording:
    since = _day(d.get("last_activity"), lang)
    span = business_days(int(d.get("days", "0") or 0), lang)
    return (
        _t(lang, f"Нет движения {span} (с {since})", f"No activity for {span} (since {since})"),
        _t(
            lang,
            "Что сделать: напишите короткий статус: что сделано и что мешает.",
            "What to do: write a short status: what is done and what is blocking.",
        ),
        _t(
            lang,
            "Почему это важно: задача без движения незаметно срывает срок.",
            "Why it matters: work in progress that nobody touches misses deadlines quietly.",
        ),
    )


def _priority_set(d: dict[str, str], lang: Lang) -> Wording:
    return (
        _t(lang, "Не указан приоритет", "No priority"),
        _t(
            lang,
            "Что сделать: укажите приоритет — насколько задача важна для клиента.",
            "What to do: set a priority: how much the task matters to the client.",
        ),
        _t(
            lang,
            "Почему это важно: по приоритету команда решает, что делать первым.",
            "Why it matters: priorities tell the team what to do first.",
        ),
    )


def _measurable_goal(d: dict[str, str], lang: Lang) -> Wording:
    return (
        _t(lang, "Цель не измерима", "The goal is not measurable"),
        _t(
            lang,
            "Что сделать: добавьте в цель число, процент, сумму или срок — например, "
            "«увеличить конверсию рассылки на 10 % к 1 марта».",
            "What to do: add a number, a percentage, an amount or a date to the goal, "
            "e.g. “raise the newsletter conversion by 10% by 1 March”.",
        ),
        _t(
            lang,
            "Почему это важно: по измеримой цели понятно, получилось ли (SMART).",
            "Why it matters: a measurable goal tells whether it worked (SMART).",
        ),
    )


_WORDING: dict[str, Callable[[dict[str, str], Lang], Wording]] = {
    "due-date": _due_date,
    "single-owner": _single_owner,
    "checkpoint": _checkpoint,
    "overdue": _overdue,
    "due-soon": _due_soon,
    "stale": _stale,
    "priority-set": _priority_set,
    "measurable-goal": _measurable_goal,
}


def reminder_item(
    finding: Finding, task: Task, lang: Lang, doc_url: str | None = None
) -> ReminderItem:
    """One item of a (combined) reminder comment for ``finding`` on ``task``;
    ``doc_url`` (``{rule}`` is replaced by the rule's name) links the team's rule page."""
    del task  # the finding's data carries every fact the wording needs
    if finding.rule == "required-sections":
        item = _sections(finding, lang)
    elif (wording := _WORDING.get(finding.rule)) is None:
        item = ReminderItem(finding.message)  # a rule registered elsewhere: English only
    else:
        title, todo, why = wording(finding.data, lang)
        item = ReminderItem(title, (todo, why))
    if doc_url:
        more = _t(lang, "Подробнее о правиле", "About this rule")
        link = doc_url.replace("{rule}", finding.rule)
        item = ReminderItem(item.title, (*item.details, f"{more}: {link}"))
    return item


def reminder_intro(lang: Lang, *, heads_up: bool = False) -> str:
    """``heads_up``: every item is informational (a deadline coming up): nothing to fix."""
    if heads_up:
        return _t(lang, "Напоминание по задаче:", "A heads-up on this task:")
    if lang == "ru":
        return "Привет! Проверил задачу — вот что стоит поправить:"
    return "Hi! I checked this task; here is what needs attention:"


def reminder_outro(lang: Lang, *, heads_up: bool = False) -> str:
    if heads_up:
        return _t(
            lang,
            "Если всё идёт по плану, ничего делать не нужно.",
            "If all is going to plan, there is nothing to do.",
        )
    if lang == "ru":
        return "Когда поправите, напоминание закроется само при следующей проверке. Спасибо!"
    return "Once fixed, this reminder closes by itself at the next check. Thank you!"


def thanks_text(lang: Lang) -> str:
    """The optional thank-you when everything a reminder named is fixed."""
    return _t(
        lang,
        "Спасибо! Всё, о чём я напоминал, поправлено.",
        "Thank you! Everything I reminded about is fixed.",
    )
