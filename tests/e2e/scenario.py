"""A small agency scenario and the wiring to run syncd's real cycle against a sandbox.

``Scenario`` starts a sandbox tracker over real HTTP, points a policy at it and builds the
same ``SourceRunner``s the daemon uses, on a SQLite store in a temp dir. ``restart()``
drops every object and builds them again on the same files — what a process restart does.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from config.policy import Policy
from config.settings import Settings
from connectors.sandbox.common.seed import Seed, load_seed
from connectors.sandbox.server import SandboxServer, create_app
from syncd.core.clock import SystemClock
from syncd.source_cycle import CycleReport, SourceRunner, build_runners
from syncd.store import Store, open_store

DEFAULT_NOW = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def agency_seed(now: datetime = DEFAULT_NOW) -> dict[str, Any]:
    """SHOP-1 breaks three rules at once (no goal/criteria, overdue, checkpoint missed) but
    is not stale (a human commented yesterday); SHOP-2 is in order. Dates are relative to
    ``now`` (by default Tuesday 24 Nov 2026, 11:00 in Moscow)."""
    now = now.astimezone(ZoneInfo("Europe/Moscow"))

    def at(**delta: float) -> str:
        return (now + timedelta(**delta)).isoformat()

    def day(days: int) -> str:
        return (now + timedelta(days=days)).date().isoformat()

    user = {"time_zone": "Europe/Moscow"}
    return {
        "format": "syncd-seed/1",
        "now": now.isoformat(),
        "users": [
            {
                "id": "bot",
                "name": "syncd",
                "username": "syncd-bot",
                "email": "bot@agency.example",
                "bot": True,
                "token": "bot-token",
                **user,
            },
            {
                "id": "olga",
                "name": "Ольга Смирнова",
                "username": "olga",
                "email": "olga@agency.example",
                "token": "olga-token",
                **user,
            },
            {
                "id": "dima",
                "name": "Дмитрий Ковалёв",
                "username": "dima",
                "email": "dima@agency.example",
                **user,
            },
        ],
        "projects": [{"key": "SHOP", "name": "Смартфон-маркет", "client": "Смартфон-маркет"}],
        "tasks": [
            {
                "project": "SHOP",
                "number": 1,
                "title": "Аудит сайта",
                "status": "in_progress",
                "assignees": ["dima"],
                "reporter": "olga",
                "priority": "High",
                "created": at(days=-8, hours=-1),
                "started": at(days=-7, hours=-1),
                "due": day(-1),
                "description": "Нужно сделать аудит сайта.",
                "comments": [
                    {"author": "dima", "created": at(hours=-20), "body": "Работаю, почти готово."}
                ],
            },
            {
                "project": "SHOP",
                "number": 2,
                "title": "Дизайн письма «Чёрная пятница»",
                "type": "Design",
                "status": "in_progress",
                "assignees": ["dima"],
                "reporter": "olga",
                "priority": "Medium",
                "created": at(days=-4, hours=-1),
                "started": at(days=-1, hours=-1),
                "due": day(10),
                "description": "## Цель\nУвеличить выручку от рассылки на 15 % к прошлому году.\n\n"
                "## Критерии приёмки\n- макет 600 px, тёмная и светлая тема\n",
                "comments": [
                    {
                        "author": "dima",
                        "created": at(hours=-19),
                        "body": "Статус: первая версия макета готова.",
                    }
                ],
            },
        ],
    }


def policy_for(
    url: str,
    *,
    working_hours: tuple[str, str] = ("09:00", "19:00"),
    weekend: tuple[int, ...] = (5, 6),
    budget: int = 30,
    name: str = "agency",
    flavour: str = "jira-cloud",
) -> Policy:
    tracker: dict[str, Any] = (
        {
            "type": "gitlab",
            "auth": {"kind": "private_token", "secret": "E2E_TOKEN"},
            "scope": {"project": "agency/shop"},
        }
        if flavour == "gitlab"
        else {
            "type": "jira",
            "auth": (
                {"kind": "bearer", "secret": "E2E_TOKEN"}
                if flavour == "jira-dc"
                else {"kind": "basic", "user": "bot@agency.example", "secret": "E2E_TOKEN"}
            ),
            "scope": {"jql": "project = SHOP"},
        }
    )
    return Policy.model_validate(
        {
            "sources": [
                {
                    "name": name,
                    "url": url,
                    "enforce": True,
                    "language": "ru",
                    **tracker,
                    "calendar": {
                        "country": "RU",
                        "timezone": "Europe/Moscow",
                        "weekend": list(weekend),
                        "working_hours": {"start": working_hours[0], "end": working_hours[1]},
                    },
                    "max_actions_per_cycle": budget,
                    "labels_on_finding": True,
                }
            ],
        }
    )


def policy_yaml(url: str, **kwargs: Any) -> str:
    """The same policy as a file, for tests that run ``syncd`` as a process."""
    return json.dumps(policy_for(url, **kwargs).model_dump(mode="json"), ensure_ascii=False)


@dataclass
class Scenario:
    tmp: Path
    seed_data: dict[str, Any] = field(default_factory=agency_seed)
    policy_kwargs: dict[str, Any] = field(default_factory=dict)
    flavour: str = "jira-cloud"
    """The sandbox tracker: ``jira-cloud`` (default), ``jira-dc`` or ``gitlab``."""

    def __post_init__(self) -> None:
        self.seed: Seed = load_seed(self.seed_data, flavour=self.flavour)  # type: ignore[arg-type]
        self.server = SandboxServer(create_app(self.flavour, self.seed))
        self.server.start()
        self.policy = policy_for(self.server.url, flavour=self.flavour, **self.policy_kwargs)
        self.settings = Settings(data_dir=self.tmp, state_url=f"sqlite:///{self.tmp}/syncd.db")
        self.store: Store | None = None
        self.runners: list[SourceRunner] = []
        self.restart()

    @property
    def runner(self) -> SourceRunner:
        return self.runners[0]

    def restart(self) -> None:
        self.shutdown_syncd()
        self.store = open_store(self.settings.resolved_state_url())
        self.runners = build_runners(
            self.policy,
            self.settings,
            self.store,
            SystemClock(),
            env={"E2E_TOKEN": "bot-token"},
        )

    def key(self, number: int) -> str:
        """The tracker's key of task ``number`` of the SHOP project."""
        return f"agency/shop#{number}" if self.flavour == "gitlab" else f"SHOP-{number}"

    def rename_source(self, name: str) -> None:
        """The operator renames the source in the policy and restarts syncd."""
        self.policy_kwargs["name"] = name
        self.policy = policy_for(self.server.url, flavour=self.flavour, **self.policy_kwargs)
        self.restart()

    def cycle(self, at: datetime) -> CycleReport:
        return self.runner.run_cycle(at)

    def bot_comments(self, key: str) -> list[str]:
        task = self.runner.connector.fetch_task(key)
        assert task is not None
        return [c.body for c in task.comments if c.is_bot]

    def labels(self, key: str) -> tuple[str, ...]:
        task = self.runner.connector.fetch_task(key)
        assert task is not None
        return task.labels

    def act(self, payload: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.server.url + "/_sandbox/act",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def shutdown_syncd(self) -> None:
        for runner in self.runners:
            runner.close()
        self.runners = []
        if self.store is not None:
            self.store.close()
            self.store = None

    def close(self) -> None:
        self.shutdown_syncd()
        self.server.stop()


def scenario(
    tmp: Path, flavour: str = "jira-cloud", **policy_kwargs: Any
) -> Generator[Scenario, None, None]:
    sc = Scenario(tmp, policy_kwargs=policy_kwargs, flavour=flavour)
    try:
        yield sc
    finally:
        sc.close()
