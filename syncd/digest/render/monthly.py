"""Renderers of the monthly client report, for files (``syncd report``) and channels.

The generic webhook gets its own versioned payload, described by
``monthly-webhook-v1.schema.json`` (``$id`` :data:`MONTHLY_SCHEMA_ID`); the daily/weekly
digest's is ``webhook-v1.schema.json``. A receiver tells them apart by ``schema``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from syncd.digest.i18n import Language, Translator, translator
from syncd.digest.monthly import MonthlyDigest, MonthlyFigures, MonthlyReport
from syncd.digest.render.common import (
    clip,
    html_t,
    html_user,
    isolate,
    mattermost_escape,
    md_escape,
    render_template,
    telegram_user,
)
from syncd.digest.render.links import safe_url
from syncd.digest.render.slack import rich_text, run
from syncd.digest.render.teams import BODY_LIMIT
from syncd.digest.render.templated import split_telegram

__all__ = [
    "MONTHLY_SCHEMA_ID",
    "monthly_rows",
    "monthly_webhook_schema",
    "render_monthly",
    "render_monthly_payload",
    "report_title",
]

MONTHLY_SCHEMA_ID = "https://syncd.dev/schemas/monthly-webhook/v1"
"""``$id`` of ``monthly-webhook-v1.schema.json``, next to this module."""
_SLACK_REPORTS = 45
"""Sections per Slack message: with the header and "…and N more", under 50 blocks."""


@cache
def monthly_webhook_schema() -> dict[str, Any]:
    raw = (
        resources.files("syncd.digest.render")
        .joinpath("monthly-webhook-v1.schema.json")
        .read_text(encoding="utf-8")
    )
    schema = json.loads(raw)
    assert isinstance(schema, dict)
    return schema


@dataclass(frozen=True)
class Row:
    label: str
    current: str
    previous: str
    change: str


def _change(t: Translator, now: float | None, before: float | None, unit: str = "") -> str:
    if now is None or before is None or round(now - before, 3) == 0:
        return ""
    diff = round(now - before, 1)
    return ("▲" if diff > 0 else "▼") + t.number(abs(diff)) + unit


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x)


def monthly_rows(r: MonthlyReport, t: Translator) -> list[Row]:
    c, p = r.current, r.previous

    def days(f: MonthlyFigures) -> str:
        d = f.median_cycle_days
        return t("monthly.na") if d is None else t.plural("day", d)

    return [
        Row(
            t("monthly.completed"),
            t.number(c.completed),
            t.number(p.completed),
            _change(t, c.completed, p.completed),
        ),
        Row(
            t("monthly.on_time_rate"),
            t.percent(c.on_time_rate),
            t.percent(p.on_time_rate),
            _change(t, _pct(c.on_time_rate), _pct(p.on_time_rate), "%"),
        ),
        Row(
            t("monthly.checkpoint_compliance"),
            t.percent(c.checkpoint_compliance),
            t.percent(p.checkpoint_compliance),
            _change(t, _pct(c.checkpoint_compliance), _pct(p.checkpoint_compliance), "%"),
        ),
        Row(
            t("monthly.median_cycle_time"),
            days(c),
            days(p),
            _change(t, c.median_cycle_days, p.median_cycle_days),
        ),
        Row(
            t("monthly.overdue_at_month_end"),
            t.number(c.overdue_at_end),
            t.number(p.overdue_at_end),
            _change(t, c.overdue_at_end, p.overdue_at_end),
        ),
    ]


def report_title(r: MonthlyReport, t: Translator, user: Callable[[str], str] = isolate) -> str:
    """The report's heading; ``user`` prepares the client's name for the channel (isolated
    for direction by default)."""
    return t("monthly.title", client=user(clip(r.client, 80)), month=t.month(r.first_day))


def _context(
    reports: tuple[MonthlyReport, ...], language: Language, manager: str, fmt: str
) -> dict[str, Any]:
    t = translator(language)

    def heading(r: MonthlyReport) -> str:
        if fmt == "html":
            return html_t(
                t, "monthly.title", client=html_user(clip(r.client, 80)), month=t.month(r.first_day)
            )
        return report_title(r, t, telegram_user if fmt == "telegram" else isolate)

    return {
        "language": language,
        "manager": manager,
        "heading": t("title.monthly"),
        "reports": [{"r": r, "title": heading(r), "rows": monthly_rows(r, t)} for r in reports],
        "link": safe_url,
        "esc": mattermost_escape if fmt == "mattermost" else md_escape,
    }


def render_monthly(doc: MonthlyDigest | MonthlyReport, fmt: str) -> str | list[str]:
    """``html``/``md``/``text``/``mattermost`` → str; ``telegram`` → messages."""
    reports: tuple[MonthlyReport, ...]
    if isinstance(doc, MonthlyReport):
        reports, language, manager = (doc,), doc.language, ""
    else:
        reports, language, manager = doc.reports, doc.language, doc.manager
    context = _context(reports, language, manager, fmt)
    name = {"mattermost": "md"}.get(fmt, fmt)
    if name not in ("html", "md", "text", "telegram"):
        raise ValueError(f"monthly report: unknown format {fmt!r}")
    text = render_template(f"monthly.{name}.j2", **context)
    return split_telegram(text) if fmt == "telegram" else text


def render_monthly_payload(doc: MonthlyDigest, fmt: str) -> dict[str, Any]:
    """Slack blocks, a Teams card or the webhook JSON for the monthly slot."""
    if fmt == "webhook":
        return _webhook(doc)
    if fmt == "slack":
        return _slack(doc, translator(doc.language))
    if fmt == "teams":
        return _teams(doc, translator(doc.language))
    raise ValueError(f"monthly report: {fmt!r} is not a payload format")


def _webhook(doc: MonthlyDigest) -> dict[str, Any]:
    """Follows ``monthly-webhook-v1.schema.json`` (a separate, documented schema: the
    daily one's fields do not fit a per-client report)."""
    return {
        "schema": MONTHLY_SCHEMA_ID,
        "version": 1,
        "kind": "monthly",
        "period": doc.period,
        "manager": doc.manager,
        "language": doc.language,
        "reports": [
            {
                "client": r.client,
                "month": r.month,
                "current": r.current.__dict__,
                "previous": r.previous.__dict__,
            }
            for r in doc.reports
        ],
    }


def _more(t: Translator, dropped: int) -> str:
    return str(t("more", more=t.plural("more", dropped)))


def _slack(doc: MonthlyDigest, t: Translator) -> dict[str, Any]:
    """≤ 50 blocks: the header, a section per client, and "…and N more" past the budget.
    Every section stays far below 3000 characters (a clipped title and five rows)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t("title.monthly")}}
    ]
    shown = doc.reports[:_SLACK_REPORTS]
    for r in shown:
        # rich_text, not mrkdwn: the client's name is shown as written (see render.slack).
        elements = [run(report_title(r, t), bold=True)]
        for row in monthly_rows(r, t):
            elements += [
                run(f"\n{row.label}: "),
                run(row.current, bold=True),
                run(f" ({t('monthly.previous')}: {row.previous}) {row.change}".rstrip()),
            ]
        blocks.append(rich_text({"type": "rich_text_section", "elements": elements}))
    if len(doc.reports) > len(shown):
        more = _more(t, len(doc.reports) - len(shown))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"text": t("title.monthly"), "blocks": blocks}


def _teams_card(doc: MonthlyDigest, t: Translator, shown: int) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": t("title.monthly"),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        }
    ]
    for r in doc.reports[:shown]:
        body.append(  # a TextRun: no Markdown, the client's name as written
            {
                "type": "RichTextBlock",
                "inlines": [{"type": "TextRun", "text": report_title(r, t), "weight": "Bolder"}],
                "separator": True,
            }
        )
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {
                        "title": row.label,
                        "value": f"{row.current} ({row.previous}) {row.change}".strip(),
                    }
                    for row in monthly_rows(r, t)
                ],
            }
        )
    if len(doc.reports) > shown:
        body.append(
            {
                "type": "TextBlock",
                "text": _more(t, len(doc.reports) - shown),
                "isSubtle": True,
                "wrap": True,
            }
        )
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def _teams(doc: MonthlyDigest, t: Translator) -> dict[str, Any]:
    """An Adaptive Card 1.5 under Teams' ~28 KB body limit: clients past it are counted
    in "…and N more" instead of shown."""
    shown = len(doc.reports)
    payload = _teams_card(doc, t, shown)
    while shown > 0 and len(json.dumps(payload, ensure_ascii=False).encode()) > BODY_LIMIT:
        shown = shown // 2 if shown > 8 else shown - 1
        payload = _teams_card(doc, t, shown)
    return payload
