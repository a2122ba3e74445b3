"""Renderers of the monthly client report, for files (``syncd report``) and channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncd.digest.i18n import Language, Translator, translator
from syncd.digest.monthly import MonthlyDigest, MonthlyFigures, MonthlyReport
from syncd.digest.render.common import clip, md_escape, render_template, slack_escape
from syncd.digest.render.links import safe_url
from syncd.digest.render.templated import split_telegram

__all__ = ["monthly_rows", "render_monthly", "render_monthly_payload", "report_title"]


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


def report_title(r: MonthlyReport, t: Translator) -> str:
    return t("monthly.title", client=clip(r.client, 80), month=t.month(r.first_day))


def _context(
    reports: tuple[MonthlyReport, ...], language: Language, manager: str
) -> dict[str, Any]:
    t = translator(language)
    return {
        "language": language,
        "manager": manager,
        "heading": t("title.monthly"),
        "reports": [
            {"r": r, "title": report_title(r, t), "rows": monthly_rows(r, t)} for r in reports
        ],
        "link": safe_url,
        "esc": md_escape,
    }


def render_monthly(doc: MonthlyDigest | MonthlyReport, fmt: str) -> str | list[str]:
    """``html``/``md``/``text``/``mattermost`` → str; ``telegram`` → messages."""
    reports: tuple[MonthlyReport, ...]
    if isinstance(doc, MonthlyReport):
        reports, language, manager = (doc,), doc.language, ""
    else:
        reports, language, manager = doc.reports, doc.language, doc.manager
    context = _context(reports, language, manager)
    name = {"mattermost": "md"}.get(fmt, fmt)
    if name not in ("html", "md", "text", "telegram"):
        raise ValueError(f"monthly report: unknown format {fmt!r}")
    text = render_template(f"monthly.{name}.j2", **context)
    return split_telegram(text) if fmt == "telegram" else text


def render_monthly_payload(doc: MonthlyDigest, fmt: str) -> dict[str, Any]:
    """Slack blocks, a Teams card or the webhook JSON for the monthly slot."""
    t = translator(doc.language)
    if fmt == "webhook":
        return {
            "schema": "https://syncd.dev/schemas/monthly-webhook/v1",
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
    if fmt == "slack":
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": t("title.monthly")}}
        ]
        for r in doc.reports[:45]:
            lines = [f"*{slack_escape(report_title(r, t))}*"] + [
                f"{row.label}: *{row.current}* ({t('monthly.previous')}: {row.previous}) "
                f"{row.change}".rstrip()
                for row in monthly_rows(r, t)
            ]
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
        return {"text": t("title.monthly"), "blocks": blocks}
    if fmt == "teams":
        body: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": t("title.monthly"),
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
            }
        ]
        for r in doc.reports:
            body.append(
                {
                    "type": "TextBlock",
                    "text": md_escape(report_title(r, t)),
                    "weight": "Bolder",
                    "wrap": True,
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
    raise ValueError(f"monthly report: {fmt!r} is not a payload format")
