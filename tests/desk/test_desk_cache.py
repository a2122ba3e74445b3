"""The desk keeps a manager's built view while the shared store has not moved, and builds
it again as soon as any replica writes what the view was drawn from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from rules.engine import Engine
from syncd.core.clock import FrozenClock
from syncd.desk.access import sign_link
from syncd.desk.cache import ViewCache
from syncd.desk.pages import build_view
from syncd.store import open_store
from tests.desk.scene import SECRET, desk_of, desk_scenario, served
from tests.e2e.scenario import DEFAULT_NOW, Scenario


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from desk_scenario(tmp_path)


def test_requests_without_a_change_build_the_view_once(sc: Scenario) -> None:
    desk, _ = desk_of(sc)
    with served(sc, desk=desk) as client:
        client.get("/desk/login/" + sign_link(SECRET, "Olga", DEFAULT_NOW, 30))  # 1st build
        first = client.get("/desk/")
        timeline = client.get("/desk/timeline")
        again = client.get("/desk/")
        client.cookies.clear()
        client.get("/desk/login/" + sign_link(SECRET, "Boris", DEFAULT_NOW, 30))  # his own
    assert first.status_code == timeline.status_code == again.status_code == 200
    assert again.text == first.text
    assert "SHOP-1" in first.text
    assert "SHOP-1" in timeline.text
    assert desk.views.builds == 2  # Olga's view once, Boris's once


def test_another_replicas_write_shows_on_the_next_request(sc: Scenario) -> None:
    desk, _ = desk_of(sc)
    with served(sc, desk=desk) as client:
        client.get("/desk/login/" + sign_link(SECRET, "Olga", DEFAULT_NOW, 30))
        before = client.get("/desk/").text
        # Another replica's store over the same database re-reads SHOP-1 with a new title.
        other = open_store(sc.settings.resolved_state_url())
        try:
            task = other.get_task("agency", "SHOP-1")
            assert task is not None
            assert task.title in before
            renamed = task.model_copy(
                update={
                    "title": "Renamed by the other replica",
                    "updated": task.updated + timedelta(minutes=1),
                }
            )
            other.upsert_tasks([renamed])
        finally:
            other.close()
        after = client.get("/desk/").text
        timeline = client.get("/desk/timeline").text
    assert "Renamed by the other replica" not in before
    assert "Renamed by the other replica" in after
    assert "Renamed by the other replica" in timeline
    assert desk.views.builds == 2


def test_the_cache_keeps_a_bounded_number_of_views(sc: Scenario) -> None:
    assert sc.store is not None
    views = ViewCache(max_entries=2)
    policy = sc.policy
    olga = build_view(policy, sc.store, Engine.from_policy(policy), policy.managers[0], DEFAULT_NOW)
    for minute in range(3):  # three keys: the first is let go
        views.view(("k", minute), lambda: olga, policy=policy)
    views.view(("k", 0), lambda: olga, policy=policy)
    assert views.builds == 4  # (k, 0) again: it had been let go
    views.view(("k", 2), lambda: olga, policy=policy)
    assert views.builds == 4  # still kept


def test_the_next_minute_rebuilds_the_view_from_the_tasks_already_parsed(
    sc: Scenario,
) -> None:
    clock = FrozenClock(DEFAULT_NOW)
    desk, _ = desk_of(sc, clock=clock)
    with served(sc, desk=desk) as client:
        client.get("/desk/login/" + sign_link(SECRET, "Olga", DEFAULT_NOW, 30))
        first = client.get("/desk/timeline").text
        clock.advance(timedelta(minutes=1))
        later = client.get("/desk/timeline").text
        assert (desk.views.builds, desk.views.reads) == (2, 1)  # rules again, not the read
        clock.advance(timedelta(days=25))  # every task overdue by now (the link lasts 30)
        month_on = client.get("/desk/timeline").text
        # Only the latest view of a manager is kept: the earlier minutes' are never asked
        # for again, and their findings would weigh on every garbage collection.
        assert desk.views.kept == 1
        client.cookies.clear()
        client.get("/desk/login/" + sign_link(SECRET, "Boris", DEFAULT_NOW, 30))
        assert desk.views.kept == 2  # his own beside hers
    assert (desk.views.builds, desk.views.reads) == (4, 2)
    # The view follows the clock: a month on, every bar is drawn overdue.
    bars = month_on.count('<g class="task ')
    assert bars == first.count('<g class="task ') > 0
    assert month_on.count('<g class="task s-late"') == bars
    assert later.count('<g class="task s-late"') < bars
