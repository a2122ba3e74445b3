"""When a task's checkpoint falls, and which comments count as one.

The articles ask the account manager to check a task at 30–40 % of its time, not at the
end, to leave room to re-assign, clarify or move the deadline. The checkpoint moment is
``start + fraction × (due_end − start)``, measured in continuous business time when the
team has a holiday calendar (weekends and holidays do not count), else in wall time.
``start`` is the start of the current spell of work — or, when a person set or moved the
due date later than that, the moment they did: the check-in is a share of the time the
team was given, so fixing a task's missing deadline does not make its checkpoint overdue
the minute it is set.

A checkpoint comment is one people really write: a status update that *begins* (after
whitespace, markup, emoji, leading mentions) with a keyword as a whole word — "Статус:
всё по плану" counts, "Статусная встреча в пятницу" does not — or that carries a hashtag
anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from rules.calendar import BusinessCalendar
from syncd.core.models import Task

__all__ = [
    "DEFAULT_HASHTAGS",
    "DEFAULT_KEYWORDS",
    "CheckpointMatcher",
    "checkpoint_moment",
]

DEFAULT_KEYWORDS: tuple[str, ...] = (
    "Checkpoint",
    "Check-in",
    "Status",
    "Статус",
    "Чекпоинт",
    "Чекпойнт",
    "Чек-поинт",
    "Контрольная точка",
)
DEFAULT_HASHTAGS: tuple[str, ...] = ("#checkpoint", "#чекпоинт")

# Before the keyword: whitespace, markup (*_#>~`|-[]()), emoji and other symbols, emoji
# short codes (:white_check_mark:), Jira wiki emoticons ((/), (y)), heading and quote tags
# (h3., bq.), wiki macros wrapping the text ({quote}, {color:red}, {panel:title=…}),
# checklist boxes ([x], which a ticked "✅ Статус: …" line reads as in plain text) and
# mentions (@olga, [~olga], [~accountid:…]). Specific forms come first and the repetition
# is possessive (*+): the leader never gives characters back, so matching stays linear
# on hostile input (alternatives that overlap would otherwise backtrack exponentially).
_LEADER = (
    r"(?:h[1-6]\.|bq\.|\{[a-z]+(?::[^{}\n]*)?\}|(?-i::[a-z0-9_+-]+:)|\([a-z!?*/+-]{1,3}\)"
    r"|@\w+(?:[.\-]\w+)*|\[~[^\]]*\]|\[[ xXхХ✓✔]?\]|[^\w@\[]|_|\[(?!~))*+"
)
_HYPHENS = "[-‐‑–]"


def _keyword_pattern(keyword: str) -> str:
    parts = []
    for word in keyword.strip().split():
        pieces = [re.escape(p) for p in re.split(_HYPHENS, word)]
        parts.append(f"{_HYPHENS}?".join(pieces))
    return r"\s+".join(parts)


class CheckpointMatcher:
    """Compiled once per rule: one regex for all keywords, one for all hashtags."""

    __slots__ = ("_hashtag", "_keyword")

    def __init__(
        self,
        keywords: Sequence[str] = DEFAULT_KEYWORDS,
        hashtags: Sequence[str] = DEFAULT_HASHTAGS,
    ) -> None:
        words = sorted((k for k in keywords if k.strip()), key=len, reverse=True)
        self._keyword = (
            re.compile(
                rf"^{_LEADER}(?:{'|'.join(_keyword_pattern(w) for w in words)})(?!\w|-\w)",
                re.IGNORECASE,
            )
            if words
            else None
        )
        tags = [t.strip().lstrip("#") for t in hashtags if t.strip().lstrip("#")]
        self._hashtag = (
            re.compile(
                rf"(?<![\w#])#(?:{'|'.join(re.escape(t) for t in tags)})(?!\w)", re.IGNORECASE
            )
            if tags
            else None
        )

    def matches(self, text: str) -> bool:
        """Whether a comment's plain text is a checkpoint comment."""
        if self._keyword is not None and self._keyword.match(text):
            return True
        return self._hashtag is not None and self._hashtag.search(text) is not None


def checkpoint_moment(
    task: Task,
    calendar: BusinessCalendar,
    fraction: float = 0.35,
    *,
    business_time: bool | None = None,
) -> datetime | None:
    """The task's checkpoint instant in the team's zone; None without a due date or when
    the current spell of work starts after the due date ends.

    ``business_time`` None means: in business time when the calendar has a country.
    Digests use this for "check today"; the ``checkpoint`` rule for its findings.
    """
    if task.due is None:
        return None
    start = task.work_start.astimezone(UTC)
    due_set = max((a.at for a in task.activity if a.field == "due"), default=None)
    if due_set is not None and due_set > start:
        start = due_set.astimezone(UTC)
    end = calendar.due_end(task.due).astimezone(UTC)
    if start >= end:
        return None
    if business_time is None:
        business_time = calendar.config.country is not None
    if business_time:
        return calendar.business_moment(start, end, fraction)
    return (start + (end - start) * fraction).astimezone(calendar.tz)
