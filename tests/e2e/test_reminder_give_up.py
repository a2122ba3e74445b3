"""The two guards that keep syncd from hammering a tracker that says no: a reminder the
tracker refuses every time is given up after ``MAX_ATTEMPTS`` cycles (the other tasks keep
getting theirs), and a cycle whose posts all fail stops after ``FAILURES_IN_A_ROW``.
Real cycle, sandbox Jira over real HTTP, faults at the HTTP layer; every count is what
reached the tracker."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from syncd.reconcile import FAILURES_IN_A_ROW, MAX_ATTEMPTS
from tests.e2e.scenario import Scenario, agency_seed, scenario
from tests.e2e.test_reminder_failures import CRITERIA_ONLY, TUESDAY_11

SHOP2_COMMENT = r"/issue/SHOP-2/comment$"
ANY_COMMENT = r"/issue/[^/]+/comment$"


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path)


def test_a_comment_refused_forever_is_given_up_and_the_others_still_reminded(
    sc: Scenario,
) -> None:
    broken = {"description": CRITERIA_ONLY}
    sc.act({"action": "update", "task": "SHOP-2", "as": "olga", "fields": broken})
    sc.server.faults.add(
        kind="status",
        status=400,
        body={"errorMessages": ["Comment body is not valid"], "errors": {}},
        method="POST",
        path=SHOP2_COMMENT,
        times=None,
    )
    cycles = MAX_ATTEMPTS + 3
    with capture_logs() as logs:
        for hour in range(cycles):
            sc.cycle(TUESDAY_11 + timedelta(hours=hour))
    assert sc.server.log.count("POST", SHOP2_COMMENT) == MAX_ATTEMPTS  # then no more
    assert len(sc.bot_comments("SHOP-1")) == 1  # the other task was not held up
    assert sc.bot_comments("SHOP-2") == []
    given_up = [e for e in logs if e["event"] == "reminder given up after repeated refusals"]
    assert [(e["task"], e["attempts"]) for e in given_up] == [("SHOP-2", MAX_ATTEMPTS)]
    assert sc.store is not None
    states = {a.task_key: a.state for a in sc.store.actions("agency", state=None)}
    assert states == {"SHOP-1": "done", "SHOP-2": "failed"}


def seed_with_broken_tasks(count: int) -> dict[str, Any]:
    """The agency seed plus ``count`` more tasks each needing a reminder, like SHOP-1."""
    seed = agency_seed()
    template = seed["tasks"][0]
    for number in range(3, 3 + count):
        task = copy.deepcopy(template)
        task.update(number=number, title=f"Аудит раздела {number}")
        seed["tasks"].append(task)
    return seed


def test_a_tracker_refusing_every_post_is_left_alone_after_a_few_failures(
    tmp_path: Path,
) -> None:
    sc = Scenario(tmp_path, seed_data=seed_with_broken_tasks(4))  # SHOP-1, SHOP-3..6
    try:
        sc.server.faults.add(kind="status", status=500, method="POST", path=ANY_COMMENT, times=None)
        report = sc.cycle(TUESDAY_11)
        assert sc.server.log.count("POST", ANY_COMMENT) == FAILURES_IN_A_ROW
        assert report.failed == FAILURES_IN_A_ROW
        assert report.deferred == 5 - FAILURES_IN_A_ROW  # not tried: waiting for next cycle
        sc.server.faults.clear()
        healed = sc.cycle(TUESDAY_11 + timedelta(hours=1))
        assert healed.failed == 0
        for key in ("SHOP-1", "SHOP-3", "SHOP-4", "SHOP-5", "SHOP-6"):
            assert len(sc.bot_comments(key)) == 1, key
    finally:
        sc.close()
