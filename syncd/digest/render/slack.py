"""Slack Block Kit for an incoming webhook.

Limits kept (Slack answers ``invalid_blocks`` otherwise): ≤ 50 blocks, section text
≤ 3000 characters, header plain_text ≤ 150. Long sections are cut into several blocks at
item boundaries; past the block budget the rest is summarised as "…and N more".

User text never goes into ``mrkdwn``: mrkdwn has no escape for ``*`` ``_`` ``~`` `````,
so a title ``*bold*`` would be drawn bold. Items, clients and people are ``rich_text``
blocks (what Slack's own composer sends), where a plain ``text`` element is shown as
written and only syncd's parts carry a ``style``; user text is isolated for direction.
"""

from __future__ import annotations

from typing import Any

from syncd.digest.i18n import Translator, translator
from syncd.digest.model import Digest, DigestItem
from syncd.digest.render.common import (
    clip,
    due,
    headline_text,
    isolate,
    slack_escape,
    subject,
    title,
    why,
)
from syncd.digest.render.links import safe_url

__all__ = ["MAX_BLOCKS", "SECTION_TEXT_LIMIT", "render_slack", "rich_text", "run"]

MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3000
"""Characters of text per block: the section limit, kept for rich_text blocks too."""
HEADER_LIMIT = 150
WORKLOAD_NAME = 24

Element = dict[str, Any]


def run(text: str, **style: bool) -> Element:
    """A rich_text ``text`` element: shown literally, styled only by ``style``."""
    element: Element = {"type": "text", "text": text}
    if style:
        element["style"] = style
    return element


def _line(*elements: Element) -> Element:
    return {"type": "rich_text_section", "elements": [e for e in elements if e["text"]]}


def rich_text(*elements: Element) -> Element:
    return {"type": "rich_text", "elements": list(elements)}


def _bullets(lines: list[Element]) -> Element:
    return {"type": "rich_text_list", "style": "bullet", "elements": lines}


def _length(element: Element) -> int:
    return sum(len(e.get("text", "")) for e in element["elements"])


def _item_line(item: DigestItem, t: Translator) -> Element:
    key = clip(item.key, 60)
    url = safe_url(item.url)
    ref = (
        {"type": "link", "url": url, "text": key, "style": {"bold": True}}
        if url
        else run(key, bold=True)
    )
    who = isolate(clip(item.assignee or t("fields.unassigned"), 60))
    return _line(
        ref,
        run(f" {isolate(clip(item.title))}"),
        run(f" {t('fields.important')}", bold=True) if item.important else run(""),
        run(f" — {who} · {due(item, t)} · "),
        run(why(item, t), italic=True),
    )


def _chunks(lines: list[Element], limit: int = SECTION_TEXT_LIMIT) -> list[list[Element]]:
    """Lines grouped so each group's text stays within ``limit``."""
    chunks: list[list[Element]] = [[]]
    size = 0
    for line in lines:
        length = _length(line) + 1
        if chunks[-1] and size + length > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += length
    return chunks


def _list_blocks(head: Element, lines: list[Element]) -> list[tuple[dict[str, Any], int]]:
    """``head`` then ``lines`` as bullets, in as many rich_text blocks as the text needs,
    each with how many lines it holds."""
    blocks: list[tuple[dict[str, Any], int]] = []
    for n, chunk in enumerate(_chunks(lines, SECTION_TEXT_LIMIT - _length(head))):
        parts = ([head] if n == 0 else []) + ([_bullets(chunk)] if chunk else [])
        blocks.append((rich_text(*parts), len(chunk)))
    return blocks


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def render_slack(d: Digest) -> dict[str, Any]:
    t = translator(d.language)
    heading = clip(f"{title(d, t)} · {t.date(d.local_date)}", HEADER_LIMIT)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": heading, "emoji": True}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "plain_text",
                    "text": f"{t('for_manager', manager=isolate(clip(d.manager, 80)))}"
                    f" · {t.long_date(d.local_date)}",
                    "emoji": False,
                }
            ],
        },
    ]
    if d.nothing_to_report:
        blocks.append(_section(t("nothing")))
        return {"text": slack_escape(subject(d, t)), "blocks": blocks}

    body: list[tuple[dict[str, Any], int]] = []
    heads = [
        _line(run(isolate(clip(h.client, 80)), bold=True), run(f": {headline_text(h, t)}"))
        for h in d.headlines
    ]
    body.extend((b, 0) for b, _n in _list_blocks(_line(run(t("by_client"), bold=True)), heads))
    for s in d.sections:
        body.append(({"type": "divider"}, 0))
        head = _line(run(t("sections." + s.kind), bold=True), run(f" ({t.number(len(s.items))})"))
        body.extend(_list_blocks(head, [_item_line(i, t) for i in s.items]))
    if d.workload:
        rows = []
        for w in d.workload:
            name = clip(w.assignee or t("fields.unassigned"), WORKLOAD_NAME)
            padding = " " * (WORKLOAD_NAME - len(name))
            rows.append(f"{isolate(name)}{padding} {w.open:>4} {w.due_this_week:>4} {w.overdue:>4}")
        legend = f"{t('workload.open')} / {t('workload.due_this_week')} / {t('workload.overdue')}"
        body.append(({"type": "divider"}, 0))
        body.append((_section(f"*{t('workload.title')}* ({legend})"), 0))
        for chunk in _chunks([_line(run(r)) for r in rows]):
            table = "\n".join(_line_text(line) for line in chunk)
            body.append(
                (rich_text({"type": "rich_text_preformatted", "elements": [run(table)]}), 0)
            )

    budget = MAX_BLOCKS - len(blocks) - 1  # one block kept for "…and N more"
    kept, dropped_items = body[:budget], sum(n for _b, n in body[budget:])
    blocks.extend(b for b, _n in kept)
    if len(body) > budget and dropped_items:
        more = t("more", more=t.plural("more", dropped_items))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"text": slack_escape(subject(d, t)), "blocks": blocks}


def _line_text(line: Element) -> str:
    return "".join(e["text"] for e in line["elements"])
