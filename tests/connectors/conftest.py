"""Fixtures for connector tests: sandbox Jira servers over real HTTP and connectors on them.

``jira_sandbox(flavour, seed=None)`` starts a fresh sandbox (function scope: tests write
comments and labels, so none shares state); ``jira_connector(server, seed, **kw)`` connects
the production connector as the seed's bot user with a recording sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from config.policy import AuthConfig, SourceConfig, SourceScope
from connectors.http.retry import RetryPolicy
from connectors.jira import JiraConnector
from connectors.sandbox.common.seed import Seed, load_seed
from connectors.sandbox.gitlab.fixtures import scenario_seed, serve_gitlab
from connectors.sandbox.server import DEMO_SEED, SandboxServer, create_app

__all__ = ["RecordingSleep", "jira_source"]

FLAVOURS = {"cloud": "jira-cloud", "dc": "jira-dc"}


class RecordingSleep(list[float]):
    """An injectable sleep that records the waits instead of sleeping them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def jira_source(
    url: str, seed: Seed, sandbox_flavour: str, **overrides: Any
) -> tuple[SourceConfig, SecretStr]:
    bot = seed.bot()
    if bot is None or not bot.token:
        raise ValueError("the seed needs a bot user with a token")
    projects = ", ".join(p.key for p in seed.projects)
    auth = (
        AuthConfig(kind="basic", user=bot.email, secret="JIRA_TOKEN")
        if sandbox_flavour == "cloud"
        else AuthConfig(kind="bearer", secret="JIRA_TOKEN")
    )
    fields: dict[str, Any] = {
        "name": "agency",
        "type": "jira",
        "url": url,
        "auth": auth,
        "scope": SourceScope(jql=f"project in ({projects})"),
    }
    fields.update(overrides)
    config = SourceConfig(**fields)
    return config, SecretStr(bot.token)


@pytest.fixture
def jira_sandbox() -> Iterator[Callable[..., tuple[SandboxServer, Seed]]]:
    servers: list[SandboxServer] = []

    def start(
        flavour: str,
        seed: Seed | dict[str, Any] | None = None,
        *,
        short_pages: bool = False,
        drop_comment_properties: bool = False,
    ) -> tuple[SandboxServer, Seed]:
        name = FLAVOURS[flavour]
        loaded = seed if isinstance(seed, Seed) else load_seed(seed or DEMO_SEED, flavour=name)  # type: ignore[arg-type]
        if short_pages or drop_comment_properties:  # short pages: Cloud only
            from connectors.sandbox.jira.app import create_jira_app

            app: Any = create_jira_app(
                loaded,
                "cloud" if short_pages else flavour,  # type: ignore[arg-type]
                short_pages=short_pages,
                drop_comment_properties=drop_comment_properties,
            )
        else:
            app = create_app(name, loaded)
        server = SandboxServer(app)
        server.start()
        servers.append(server)
        return server, loaded

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def jira_connector() -> Iterator[Callable[..., JiraConnector]]:
    made: list[JiraConnector] = []

    def connect(
        server: SandboxServer,
        seed: Seed,
        flavour: str,
        *,
        sleep: RecordingSleep | None = None,
        source: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> JiraConnector:
        config, token = jira_source(server.url, seed, flavour, **(source or {}))
        retry = kwargs.pop("retry", None) or RetryPolicy(
            sleep=sleep if sleep is not None else RecordingSleep()
        )
        connector = JiraConnector(config, token, retry=retry, **kwargs)
        made.append(connector)
        return connector

    yield connect
    for connector in made:
        connector.close()


def sandbox_act(server: SandboxServer, payload: dict[str, Any]) -> Any:
    """Act as a human on a running sandbox (``POST /_sandbox/act``) over HTTP."""
    import json
    import urllib.request

    request = urllib.request.Request(
        server.url + "/_sandbox/act",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def bulk_seed(n: int, *, minute: str = "2026-11-20T10:15", comments: int = 0) -> dict[str, Any]:
    """A seed of ``n`` tasks in project BULK all updated within one minute (seconds vary,
    several share the very same second), each with ``comments`` comments."""
    users = [
        {
            "id": "bot",
            "name": "syncd",
            "username": "syncd-bot",
            "email": "bot@agency.example",
            "time_zone": "Europe/Moscow",
            "bot": True,
            "token": "bot-token",
        },
        {
            "id": "am",
            "name": "Ольга",
            "username": "olga",
            "email": "olga@agency.example",
            "time_zone": "Europe/Moscow",
            "token": "am-token",
        },
    ]
    tasks = []
    for i in range(n):
        stamp = f"{minute}:{(i // 3) % 60:02d}+03:00"
        tasks.append(
            {
                "project": "BULK",
                "number": i + 1,
                "title": f"Task {i + 1}",
                "status": "new",
                "reporter": "am",
                "assignees": ["am"],
                "labels": [],
                "created": f"{minute}:00+03:00",
                "updated": stamp,
                "comments": [
                    {"author": "am", "created": f"{minute}:00+03:00", "body": f"note {c}"}
                    for c in range(comments)
                ],
            }
        )
    return {
        "format": "syncd-seed/1",
        "users": users,
        "projects": [{"key": "BULK", "name": "Bulk"}],
        "tasks": tasks,
    }


def logged(server: SandboxServer) -> list[dict[str, Any]]:
    """The sandbox request log read through ``GET /_sandbox/requests``.

    Read over HTTP rather than from ``server.log`` directly: the sandbox records a request
    after its answer has gone out, so a test thread reading the Python object right after
    the client got its last answer can miss that last entry (reported to the sandbox owner).
    The round trip through the server's event loop lets the pending record land first."""
    import json
    import urllib.request

    with urllib.request.urlopen(server.url + "/_sandbox/requests", timeout=10) as response:
        entries: list[dict[str, Any]] = json.loads(response.read())
    return entries


def clear_log(server: SandboxServer) -> None:
    """Empty the request log through the control endpoint (see ``logged`` for why)."""
    import urllib.request

    request = urllib.request.Request(server.url + "/_sandbox/requests", method="DELETE")
    with urllib.request.urlopen(request, timeout=10):
        pass


def sandbox_clock(server: SandboxServer, moment: Any) -> None:
    """Freeze the sandbox's clock at ``moment`` (an aware datetime), or unfreeze with None."""
    import json
    import urllib.request

    payload = {"now": moment.isoformat() if moment is not None else None}
    request = urllib.request.Request(
        server.url + "/_sandbox/clock",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.fixture
def gitlab_server() -> Iterator[SandboxServer]:
    """The sandbox GitLab over real HTTP with the scenario seed, fresh for each test."""
    with serve_gitlab(scenario_seed()) as srv:
        yield srv
