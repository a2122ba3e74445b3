"""Small value parsers shared by the Jira mapping modules, and the mapping context.

Timestamps carry their own offset (``+0300``) and are never assumed UTC; people are
accountIds on Cloud and user names on Data Center, never e-mails (Cloud hides them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from connectors.http.timestamps import parse_timestamp
from syncd.core.errors import FatalError
from syncd.core.models import Person, StatusCategory

__all__ = ["CATEGORY_KEYS", "JiraContext", "category_of", "parse_date", "parse_ts", "person"]

CATEGORY_KEYS = {
    "new": StatusCategory.NEW,
    "indeterminate": StatusCategory.IN_PROGRESS,
    "done": StatusCategory.DONE,
}


@dataclass(frozen=True)
class JiraContext:
    """What mapping needs to know about the site and the bot account."""

    source: str
    server: str
    cloud: bool
    body_format: str
    """``adf`` (REST v3) or ``wiki`` (REST v2)."""
    bot: Person
    start_field: str | None = None
    zone: tzinfo | None = None
    """Where a bare start date begins (the source's calendar zone)."""
    status_categories: Mapping[str, StatusCategory] = field(default_factory=dict)
    aliases: Mapping[str, Sequence[str]] | None = None


def parse_ts(value: Any, where: str) -> datetime:
    """A Jira timestamp such as ``2026-11-20T10:15:30.123+0300``, offset kept; a clear
    ``FatalError`` naming ``where`` otherwise (parsing itself is ``connectors.http.timestamps``)."""
    try:
        return parse_timestamp(value, where)
    except ValueError as exc:
        raise FatalError(str(exc)) from None


def parse_date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise FatalError(f"{where}: unreadable date {value!r}") from None


def person(raw: Any, cloud: bool) -> Person | None:
    """A user object → Person: accountId on Cloud, name (username) on Data Center."""
    if not isinstance(raw, dict):
        return None
    name = str(raw.get("displayName") or "")
    if cloud:
        account = raw.get("accountId")
        return Person(id=str(account), name=name) if account else None
    username = raw.get("name") or raw.get("key")
    return Person(id=str(username), name=name, username=str(username)) if username else None


def category_of(status: Any) -> StatusCategory:
    key = ((status or {}).get("statusCategory") or {}).get("key")
    return CATEGORY_KEYS.get(str(key), StatusCategory.NEW)
