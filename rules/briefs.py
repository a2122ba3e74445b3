"""Ready-to-fill templates of description sections, per specialist brief.

The articles ask for a brief per specialist — copy, design, markup — and "if a report is
needed, attach the form to fill". A reminder about missing sections therefore carries the
form: one ``Title: … (например: …)`` line per missing section. The parser recognises the
titles, and the ``…`` and ``(например: …)`` parts are placeholders, so a template pasted
unchanged still counts as empty. Hints are configurable per section through the
``required-sections`` rule's ``templates`` parameter (they reach here in ``Finding.data``).
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "SECTION_HINTS",
    "SECTION_PROMPTS",
    "SECTION_TITLES",
    "Lang",
    "section_template",
    "section_title",
]

Lang = Literal["ru", "en"]

SECTION_TITLES: dict[str, dict[Lang, str]] = {
    "goal": {"ru": "Цель", "en": "Goal"},
    "acceptance": {"ru": "Критерии приёмки", "en": "Acceptance criteria"},
    "formats": {"ru": "Форматы", "en": "Formats"},
    "sizes": {"ru": "Размеры", "en": "Sizes"},
    "audience": {"ru": "Целевая аудитория", "en": "Audience"},
    "tone": {"ru": "Тон", "en": "Tone of voice"},
    "length": {"ru": "Объём", "en": "Length"},
    "mockup": {"ru": "Макет", "en": "Mockup"},
    "clients": {"ru": "Почтовые клиенты", "en": "Email clients"},
}
SECTION_HINTS: dict[str, dict[Lang, str]] = {
    "goal": {
        "ru": "увеличить открываемость рассылки до 25 % к 1 марта",
        "en": "raise the newsletter open rate to 25% by 1 March",
    },
    "acceptance": {
        "ru": "макет согласован с клиентом; письмо корректно в Gmail и Outlook",
        "en": "the client approved the mockup; the email renders in Gmail and Outlook",
    },
    "formats": {"ru": "PNG и JPG, GIF до 1 МБ", "en": "PNG and JPG, GIF up to 1 MB"},
    "sizes": {"ru": "1080×1080, 1200×628, 600×200", "en": "1080×1080, 1200×628, 600×200"},
    "audience": {
        "ru": "новые подписчики 25–35 лет из Москвы",
        "en": "new subscribers aged 25–35 in London",
    },
    "tone": {"ru": "дружелюбно, на «ты», без канцелярита", "en": "friendly, plain words"},
    "length": {"ru": "заголовок до 60 знаков, текст до 800", "en": "title ≤ 60, body ≤ 800 chars"},
    "mockup": {"ru": "ссылка на макет в Figma", "en": "a link to the Figma mockup"},
    "clients": {
        "ru": "Gmail, Яндекс Почта, Outlook, iOS Mail",
        "en": "Gmail, Outlook, Apple Mail, iOS Mail",
    },
}

# What to write in a section, in a few words: shown in brackets after the section's heading
# in the description templates (``syncd templates``). Headings are compared without their
# bracketed remarks, so the prompt never hides the section. No brackets, colons or dashes
# inside, and "## Heading (prompt)" within 60 characters: pasted where no editor turns
# "##" into a heading (Jira Cloud, as plain text), the line still reads as the heading.
SECTION_PROMPTS: dict[str, dict[Lang, str]] = {
    "goal": {
        "ru": "чего хочет клиент, измеримо, с числом и сроком",
        "en": "what the client wants, with a number and a date",
    },
    "acceptance": {"ru": "по каким пунктам примем работу", "en": "what we check to accept it"},
    "formats": {"ru": "в каких форматах сдать файлы", "en": "the file formats to hand over"},
    "sizes": {"ru": "все размеры в пикселях", "en": "every size, in pixels"},
    "audience": {
        "ru": "для кого, возраст, город, интересы",
        "en": "who reads it, age, city, interests",
    },
    "tone": {"ru": "как говорим с читателем", "en": "how we speak to the reader"},
    "length": {"ru": "сколько знаков или слов", "en": "how many characters or words"},
    "mockup": {"ru": "ссылка на согласованный макет", "en": "a link to the approved mockup"},
    "clients": {"ru": "где проверить вёрстку", "en": "where to test the markup"},
}

_E_G: dict[Lang, str] = {"ru": "например: ", "en": "e.g. "}


def section_title(name: str, data: dict[str, str], lang: Lang) -> str:
    return SECTION_TITLES.get(name, {}).get(lang) or data.get(f"title.{name}") or name


def section_template(names: list[str], data: dict[str, str], lang: Lang) -> tuple[str, ...]:
    """``Цель: … (например: …)`` lines for the missing sections, in the order required."""
    lines = []
    for name in names:
        hint = data.get(f"hint.{lang}.{name}") or SECTION_HINTS.get(name, {}).get(lang)
        example = f" ({_E_G[lang]}{hint})" if hint else ""
        lines.append(f"{section_title(name, data, lang)}: …{example}")
    return tuple(lines)
