"""What a cycle reads, counted at the sandbox: the real cycle and factory-built connectors
over real HTTP. A full sync is a sweep (no listing of open keys follows it in the same
cycle); on GitLab, what syncd itself wrote in a cycle is not read back in the next."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.scenario import Scenario, scenario

TUESDAY_11 = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture
def gitlab(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path, flavour="gitlab")


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path)


def test_no_sweep_right_after_a_full_sync(cloud: Scenario) -> None:
    cloud.cycle(TUESDAY_11)
    key_only = [
        e
        for e in cloud.server.log.entries()
        if e.path.endswith("/search/jql") and parse_qs(e.query).get("fields") == ["key"]
    ]
    assert key_only == []  # the full sync saw every task in scope: that was the sweep
    assert cloud.store is not None
    cursor = cloud.store.get_cursor("agency")
    assert cursor is not None
    assert cursor["swept_at"] == TUESDAY_11.isoformat()

    cloud.cycle(TUESDAY_11 + timedelta(hours=7))  # past scope_sweep_every (6 h): it sweeps
    assert any(parse_qs(e.query).get("fields") == ["key"] for e in cloud.server.log.entries())


def test_gitlab_does_not_read_back_the_reminder_and_label_it_wrote(gitlab: Scenario) -> None:
    first = gitlab.cycle(TUESDAY_11)
    assert first.posted == 1
    gitlab.server.log.clear()

    second = gitlab.cycle(TUESDAY_11 + timedelta(minutes=5))

    assert second.synced == 1  # the issue syncd commented on and labelled
    per_issue = [e.path for e in gitlab.server.log.entries() if re.search(r"/issues/\d+/", e.path)]
    assert per_issue == []
    assert second.posted == 0
