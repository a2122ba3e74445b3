"""What counts as a person's work on a Jira task, read over real HTTP from the sandbox Jira
and judged by the ``stale`` rule: any field a person changes (a priority, a summary) is
activity; re-ranking on a board is not; the bot's own changes never are. And the spell of
work a reopened task is measured from, when it also has a "Start date"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from connectors.jira import JiraConnector
from connectors.sandbox.common.seed import Seed, load_seed
from connectors.sandbox.server import SandboxServer
from rules.base import Context
from rules.builtin.checkpoint import Checkpoint
from rules.builtin.stale import Stale
from rules.calendar import BusinessCalendar
from syncd.core.models import Finding, Task
from tests.connectors.conftest import FLAVOURS, sandbox_act
from tests.connectors.contract import full_sync
from tests.sandbox.jira_helpers import client, serve

Connect = Callable[..., JiraConnector]

_USERS = [
    {
        "id": "bot",
        "name": "syncd",
        "username": "syncd-bot",
        "email": "bot@agency.example",
        "time_zone": "UTC",
        "bot": True,
        "token": "bot-token",
    },
    {
        "id": "dev",
        "name": "Иван",
        "username": "ivan",
        "email": "ivan@agency.example",
        "time_zone": "UTC",
        "token": "dev-token",
    },
]


def _seed(flavour: str, tasks: list[dict[str, Any]]) -> Seed:
    data = {
        "format": "syncd-seed/1",
        "users": _USERS,
        "projects": [{"key": "SHOP", "name": "Shop"}],
        "tasks": tasks,
    }
    return load_seed(data, flavour=FLAVOURS[flavour])  # type: ignore[arg-type]


def _task(number: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "project": "SHOP",
        "number": number,
        "title": f"Task {number}",
        "status": "new",
        "reporter": "dev",
        "assignees": ["dev"],
        "priority": "Medium",
    }
    base.update(fields)
    return base


@pytest.fixture
def quiet_task(request: pytest.FixtureRequest) -> Iterator[tuple[SandboxServer, Seed, str]]:
    """SHOP-1 in progress since three weeks ago, untouched since; SHOP-2 beside it."""
    flavour: str = request.param
    weeks_ago = (datetime.now(UTC) - timedelta(days=21)).isoformat(timespec="seconds")
    seed = _seed(
        flavour,
        [
            _task(1, status="in_progress", created=weeks_ago, started=weeks_ago),
            _task(2, created=weeks_ago),
        ],
    )
    with serve(seed, flavour) as server:
        yield server, seed, flavour


def _stale(connector: JiraConnector, cursor: dict[str, Any] | None) -> tuple[Finding | None, Any]:
    tasks, cursor = full_sync(connector, cursor)
    task = next(t for t in tasks if t.key == "SHOP-1")
    return Stale().check(task, _ctx(datetime.now(UTC))), cursor


def _ctx(now: datetime) -> Context:
    calendar = BusinessCalendar()
    return Context(now, calendar.local_date(now), calendar)


@pytest.mark.parametrize(
    "edit",
    [{"priority": {"name": "Highest"}}, {"summary": "Баннеры 8 размеров, без анимации"}],
    ids=["priority", "summary"],
)
@pytest.mark.parametrize("quiet_task", ["cloud", "dc"], indirect=True)
def test_a_person_editing_a_field_is_activity_ranking_and_the_bot_are_not(
    quiet_task: tuple[SandboxServer, Seed, str], jira_connector: Connect, edit: dict[str, Any]
) -> None:
    server, seed, flavour = quiet_task
    connector = jira_connector(server, seed, flavour)
    finding, cursor = _stale(connector, None)
    assert finding is not None  # three quiet weeks: stale

    with client(server, flavour, user="dev") as person:
        person.rank("SHOP-1", next_issue="SHOP-2")  # a card dragged up the board
    finding, cursor = _stale(connector, cursor)
    assert finding is not None, "re-ranking is not work on the task"

    sandbox_act(
        server,
        {"action": "update", "task": "SHOP-1", "as": "bot", "fields": {"priority": "High"}},
    )
    finding, cursor = _stale(connector, cursor)
    assert finding is not None, "the bot's own change never counts"

    with client(server, flavour, user="dev") as person:
        person.issue("SHOP-1").update(**edit)
    finding, cursor = _stale(connector, cursor)
    assert finding is None, f"a person edited the task today: {edit}"


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_a_task_reopened_months_after_its_start_date_is_measured_from_the_reopen(
    flavour: str, jira_connector: Connect
) -> None:
    """Start date in spring, done in summer, reopened today with a deadline in two weeks:
    its checkpoint is a share of those two weeks, not long past, and a finding about the
    new spell is a new finding (its fingerprint follows the spell)."""
    now = datetime.now(UTC)
    months_ago = now - timedelta(days=150)
    seed = _seed(
        flavour,
        [
            _task(
                1,
                status="done",
                created=months_ago.isoformat(timespec="seconds"),
                started=months_ago.isoformat(timespec="seconds"),
                start_date=months_ago.date().isoformat(),
                resolved=(now - timedelta(days=120)).isoformat(timespec="seconds"),
                due=(now + timedelta(days=14)).date().isoformat(),
            )
        ],
    )
    rule = Checkpoint()
    with serve(seed, flavour) as server:
        # The task was done months ago: outside the backfill's window of done tasks.
        source = {"start_date_field": "Start date", "backfill_done_days": None}
        connector = jira_connector(server, seed, flavour, source=source)
        tasks, cursor = full_sync(connector, None)
        before: Task = tasks[0]
        assert before.start is not None
        assert before.start.date() == months_ago.date()
        old = rule.check(before, _ctx(now))
        assert old is not None  # the old spell's checkpoint passed long ago

        for status in ("new", "in_progress"):
            sandbox_act(
                server, {"action": "transition", "task": "SHOP-1", "as": "dev", "status": status}
            )
        tasks, _ = full_sync(connector, cursor)
    reopened = tasks[0]
    assert reopened.start is not None
    assert reopened.start >= now - timedelta(minutes=5)
    assert rule.check(reopened, _ctx(datetime.now(UTC))) is None
    later = rule.check(reopened, _ctx(now + timedelta(days=13)))
    assert later is not None
    assert later.fingerprint != old.fingerprint


def test_a_start_date_set_after_the_reopen_still_wins() -> None:
    """A task reopened in May and planned to start on 1 June starts on 1 June."""
    from connectors.jira.history import spell_start
    from connectors.jira.values import JiraContext
    from syncd.core.models import Person

    ctx = JiraContext("s", "https://jira", True, "adf", Person(id="bot", name="syncd"))
    reopen = {
        "created": "2026-05-10T10:00:00.000+0000",
        "items": [{"field": "status", "fromString": "Done", "toString": "In Progress"}],
    }
    planned = datetime(2026, 6, 1, tzinfo=UTC)
    assert spell_start([reopen], ctx, planned) == planned
    earlier = datetime(2026, 4, 1, tzinfo=UTC)
    assert spell_start([reopen], ctx, earlier) == datetime(2026, 5, 10, 10, tzinfo=UTC)
    assert date(2026, 5, 10) == spell_start([reopen], ctx, None).date()  # type: ignore[union-attr]
