"""Which tasks a manager sees, which client a task belongs to, and which calendar counts
its business days — shared by the daily digest and the monthly report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from config.policy import ManagerConfig, Policy
from rules.calendar import BusinessCalendar
from rules.engine import Engine
from syncd.core.models import Task

__all__ = [
    "Clients",
    "manager_calendar",
    "manager_tasks",
    "manager_zone",
    "owns",
]


class Clients:
    """Which client a task belongs to: ``policy.clients[project]``, else the source's
    ``client``, else the project itself. The source → client map is built once, since
    ``Policy.source`` is a linear scan and a digest asks for every task."""

    def __init__(self, policy: Policy) -> None:
        self._projects = dict(policy.clients)
        self._sources = {s.name: s.client for s in policy.sources}

    def of(self, task: Task) -> str:
        if task.project in self._projects:
            return self._projects[task.project]
        return self._sources.get(task.source) or task.project

    def group(self, tasks: Iterable[Task]) -> dict[str, list[Task]]:
        """``tasks`` by client, each list in the given order."""
        grouped: dict[str, list[Task]] = defaultdict(list)
        for task in tasks:
            grouped[self.of(task)].append(task)
        return dict(grouped)


def owns(manager: ManagerConfig, task: Task) -> bool:
    return any(
        o.source == task.source and (not o.projects or task.project in o.projects)
        for o in manager.owns
    )


def manager_tasks(manager: ManagerConfig, tasks: Iterable[Task]) -> Iterator[Task]:
    """The tasks ``manager`` owns: what the builders of their digests are given."""
    return (t for t in tasks if owns(manager, t))


def manager_zone(manager: ManagerConfig) -> ZoneInfo:
    return ZoneInfo(manager.timezone)


def manager_calendar(
    policy: Policy, manager: ManagerConfig, engine: Engine | None = None
) -> BusinessCalendar:
    """The manager's own calendar, else the first owned source's (validated to exist) —
    the engine's instance when one is given (holiday tables are not free to build)."""
    if manager.calendar is not None:
        return BusinessCalendar(manager.calendar)
    source = manager.owns[0].source
    if engine is not None:
        return engine.calendar(source)
    return BusinessCalendar(policy.source(source).calendar)
