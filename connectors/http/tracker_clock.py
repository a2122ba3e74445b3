"""The tracker's own clock, read from the ``Date`` header of its answers.

Watermarks must come from the tracker's time, never the host's: a host clock ahead of the
tracker by more than the sync overlap would skip every change made in the gap, and one
behind it would re-read the same changes on every poll. Every HTTP answer carries the
server's time in ``Date`` (RFC 9110 §6.6.1, whole seconds, rounded down), so watching the
answers costs no request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

__all__ = ["TrackerClock"]


class TrackerClock:
    """Remembers the ``Date`` of the latest answer (a ``requests`` response hook)."""

    def __init__(self) -> None:
        self.latest: datetime | None = None
        """The tracker's time at its latest answer; None until one carried a usable Date."""

    def observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        stamp = _parse(response.headers.get("Date"))
        if stamp is not None:
            self.latest = stamp

    def after_latest(self) -> datetime | None:
        """A moment the tracker had not reached when it sent its latest answer: ``Date`` is
        rounded down to the second, so the answer left before ``Date`` + 1 s. Whatever that
        answer showed was changed before this moment."""
        return None if self.latest is None else self.latest + timedelta(seconds=1)

    def attach(self, session: requests.Session) -> None:
        hooks = session.hooks.setdefault("response", [])
        if self.observe not in hooks:
            hooks.append(self.observe)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        stamp = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None  # a proxy's odd header: the newest ``updated`` seen still bounds us
    return stamp.astimezone(UTC) if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
