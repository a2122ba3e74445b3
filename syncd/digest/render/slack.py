"""Slack Block Kit for an incoming webhook.

Limits kept (Slack answers ``invalid_blocks`` otherwise): ≤ 50 blocks, section text
≤ 3000 characters, header plain_text ≤ 150. Long sections are cut into several section
blocks at item boundaries; past the block budget the rest is summarised as "…and N more".
User text is mrkdwn-escaped (& < >) so a title like ``<!channel>`` pings nobody.
"""

from __future__ import annotations

from typing import Any

from syncd.digest.i18n import Translator, translator
from syncd.digest.model import Digest, DigestItem
from syncd.digest.render.common import clip, due, headline_text, slack_escape, subject, title, why
from syncd.digest.render.links import safe_url

__all__ = ["MAX_BLOCKS", "SECTION_TEXT_LIMIT", "render_slack"]

MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3000
HEADER_LIMIT = 150


def _item_line(item: DigestItem, t: Translator) -> str:
    key = slack_escape(clip(item.key, 60))
    url = safe_url(item.url).replace("|", "%7C")
    ref = f"<{slack_escape(url)}|{key}>" if url else f"*{key}*"
    important = f" *{t('fields.important')}*" if item.important else ""
    who = slack_escape(clip(item.assignee or t("fields.unassigned"), 60))
    meta = f"{who} · {due(item, t)} · _{why(item, t)}_"
    return f"• {ref} {slack_escape(clip(item.title))}{important} — {meta}"


def _escape_padded(text: str) -> str:
    """mrkdwn escaping that keeps the padding of a preformatted table."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(head: str, lines: list[str], limit: int = SECTION_TEXT_LIMIT) -> list[tuple[str, int]]:
    """Section texts ≤ ``limit``, each with how many item lines it holds."""
    chunks: list[tuple[str, int]] = []
    current, count = head, 0
    for line in lines:
        if len(current) + 1 + len(line) > limit:
            chunks.append((current, count))
            current, count = line, 0
        else:
            current = f"{current}\n{line}" if current else line
        count += 1
    chunks.append((current, count))
    return chunks


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
                    "type": "mrkdwn",
                    "text": slack_escape(
                        f"{t('for_manager', manager=d.manager)} · {t.long_date(d.local_date)}"
                    ),
                }
            ],
        },
    ]
    if d.nothing_to_report:
        blocks.append(_section(t("nothing")))
        return {"text": slack_escape(subject(d, t)), "blocks": blocks}

    body: list[tuple[dict[str, Any], int]] = []
    heads = [f"*{slack_escape(clip(h.client, 80))}*: {headline_text(h, t)}" for h in d.headlines]
    for text, _n in _chunks(f"*{t('by_client')}*", heads):
        body.append((_section(text), 0))
    for s in d.sections:
        body.append(({"type": "divider"}, 0))
        head = f"*{t('sections.' + s.kind)}* ({t.number(len(s.items))})"
        for text, n in _chunks(head, [_item_line(i, t) for i in s.items]):
            body.append((_section(text), n))
    if d.workload:
        rows = [
            _escape_padded(clip(w.assignee or t("fields.unassigned"), 24).ljust(24))
            + f" {w.open:>4} {w.due_this_week:>4} {w.overdue:>4}"
            for w in d.workload
        ]
        legend = f"{t('workload.open')} / {t('workload.due_this_week')} / {t('workload.overdue')}"
        body.append(({"type": "divider"}, 0))
        for text, _n in _chunks(f"*{t('workload.title')}* ({legend})", []):
            body.append((_section(text), 0))
        for text, _n in _chunks("", rows, SECTION_TEXT_LIMIT - 6):
            body.append((_section(f"```{text}```"), 0))

    budget = MAX_BLOCKS - len(blocks) - 1  # one block kept for "…and N more"
    kept, dropped_items = body[:budget], sum(n for _b, n in body[budget:])
    blocks.extend(b for b, _n in kept)
    if len(body) > budget and dropped_items:
        more = t("more", more=t.plural("more", dropped_items))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"text": slack_escape(subject(d, t)), "blocks": blocks}
