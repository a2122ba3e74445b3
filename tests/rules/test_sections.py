"""Description parsing over real-looking descriptions in every format and both languages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rules.documents.sections import (
    DEFAULT_ALIASES,
    document_source,
    merge_aliases,
    parse_description,
    section_filled,
    strip_placeholders,
    to_plain_text,
)
from syncd.core.models import Section


def by_name(sections: tuple[Section, ...]) -> dict[str, Section]:
    return {s.name: s for s in sections}


WIKI_RU = """\
Клиент просит обновить баннеры к распродаже.

h2. Цель задачи
Увеличить продажи зимней коллекции на 15 % за декабрь.

h2. Критерии приёмки
* [ ] Баннеры согласованы с клиентом
* [x] Исходники лежат в папке проекта
* адаптив под мобильные

h3. Ссылки
[Макет|https://figma.com/file/abc] и бриф от [~accountid:5b10a2844c20165700ede21g]
"""

WIKI_EN_LABELS = """\
*Goal:* Launch the spring newsletter to 40k subscribers.
*Acceptance criteria:*
# Renders in Gmail, Outlook and Apple Mail
# Links carry UTM tags
*Notes:*
The client is on holiday until Monday.
"""

WIKI_PANEL = """\
{panel:title=Цель|borderStyle=solid}
Снизить стоимость заявки до 900 ₽ в Яндекс Директе.
{panel}
{code}
Цель: это код, а не раздел
{code}
||Поле||Значение||
|Критерии готовности|Кампания запущена, отчёт отправлен клиенту|
"""

MARKDOWN_RU = """\
<!-- Шаблон задачи: заполните все разделы -->
## 🎯 Цель
Собрать лендинг для акции «Чёрная пятница», конверсия не ниже 3 %.

## Критерии приемки
- [ ] Лендинг открывается на мобильных
- [ ] Форма заявки пишет в CRM

```
Цель: внутри кода не раздел
```
"""

MARKDOWN_BOLD = """\
**Цель:** TBD
**Definition of Done**
- [ ] ...
- [ ] TODO

**Комментарии**
Клиент пришлёт тексты позже.
"""

MARKDOWN_TABLE = """\
| Раздел | Содержание |
| --- | --- |
| Goal | Grow webinar sign-ups by 20% in Q1 |
| AC | Landing page live, tracking verified in GA4 |
"""

TEXT_RU = """\
Цель — запустить рассылку для новых подписчиков до 10 марта
Требования:
1. Три письма в цепочке
2. Промокод в последнем письме
"""


def adf(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


def para(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(parts)}


def text(value: str, *, strong: bool = False) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if strong:
        node["marks"] = [{"type": "strong"}]
    return node


def heading(value: str, level: int = 2) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": level}, "content": [text(value)]}


ADF_EN = adf(
    heading("Objective"),
    para(text("Increase the newsletter click rate to 4%.")),
    heading("Acceptance Criteria"),
    {
        "type": "taskList",
        "content": [
            {"type": "taskItem", "attrs": {"state": "TODO"}, "content": [text("Approved")]},
            {"type": "taskItem", "attrs": {"state": "DONE"}, "content": [text("UTM tags set")]},
        ],
    },
)

ADF_RU_BOLD_PANEL = adf(
    {
        "type": "panel",
        "attrs": {"panelType": "info"},
        "content": [
            para(text("Цель:", strong=True), text(" повысить открываемость писем до 30 %")),
        ],
    },
    para(text("Критерии приёмки", strong=True)),
    {
        "type": "bulletList",
        "content": [
            {"type": "listItem", "content": [para(text("Тема письма до 50 знаков"))]},
            {"type": "listItem", "content": [para(text("Прехедер заполнен"))]},
        ],
    },
    {
        "type": "table",
        "content": [
            {
                "type": "tableRow",
                "content": [
                    {"type": "tableHeader", "content": [para(text("Размеры"))]},
                    {"type": "tableCell", "content": [para(text("600×200, 1200×628"))]},
                ],
            }
        ],
    },
)


def test_wiki_headings_in_russian_with_checklist() -> None:
    found = by_name(parse_description(WIKI_RU, "wiki"))
    assert set(found) == {"goal", "acceptance"}
    assert found["goal"].title == "Цель задачи"
    assert found["goal"].text == "Увеличить продажи зимней коллекции на 15 % за декабрь."
    assert found["acceptance"].checklist_items == 2
    assert "адаптив под мобильные" in found["acceptance"].text
    # The "Ссылки" heading ends the acceptance section.
    assert "figma" not in found["acceptance"].text.lower()
    assert all(section_filled(s) for s in found.values())


def test_wiki_bold_labels_in_english_end_at_unknown_bold_label() -> None:
    found = by_name(parse_description(WIKI_EN_LABELS, "wiki"))
    assert found["goal"].text == "Launch the spring newsletter to 40k subscribers."
    assert found["acceptance"].text.splitlines() == [
        "Renders in Gmail, Outlook and Apple Mail",
        "Links carry UTM tags",
    ]


def test_wiki_panel_title_code_block_and_table_row() -> None:
    found = by_name(parse_description(WIKI_PANEL, "wiki"))
    assert found["goal"].title == "Цель"
    assert found["goal"].text == "Снизить стоимость заявки до 900 ₽ в Яндекс Директе."
    assert found["acceptance"].text == "Кампания запущена, отчёт отправлен клиенту"


def test_markdown_emoji_heading_ignores_comments_and_code() -> None:
    found = by_name(parse_description(MARKDOWN_RU, "markdown"))
    assert found["goal"].title == "🎯 Цель"
    assert "внутри кода" not in found["goal"].text
    assert found["acceptance"].checklist_items == 2
    assert section_filled(found["goal"])
    assert section_filled(found["acceptance"])


def test_markdown_placeholders_do_not_fill_sections() -> None:
    found = by_name(parse_description(MARKDOWN_BOLD, "markdown"))
    assert found["goal"].text == "TBD"
    assert found["acceptance"].checklist_items == 0  # "..." and "TODO" are not items
    assert not section_filled(found["goal"])
    assert not section_filled(found["acceptance"])
    assert "Клиент" not in found["acceptance"].text  # **Комментарии** closed it


def test_markdown_table_rows_are_labels() -> None:
    found = by_name(parse_description(MARKDOWN_TABLE, "markdown"))
    assert found["goal"].text == "Grow webinar sign-ups by 20% in Q1"
    assert found["acceptance"].title == "AC"


def test_plain_text_dash_label_and_numbered_list() -> None:
    found = by_name(parse_description(TEXT_RU, "text"))
    assert found["goal"].text == "запустить рассылку для новых подписчиков до 10 марта"
    assert found["acceptance"].text.splitlines() == [
        "Три письма в цепочке",
        "Промокод в последнем письме",
    ]


def test_adf_headings_and_task_list_as_dict_and_json() -> None:
    for raw in (ADF_EN, json.dumps(ADF_EN)):
        found = by_name(parse_description(raw, "adf"))
        assert found["goal"].text == "Increase the newsletter click rate to 4%."
        assert found["acceptance"].checklist_items == 2
        assert found["acceptance"].text == "Approved\nUTM tags set"


def test_adf_bold_label_in_panel_bullet_list_and_table() -> None:
    found = by_name(parse_description(ADF_RU_BOLD_PANEL, "adf"))
    assert found["goal"].text == "повысить открываемость писем до 30 %"
    assert found["acceptance"].text.splitlines() == [
        "Тема письма до 50 знаков",
        "Прехедер заполнен",
    ]
    assert found["sizes"].text == "600×200, 1200×628"


def test_adf_string_that_is_not_json_reads_as_text() -> None:
    found = by_name(parse_description("Goal: ship the promo email on Friday", "adf"))
    assert found["goal"].text == "ship the promo email on Friday"


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("Цель", "goal"),
        ("Цель задачи", "goal"),
        ("GOAL", "goal"),
        ("objective", "goal"),
        ("Критерии приёмки", "acceptance"),
        ("Критерии приемки", "acceptance"),
        ("Критерии готовности", "acceptance"),
        ("Definition of Done", "acceptance"),
        ("DoD", "acceptance"),
        ("Acceptance criteria (AC)", "acceptance"),
        ("ac", "acceptance"),
        ("Требования", "acceptance"),
        ("1. Цель", "goal"),
    ],
)
def test_default_aliases_case_insensitive(alias: str, name: str) -> None:
    sections = parse_description(f"## {alias}\nДостаточно длинный текст раздела", "markdown")
    assert [s.name for s in sections] == [name]


def test_configured_aliases_add_or_replace() -> None:
    raw = "h2. Задача клиента\nПривести 300 лидов на вебинар\nh2. Требования\nЛендинг и форма"
    merged = merge_aliases({"goal": ["Задача клиента"]})
    assert {s.name for s in parse_description(raw, "wiki", merged)} == {"goal", "acceptance"}
    only = merge_aliases({"acceptance": ["Приёмка"]}, replace=True)
    raw = raw.replace("Задача клиента", "Цель")
    assert {s.name for s in parse_description(raw, "wiki")} == {"goal", "acceptance"}
    assert {s.name for s in parse_description(raw, "wiki", only)} == {"goal"}
    assert "Требования" in DEFAULT_ALIASES["acceptance"]  # defaults untouched


@pytest.mark.parametrize(
    ("content", "filled"),
    [
        ("TBD", False),
        ("TODO: заполнить", False),
        ("...", False),
        ("…", False),
        ("«...»", False),
        ("<опишите цель>", False),
        ("[заполнить]", False),
        ("-", False),
        ("n/a", False),
        ("… (например: 1080×1080)", False),
        ("Коротко", False),  # 7 characters
        ("Рост на 15%", True),
        ("TBD — согласуем с клиентом в понедельник", True),
    ],
)
def test_section_filled_ignores_placeholders(content: str, filled: bool) -> None:
    section = Section(name="goal", title="Цель", text=content)
    assert section_filled(section) is filled


def test_min_chars_configurable() -> None:
    section = Section(name="goal", title="Цель", text="Рост +5%")
    assert not section_filled(section)
    assert section_filled(section, min_chars=5)
    assert strip_placeholders("  TBD  ") == ""


def test_to_plain_text_flattens_adf_wiki_and_markdown() -> None:
    comment = adf(para(text("Checkpoint:", strong=True), text(" половина готова")))
    assert to_plain_text(comment, "adf") == "Checkpoint: половина готова"
    assert (
        to_plain_text("*Статус:* [макет|https://x.example] готов", "wiki") == "Статус: макет готов"
    )
    assert to_plain_text("**Status**: done, see [link](https://x.example)", "markdown") == (
        "Status: done, see link"
    )
    mention = adf(
        para({"type": "mention", "attrs": {"id": "1", "text": "@Анна"}}, text(" статус?"))
    )
    assert to_plain_text(mention, "adf") == "@Анна статус?"


# -- containers: panels, callouts, quotes, expands -------------------------------------
@pytest.mark.parametrize(
    ("raw", "fmt"),
    [
        (  # the callout's title is not content; after it, the outer section resumes
            "h2. Критерии приёмки\n"
            "{note:title=Важно и срочно}\n* Макет согласован\n{note}\n"
            "* Проверено в Outlook\n"
            "h2. Ссылки\nhttps://figma.example",
            "wiki",
        ),
        (  # an unknown heading inside a callout ends the section only inside it
            "## Критерии приёмки\n\n"
            "> **Важно**\n>\n> - Макет согласован\n>\n> ### Заметки\n>\n> клиент в отпуске\n\n"
            "- Проверено в Outlook\n",
            "markdown",
        ),
    ],
)
def test_callouts_inside_a_section(raw: str, fmt: str) -> None:
    found = by_name(parse_description(raw, fmt))
    assert found["acceptance"].text.splitlines() == ["Макет согласован", "Проверено в Outlook"]


def test_untitled_callout_whose_first_line_is_an_alias_starts_that_section() -> None:
    raw = "## Цель\nРост продаж на 15 %\n\n> **Критерии приёмки**\n> - Отчёт отправлен\n"
    found = by_name(parse_description(raw, "markdown"))
    assert found["acceptance"].text == "Отчёт отправлен"
    assert found["goal"].text == "Рост продаж на 15 %"


def test_stray_and_unclosed_container_tags_do_not_break_sections() -> None:
    raw = "{note}\nh2. Цель\nРост продаж на 15 %\n{info}{info}{panel}\nещё строка цели"
    found = by_name(parse_description(raw, "wiki"))
    assert found["goal"].text.splitlines() == ["Рост продаж на 15 %", "ещё строка цели"]
    assert parse_description("{quote}\n{quote}\n{quote}", "wiki") == ()


def test_gitlab_alert_title_and_quote_lines() -> None:
    assert to_plain_text("> [!warning] Статус\n> всё по плану\n", "markdown") == (
        "Статус\nвсё по плану"
    )
    assert to_plain_text("bq. Чекпоинт: ок", "wiki") == "Чекпоинт: ок"
    assert to_plain_text("{quote}\nCheckpoint: ok\n{quote}", "wiki") == "Checkpoint: ok"


def test_markdown_details_is_a_container_titled_by_its_summary() -> None:
    raw = (
        "## Критерии приёмки\n\n<details>\n<summary>Подробнее о макете</summary>\n\n"
        "- Макет согласован\n\n</details>\n\n"
        "<details><summary><b>Цель</b></summary>\n\nРост продаж на 15 %\n</details>\n"
    )
    found = by_name(parse_description(raw, "markdown"))
    assert found["acceptance"].text == "Макет согласован"  # the summary is a title
    assert found["goal"].text == "Рост продаж на 15 %"


def test_adf_panel_heading_and_bold_first_line_are_callout_titles() -> None:
    doc = adf(
        heading("Критерии приёмки"),
        {
            "type": "panel",
            "attrs": {"panelType": "error"},
            "content": [heading("Важно", 4), para(text("Макет согласован с клиентом"))],
        },
        {"type": "expand", "attrs": {"title": ""}, "content": [para(text("Проверено в Outlook"))]},
    )
    found = by_name(parse_description(doc, "adf"))
    assert found["acceptance"].text.splitlines() == [
        "Макет согласован с клиентом",
        "Проверено в Outlook",
    ]


# -- checklists and numbering ----------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "checked"),
    [("☐ PNG", False), ("⬜ PNG", False), ("☑ PNG", True), ("✅ PNG", True), ("✔️ PNG", True)],
)
def test_checkbox_glyphs_are_checklist_items(line: str, checked: bool) -> None:
    for raw, fmt in ((f"## AC\n- {line}\n", "markdown"), (f"h2. AC\n{line}", "wiki")):
        (section,) = parse_description(raw, fmt)
        assert (section.checklist_items, section.text) == (1, "PNG")
        assert section_filled(section)  # short, yet content
    assert to_plain_text(f"- {line}", "markdown") == f"[{'x' if checked else ' '}] PNG"


def test_a_quantity_is_not_numbering() -> None:
    raw = "## Acceptance criteria\n- 8 sizes\n- 3 formats\n"
    found = by_name(parse_description(raw, "markdown"))
    assert set(found) == {"acceptance"}
    assert "8 sizes" in found["acceptance"].text
    for numbered in ("1. Цель", "2) Goal", "1.2 Цель", "3 — Goal", "1. 🎯 Цель (кратко):"):
        assert [s.name for s in parse_description(f"## {numbered}\nРост на 15 %", "markdown")] == [
            "goal"
        ]


def test_document_source_keeps_markup_and_gives_up_on_absurd_depth() -> None:
    assert document_source("h2. Цель") == "h2. Цель"
    assert document_source(None) == ""
    assert json.loads(document_source(ADF_EN)) == ADF_EN
    node: dict[str, Any] = {"type": "paragraph"}
    for _ in range(5000):
        node = {"type": "panel", "content": [node]}
    assert document_source(node) == ""
