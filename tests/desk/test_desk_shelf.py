"""The desk's pages built over a manager's shelf (tasks parsed and rules evaluated only
where something changed) are the very pages built from scratch, at every moment and after
every kind of store change; and only the changed tasks are parsed and evaluated again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from config.policy import Policy
from config.settings import Settings
from rules.engine import Engine
from syncd.core.clock import FrozenClock
from syncd.core.models import StatusCategory
from syncd.desk.access import sign_link
from syncd.desk.app import Desk
from syncd.desk.pages import DeskView, build_view, overview_page, reports_page, timeline_page
from syncd.policy_file import read_policy_text
from syncd.store import Store, open_store
from tests.bench.bench_desk import MANAGER
from tests.bench.bench_rules import NOW, POLICY, make_task
from tests.desk.scene import SECRET, app_of, desk_of, desk_scenario, served, serving
from tests.e2e.scenario import DEFAULT_NOW, Scenario

PAGES: dict[str, Callable[[DeskView], str]] = {
    "/desk/": overview_page,
    "/desk/timeline": timeline_page,
    "/desk/reports": reports_page,
}


def from_scratch(policy: Policy, store: Store, manager: str, now: datetime) -> dict[str, str]:
    """Every cached page of ``manager`` built anew (a new engine, every task parsed and
    evaluated) at the start of ``now``'s minute, as the desk builds its views."""
    owner = next(m for m in policy.managers if m.name == manager)
    minute = now.replace(second=0, microsecond=0)
    view = build_view(policy, store, Engine.from_policy(policy), owner, minute)
    return {path: render(view) for path, render in PAGES.items()}


def fetched(client: httpx.Client) -> dict[str, str]:
    pages = {path: client.get(path) for path in PAGES}
    assert all(r.status_code == 200 for r in pages.values())
    return {path: r.text for path, r in pages.items()}


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from desk_scenario(tmp_path)


def test_the_seeded_desk_equals_the_desk_built_from_scratch(sc: Scenario) -> None:
    assert sc.store is not None
    clock = FrozenClock(DEFAULT_NOW + timedelta(seconds=17))
    desk, _ = desk_of(sc, clock=clock)
    with served(sc, desk=desk) as client:
        client.get("/desk/login/" + sign_link(SECRET, "Olga", DEFAULT_NOW, 30))
        first = fetched(client)
        assert first == from_scratch(sc.policy, sc.store, "Olga", clock.now())
        task = sc.store.get_task("agency", "SHOP-1")
        assert task is not None
        sc.store.upsert_tasks(
            [task.model_copy(update={"title": "Renamed", "updated": task.updated + timedelta(1)})]
        )
        for step in (timedelta(seconds=20), timedelta(minutes=1), timedelta(days=2)):
            clock.advance(step)
            assert fetched(client) == from_scratch(sc.policy, sc.store, "Olga", clock.now())
        clock.advance(timedelta(days=9))
        late = fetched(client)
    assert late == from_scratch(sc.policy, sc.store, "Olga", clock.now())
    assert "Renamed" in late["/desk/"]
    assert "Renamed" not in first["/desk/"]
    assert late["/desk/timeline"] != first["/desk/timeline"]  # the clock moved the bars


def test_a_store_change_parses_and_evaluates_only_the_changed_tasks(tmp_path: Path) -> None:
    policy = read_policy_text(POLICY + MANAGER)
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    store.upsert_tasks(make_task(i) for i in range(300))
    clock = FrozenClock(NOW)
    settings = Settings(data_dir=tmp_path, desk_secret=SECRET)
    desk = Desk(settings, lambda: policy, store, clock.now)
    views = desk.views

    def counts() -> tuple[int, int, int]:
        return views.reads, views.parsed, views.evaluated

    try:
        with serving(app_of(desk, settings)) as client:
            client.get("/desk/login/" + sign_link(SECRET, "Olga", NOW, 30))
            assert fetched(client) == from_scratch(policy, store, "Olga", clock.now())
            assert counts() == (1, 300, 300)

            # A poll within the minute edits one task: it alone is parsed and evaluated.
            edited = make_task(7).model_copy(
                update={"title": "Edited title", "updated": make_task(7).updated + timedelta(1)}
            )
            store.upsert_tasks([edited])
            clock.advance(timedelta(seconds=30))
            pages = fetched(client)
            assert pages == from_scratch(policy, store, "Olga", clock.now())
            assert "Edited title" in pages["/desk/"]
            assert counts() == (2, 301, 301)

            # The next minute: one task done, one gone from the tracker, one new. Only two
            # are parsed; the clock moved, but the rules' results hold until their
            # valid_until, so only tasks whose bound passed and the new one are evaluated
            # again — and the pages still equal a build from scratch.
            done = make_task(8).model_copy(
                update={
                    "status_category": StatusCategory.DONE,
                    "resolved": NOW,
                    "updated": NOW,
                }
            )
            store.upsert_tasks([done, make_task(300)])
            store.forget_tasks("agency-jira", [make_task(9).key])
            clock.advance(timedelta(minutes=1))
            pages = fetched(client)
            assert pages == from_scratch(policy, store, "Olga", clock.now())
            assert counts() == (3, 303, 301 + 1)
            assert make_task(300).key in pages["/desk/timeline"]

            clock.advance(timedelta(days=6))
            assert fetched(client) == from_scratch(policy, store, "Olga", clock.now())
            reads, parsed, evaluated = counts()
            assert (reads, parsed) == (3, 303)  # the tasks were not read again
            # Six days on, due dates and checkpoints have passed for many tasks: those are
            # evaluated again, the ones whose results still hold are not.
            assert 302 < evaluated <= 302 + 299
    finally:
        store.close()
