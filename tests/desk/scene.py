"""Two managers over one sandbox Jira, the store filled by a real cycle: Olga owns the
SHOP client, Boris the ADS client, whose task has a hostile title."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from config.policy import Policy
from config.settings import Settings
from syncd.core.clock import FrozenClock
from syncd.desk.app import Desk
from syncd.http_server import HttpServer, build_app
from syncd.metrics import Metrics
from tests.e2e.scenario import DEFAULT_NOW, Scenario, agency_seed

SECRET = "desk-test-secret"
HOSTILE = "<script>alert(1)</script>\u202e evil \u2067"


def desk_seed() -> dict[str, Any]:
    data = agency_seed()
    data["projects"].append({"key": "ADS", "name": "Реклама", "client": "Ads Co"})
    data["tasks"].append(
        {
            "project": "ADS",
            "number": 1,
            "title": HOSTILE,
            "status": "in_progress",
            "assignees": ["dima"],
            "reporter": "olga",
            "priority": "High",
            "created": (DEFAULT_NOW - timedelta(days=3)).isoformat(),
            "started": (DEFAULT_NOW - timedelta(days=2)).isoformat(),
            "due": (DEFAULT_NOW + timedelta(days=9)).date().isoformat(),
            "description": "## Цель\nУвеличить продажи на 10 %\n## Критерии приёмки\n- баннеры",
        }
    )
    return data


def desk_policy(url: str, base: Policy) -> Policy:
    data = base.model_dump(mode="json")
    data["sources"][0]["scope"] = {"jql": "project in (SHOP, ADS)"}
    data["clients"] = {"SHOP": "Смартфон-маркет", "ADS": "Ads Co"}
    data["managers"] = [
        {
            "name": "Olga",
            "email": "olga@agency.example",
            "language": "ru",
            "timezone": "Europe/Moscow",
            "owns": [{"source": "agency", "projects": ["SHOP"]}],
        },
        {
            "name": "Boris",
            "email": "boris@agency.example",
            "language": "en",
            "timezone": "Europe/Moscow",
            "owns": [{"source": "agency", "projects": ["ADS"]}],
        },
    ]
    return Policy.model_validate(data)


def desk_scenario(tmp: Path) -> Iterator[Scenario]:
    sc = Scenario(tmp, seed_data=desk_seed())
    try:
        sc.policy = desk_policy(sc.server.url, sc.policy)
        sc.restart()
        sc.cycle(DEFAULT_NOW)
        yield sc
    finally:
        sc.close()


def desk_of(
    sc: Scenario, settings: dict[str, Any] | None = None, clock: FrozenClock | None = None
) -> tuple[Desk, Settings]:
    """The desk over the scenario's store, at ``clock`` (else DEFAULT_NOW), and the
    settings it was made of."""
    assert sc.store is not None
    s = Settings(data_dir=sc.tmp, **{"desk_secret": SECRET, **(settings or {})})
    policy = sc.policy
    return Desk(s, lambda: policy, sc.store, (clock or FrozenClock(DEFAULT_NOW)).now), s


def desk_app(sc: Scenario, settings: dict[str, Any] | None = None, desk: Desk | None = None) -> Any:
    """The daemon's HTTP app with the desk (``desk``, else a new one over the scenario)."""
    made, s = desk_of(sc, settings)
    return app_of(desk or made, s)


def app_of(desk: Desk, settings: Settings) -> Any:
    """The daemon's HTTP app serving ``desk`` (and nothing else of a daemon)."""
    return build_app(_Idle(), Metrics(), settings, desk)


@contextmanager
def served(
    sc: Scenario, settings: dict[str, Any] | None = None, desk: Desk | None = None
) -> Iterator[httpx.Client]:
    """The app on a real socket (127.0.0.1, a free port) and a client with a cookie jar."""
    with serving(desk_app(sc, settings, desk)) as client:
        yield client


@contextmanager
def serving(app: Any) -> Iterator[httpx.Client]:
    """``app`` on a real socket (127.0.0.1, a free port) and a client with a cookie jar."""
    server = HttpServer(app, "127.0.0.1", 0)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60, follow_redirects=True) as client:
            yield client
    finally:
        server.stop()


class _Idle:
    """A daemon with nothing to say: the desk needs none of it."""

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        return True, {}

    def hint(self, tracker: str, project: str | None, key: str) -> list[str]:
        del tracker, project, key
        return []
