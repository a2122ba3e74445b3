"""Which tasks a manager sees, which client a task belongs to, and which calendar counts
its business days — shared by the daily digest and the monthly report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from config.policy import CalendarConfig, ManagerConfig, Policy
from rules.calendar import BusinessCalendar
from syncd.models import Task

__all__ = [
    "Calendars",
    "checkpoint_settings",
    "client_of",
    "manager_calendar",
    "manager_tasks",
    "manager_zone",
    "owns",
]


def client_of(policy: Policy, task: Task) -> str:
    """``policy.clients[project]``, else the source's ``client``, else the project itself."""
    if task.project in policy.clients:
        return policy.clients[task.project]
    try:
        client = policy.source(task.source).client
    except KeyError:
        client = None
    return client or task.project


def owns(manager: ManagerConfig, task: Task) -> bool:
    return any(
        o.source == task.source and (not o.projects or task.project in o.projects)
        for o in manager.owns
    )


def manager_tasks(manager: ManagerConfig, tasks: Iterable[Task]) -> Iterator[Task]:
    return (t for t in tasks if owns(manager, t))


def manager_zone(manager: ManagerConfig) -> ZoneInfo:
    return ZoneInfo(manager.timezone)


def manager_calendar(policy: Policy, manager: ManagerConfig) -> BusinessCalendar:
    """The manager's own calendar, else the first owned source's (validated to exist)."""
    if manager.calendar is not None:
        return BusinessCalendar(manager.calendar)
    return BusinessCalendar(policy.source(manager.owns[0].source).calendar)


def checkpoint_settings(policy: Policy) -> tuple[float, bool | None]:
    """``fraction`` and ``business_time`` of the configured checkpoint rule, so "check
    today" lists the same moments the rule enforces."""
    for rule in policy.rules:
        if rule.rule == "checkpoint" and rule.enabled:
            business = rule.params.get("business_time")
            return float(rule.params.get("fraction", 0.35)), (
                None if business is None else bool(business)
            )
    return 0.35, None


class Calendars:
    """One ``BusinessCalendar`` per source, built once (holiday tables are not free)."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._by_source: dict[str, BusinessCalendar] = {}

    def __call__(self, source: str) -> BusinessCalendar:
        if source not in self._by_source:
            try:
                config = self._policy.source(source).calendar
            except KeyError:
                config = CalendarConfig()
            self._by_source[source] = BusinessCalendar(config)
        return self._by_source[source]
