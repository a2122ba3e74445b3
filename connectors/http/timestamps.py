"""The one place tracker timestamps are parsed.

Jira writes ``2026-11-20T10:15:30.123+0300`` (offset without a colon), GitLab
``2026-11-20T07:15:30.123Z``, our own cursors ``isoformat()``. All carry an offset, and a
timestamp without one is refused rather than guessed: Jira reports disagree on whose zone
a bare time would be in (NOTES), so assuming UTC could shift a deadline by hours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["parse_timestamp"]


def parse_timestamp(value: Any, where: str) -> datetime:
    """An aware ``datetime`` from an ISO 8601 text with an offset (``Z``, ``+03:00`` or
    ``+0300``). Raises ``ValueError`` naming ``where`` (e.g. ``issue SHOP-1.fields.updated``)."""
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a timestamp, got {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where}: unreadable timestamp {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{where}: timestamp without offset {value!r}")
    return moment
