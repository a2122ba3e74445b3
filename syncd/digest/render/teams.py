"""Microsoft Teams: an Adaptive Card (schema 1.5) in the Workflows webhook envelope.

The Workflows endpoint answers 202 even for a card it later fails to post, so the card is
kept valid by construction (and validated against the official schema in the tests), and
the request body is kept under the ~28 KB Teams accepts by dropping trailing items —
section items first, then headline clients and workload rows.

A ``TextBlock`` is Markdown, and Teams clients disagree on backslash escapes (mobile shows
the backslashes), so user text never goes into one: items, clients and people are
``RichTextBlock``s whose ``TextRun``s are shown as written (no Markdown), isolated for
direction; only syncd's own words are styled.
"""

from __future__ import annotations

import json
from typing import Any

from syncd.digest.i18n import Translator, translator
from syncd.digest.model import Digest, DigestItem
from syncd.digest.render.common import clip, due, headline_text, isolate, title, why
from syncd.digest.render.links import safe_url

__all__ = ["BODY_LIMIT", "render_teams"]

BODY_LIMIT = 27_000
"""Bytes of the whole JSON request body (Teams' limit is about 28 KB)."""


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _run(text: str, **style: Any) -> dict[str, Any]:
    """A TextRun: literal text (Adaptive Cards apply no Markdown to runs)."""
    return {"type": "TextRun", "text": text, **style}


def _rich(*inlines: dict[str, Any], **style: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": [i for i in inlines if i["text"]], **style}


def _item(item: DigestItem, t: Translator) -> dict[str, Any]:
    url = safe_url(item.url)
    link = {"selectAction": {"type": "Action.OpenUrl", "url": url}} if url else {}
    who = isolate(clip(item.assignee or t("fields.unassigned"), 60))
    return _rich(
        _run(clip(item.key, 60), weight="Bolder", **link),
        _run(" "),
        _run(isolate(clip(item.title))),
        _run(f" {t('fields.important')}", weight="Bolder") if item.important else _run(""),
        _run(f" — {who} · {due(item, t)} · "),
        _run(why(item, t), italic=True),
        spacing="Small",
    )


def _row(name: str, value: str) -> dict[str, Any]:
    """One client of the headline or one person of the workload: the name as written."""
    return _rich(_run(isolate(name), weight="Bolder"), _run(f": {value}"), spacing="None")


def _more(t: Translator, dropped: int) -> dict[str, Any]:
    return _text(t("more", more=t.plural("more", dropped)), isSubtle=True)


def _card(
    d: Digest, t: Translator, per_section: int | None, rows: int | None = None
) -> dict[str, Any]:
    """The card with at most ``per_section`` items per section and ``rows`` clients in the
    headline and people in the workload (None: all)."""
    body: list[dict[str, Any]] = [
        _text(f"{title(d, t)} · {t.date(d.local_date)}", size="Large", weight="Bolder"),
        _rich(
            _run(
                f"{t('for_manager', manager=isolate(clip(d.manager, 80)))}"
                f" · {t.long_date(d.local_date)}",
                isSubtle=True,
            ),
            spacing="None",
        ),
    ]
    if d.nothing_to_report:
        body.append(_text(t("nothing")))
    else:
        body.append(_text(t("by_client"), weight="Bolder", separator=True))
        headlines = d.headlines if rows is None else d.headlines[:rows]
        body.extend(_row(clip(h.client, 80), headline_text(h, t)) for h in headlines)
        if len(headlines) < len(d.headlines):
            body.append(_more(t, len(d.headlines) - len(headlines)))
        dropped = 0
        for s in d.sections:
            shown = s.items if per_section is None else s.items[:per_section]
            dropped += len(s.items) - len(shown)
            body.append(
                _text(
                    f"{t('sections.' + s.kind)} ({t.number(len(s.items))})",
                    weight="Bolder",
                    size="Medium",
                    separator=True,
                )
            )
            body.extend(_item(i, t) for i in shown)
        if dropped:
            body.append(_more(t, dropped))
        if d.workload:
            legend = (
                f"{t('workload.open')} / {t('workload.due_this_week')} / {t('workload.overdue')}"
            )
            body.append(_text(f"{t('workload.title')} ({legend})", weight="Bolder", separator=True))
            workload = d.workload if rows is None else d.workload[:rows]
            body.extend(
                _row(
                    clip(w.assignee or t("fields.unassigned"), 40),
                    f"{w.open} / {w.due_this_week} / {w.overdue}",
                )
                for w in workload
            )
            if len(workload) < len(d.workload):
                body.append(_more(t, len(d.workload) - len(workload)))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }


def _envelope(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def _size(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode())


def _shrink(n: int) -> int:
    return n // 2 if n > 8 else n - 1


def render_teams(d: Digest) -> dict[str, Any]:
    """Everything if it fits; else fewer items per section; else, with no items left, fewer
    headline clients and workload rows (a 300-client agency) — each cut said "…and N more"."""
    t = translator(d.language)
    payload = _envelope(_card(d, t, None))
    per_section = max((len(s.items) for s in d.sections), default=0)
    while _size(payload) > BODY_LIMIT and per_section > 0:
        per_section = _shrink(per_section)
        payload = _envelope(_card(d, t, per_section))
    rows = max(len(d.headlines), len(d.workload))
    while _size(payload) > BODY_LIMIT and rows > 0:
        rows = _shrink(rows)
        payload = _envelope(_card(d, t, per_section, rows))
    return payload
