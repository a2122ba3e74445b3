"""A digest made of hostile user text, built straight from the model (so it does not move
when the digest's content rules do), and the helpers that check how each channel lays it
out: visual order by the Unicode Bidirectional Algorithm (``python-bidi``, a binding of
the ``unicode-bidi`` crate) and the visible text of each payload."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from bidi import get_display

from syncd.digest.model import ClientHeadline, Digest, DigestItem, DigestSection, WorkloadRow

RLO_OPEN = "Баннер \u202eдля распродажи"
"""An override left open: reverses everything after it on the line."""
STRAY_PDI = "Evil\u2069\u2069 \u202ereversed tail"
"""Closes an isolate around it, then overrides what follows."""
ALL_CONTROLS = "a\u202ab\u202bc\u202dd\u2066e\u2067f\u2068g\u200e\u200f\u061ch"
"""Every bidi control, each opened and none closed."""
HEBREW = "שלום עולם 2026"
"""Right-to-left letters: pull the digits after them to their side unless isolated."""
EMPHASIS = "*bold* _it_ ~strike~ `code` /start @channel <!here> <b>x</b> &amp; [l](http://e.x)"
"""What Slack, Markdown and Telegram would turn into formatting, mentions or commands."""
TITLES = (RLO_OPEN, STRAY_PDI, ALL_CONTROLS, HEBREW, EMPHASIS)
NASTY_NAME = "\u202eМария *Dev* @here"
NASTY_CLIENT = "\u202eКлиент _A_ /help"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _item(n: int, title: str, why: str, **facts: Any) -> DigestItem:
    return DigestItem(
        key=f"SHOP-{n}",
        title=title,
        url=f"https://agency.atlassian.net/browse/SHOP-{n}",
        client=NASTY_CLIENT,
        assignee=NASTY_NAME if n % 2 else "Иван Петров",
        due=date(2026, 11, 20),
        priority="High",
        quadrant=1 if n % 2 else 4,
        why=why,
        **facts,
    )


def hostile_digest(language: str = "en") -> Digest:
    """Every hostile title in the overdue section, one at risk, and a hostile client and
    person in the headline and the workload."""
    overdue = tuple(_item(i + 1, t, "overdue", days=2) for i, t in enumerate(TITLES))
    at_risk = (_item(9, RLO_OPEN, "at_risk", at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC)),)
    counts = {"open": 6, "overdue": 5, "at_risk": 1, "due_soon": 0, "violations": 0, "done": 0}
    return Digest(
        manager="\u202eОльга",
        language=language,  # type: ignore[arg-type]
        timezone="Europe/Moscow",
        kind="daily",
        generated_at=NOW,
        since=None,
        headlines=(ClientHeadline(NASTY_CLIENT, counts, {**dict.fromkeys(counts), "overdue": 2}),),
        sections=(DigestSection("overdue", overdue), DigestSection("at_risk", at_risk)),
        workload=(WorkloadRow(NASTY_NAME, 3, 1, 2), WorkloadRow("Иван Петров", 3, 0, 3)),
    )


# --- visual order -------------------------------------------------------------------------

_OPENERS = frozenset("\u2066\u2067\u2068")
_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2060]")


def _collapse_isolates(line: str) -> str:
    """``line`` with every outermost isolate (opener … its PDI) replaced by one U+FFFC."""
    out: list[str] = []
    depth = 0
    for char in line:
        if char in _OPENERS:
            if depth == 0:
                out.append("\ufffc")
            depth += 1
        elif char == "\u2069" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def laid_out_in_order(line: str) -> bool:
    """True when the Bidirectional Algorithm keeps every character *outside* user-text
    isolates where it was written: syncd's own words read as syncd wrote them, whatever
    the isolated user text does inside."""
    return _collapse_isolates(get_display(line)) == _collapse_isolates(line)


def visible(text: str) -> str:
    """What a reader sees of ``text``: no bidi controls, no word joiners."""
    return _CONTROLS.sub("", text)


# --- what each channel shows, line by line -----------------------------------------------

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>|</(?:td|tr|div|p|li|table)>", re.I)


def html_lines(markup: str) -> list[str]:
    """Lines of an HTML page as a browser lays them out: source newlines are spaces,
    ``<br>`` and block ends break lines, ``<bdi>`` is an isolate (FSI … PDI)."""
    text = markup.replace("\n", " ")
    text = re.sub(r"<bdi[^>]*>", "\u2068", text).replace("</bdi>", "\u2069")
    text = _BREAK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    return [line.strip() for line in text.split("\n") if line.strip()]


def telegram_lines(messages: list[str]) -> list[str]:
    return [html.unescape(_TAG.sub("", line)) for m in messages for line in m.split("\n")]


def _rich_text(element: dict[str, Any]) -> Iterator[str]:
    """Lines of a Slack rich_text element: a section is one line, a list one per item."""
    kind = element["type"]
    if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
        yield from "".join(e.get("text", "") for e in element["elements"]).split("\n")
    elif kind == "rich_text_list":
        for child in element["elements"]:
            yield from _rich_text(child)


def slack_lines(payload: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for block in payload["blocks"]:
        if block["type"] == "rich_text":
            for element in block["elements"]:
                lines.extend(_rich_text(element))
        elif "text" in block:
            lines.extend(block["text"]["text"].split("\n"))
        for element in block.get("elements", ()):
            if "text" in element and isinstance(element["text"], str):
                lines.extend(element["text"].split("\n"))
    return lines


def teams_lines(payload: dict[str, Any]) -> list[str]:
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                yield from node["text"].split("\n")
            elif node.get("type") == "RichTextBlock":
                yield from "".join(i["text"] for i in node["inlines"]).split("\n")
            elif node.get("type") == "FactSet":
                yield from (f"{f['title']} {f['value']}" for f in node["facts"])
            else:
                for value in node.values():
                    yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    return list(walk(payload))
