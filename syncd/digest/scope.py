"""Which tasks a manager sees, which client a task belongs to, and which calendar counts
its business days — shared by the daily digest and the monthly report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from config.policy import ManagerConfig, Policy
from rules.builtin.checkpoint import Checkpoint
from rules.calendar import BusinessCalendar
from rules.engine import Engine
from syncd.models import Task

__all__ = [
    "checkpoint_done",
    "checkpoint_rule",
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


def checkpoint_rule(engine: Engine, task: Task) -> Checkpoint:
    """The ``checkpoint`` rule the engine applies to ``task`` (scopes honoured), or one
    with default parameters when none does — the same choice as
    ``Engine.checkpoint_moment``, so "check today" and the reminders never disagree."""
    for scoped in engine.rules_for(task.source):
        if isinstance(scoped.rule, Checkpoint) and scoped.applies(task):
            return scoped.rule
    return Checkpoint()


def checkpoint_done(engine: Engine, task: Task, now: datetime) -> bool:
    """Whether ``task`` already has the checkpoint comment its rule asks for by ``now``:
    then there is nothing to check today."""
    return checkpoint_rule(engine, task).satisfied(task, engine.context(task.source, now))
