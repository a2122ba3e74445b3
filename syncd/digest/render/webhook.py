"""The generic JSON webhook: a versioned, documented payload for anything else (a CRM,
n8n, a custom bot). Its JSON Schema is ``webhook-v1.schema.json`` next to this module;
fields are only ever added within a version, never renamed or removed."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from syncd.digest.i18n import translator
from syncd.digest.model import Digest, DigestItem
from syncd.digest.render.common import subject, title, why
from syncd.digest.render.links import safe_url

__all__ = ["SCHEMA_ID", "render_webhook", "webhook_schema"]

SCHEMA_ID = "https://syncd.dev/schemas/digest-webhook/v1"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _item(item: DigestItem, why_text: str) -> dict[str, Any]:
    return {
        "key": item.key,
        "title": item.title,
        "url": safe_url(item.url) or None,
        "client": item.client,
        "assignee": item.assignee,
        "due": _iso(item.due),
        "priority": item.priority,
        "quadrant": item.quadrant,
        "important": item.important,
        "urgent": item.urgent,
        "reason": item.why,
        "reason_text": why_text,
        "days": item.days,
        "at": _iso(item.at),
        "rules": list(item.rules),
        "since": _iso(item.since),
    }


def render_webhook(d: Digest, text: str | None = None) -> dict[str, Any]:
    """The payload; ``text`` is a plain-text rendering for receivers that just show it.
    Titles are raw here (JSON escapes itself): receivers must escape for their markup."""
    t = translator(d.language)
    return {
        "schema": SCHEMA_ID,
        "version": 1,
        "kind": d.kind,
        "period": d.period or None,
        "manager": d.manager,
        "language": d.language,
        "timezone": d.timezone,
        "generated_at": d.generated_at.isoformat(),
        "since": _iso(d.since),
        "title": title(d, t),
        "subject": subject(d, t),
        "nothing_to_report": d.nothing_to_report,
        "headlines": [
            {"client": h.client, "counts": dict(h.counts), "deltas": dict(h.deltas)}
            for h in d.headlines
        ],
        "sections": [
            {
                "kind": s.kind,
                "title": t("sections." + s.kind),
                "items": [_item(i, why(i, t)) for i in s.items],
            }
            for s in d.sections
        ],
        "workload": [
            {
                "assignee": w.assignee or None,
                "open": w.open,
                "due_this_week": w.due_this_week,
                "overdue": w.overdue,
            }
            for w in d.workload
        ],
        "text": text,
    }


@cache
def webhook_schema() -> dict[str, Any]:
    raw = resources.files("syncd.digest.render").joinpath("webhook-v1.schema.json").read_text()
    schema = json.loads(raw)
    assert isinstance(schema, dict)
    return schema
