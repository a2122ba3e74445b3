"""Eisenhower ordering: important = a high priority, urgent = overdue or due soon.

Trackers spell priorities differently (Jira: Highest/High, older schemes Blocker/Critical;
GitLab: labels such as ``priority::high`` or ``P1``), so the name is normalised first.
"""

from __future__ import annotations

__all__ = ["IMPORTANT_PRIORITIES", "is_important", "quadrant"]

IMPORTANT_PRIORITIES = frozenset(
    {
        "highest",
        "high",
        "critical",
        "blocker",
        "urgent",
        "p0",
        "p1",
        "s1",
        "s2",
        "immediate",
        "высокий",
        "наивысший",
        "критический",
        "блокирующий",
        "срочный",
    }
)


def is_important(priority: str | None) -> bool:
    if not priority:
        return False
    name = priority.strip().lower()
    for separator in ("::", ":", "/"):
        if separator in name:
            name = name.rsplit(separator, 1)[1].strip()
    return name in IMPORTANT_PRIORITIES


def quadrant(priority: str | None, *, urgent: bool) -> int:
    """1 urgent+important, 2 important, 3 urgent, 4 neither (the classic numbering)."""
    important = is_important(priority)
    if important:
        return 1 if urgent else 2
    return 3 if urgent else 4
