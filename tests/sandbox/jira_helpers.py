"""Shared set-up for the sandbox Jira tests: the example seed, servers per flavour, and
clients of the real ``jira`` library configured the way a connector would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jira import JIRA

from connectors.sandbox.common.seed import Seed, load_seed
from connectors.sandbox.jira.app import create_jira_app
from connectors.sandbox.server import SandboxServer
from tests.support.reference import REFERENCE, missing

REPO = Path(__file__).resolve().parents[2]
SHARED = REFERENCE
EXAMPLE = SHARED / "seed-example.json"
LOCAL_EXAMPLE = REPO / "connectors" / "sandbox" / "seeds" / "example.json"


def example_seed(flavour: str = "jira-cloud") -> Seed:
    """The shared example seed (a copy ships as connectors/sandbox/seeds/example.json, the
    one the README's walkthrough serves)."""
    path = EXAMPLE if EXAMPLE.exists() else LOCAL_EXAMPLE
    if not path.exists():
        missing(f"seed example not found at {EXAMPLE} nor at {LOCAL_EXAMPLE}")
    return load_seed(path, flavour=flavour)  # type: ignore[arg-type]


@contextmanager
def serve(seed: Seed, flavour: str, **options: Any) -> Iterator[SandboxServer]:
    with SandboxServer(create_jira_app(seed, flavour, **options)) as server:  # type: ignore[arg-type]
        yield server


@contextmanager
def client(
    server: SandboxServer, flavour: str, version: str = "2", user: str = "bot"
) -> Iterator[JIRA]:
    """A ``jira.JIRA`` for ``user`` of the server's seed (retries off: tests see every answer)."""
    jira = _connect(server, flavour, version, user)
    try:
        yield jira
    finally:
        jira.close()


def _connect(server: SandboxServer, flavour: str, version: str, user: str) -> JIRA:
    seed: Seed = server.app.state.jira.store.seed  # type: ignore[attr-defined]
    u = seed.user(user)
    assert u.token is not None
    if flavour == "cloud":
        return JIRA(
            server.url,
            basic_auth=(u.email, u.token),
            options={"rest_api_version": version},
            max_retries=0,
            timeout=10,
        )
    return JIRA(server.url, token_auth=u.token, max_retries=0, timeout=10)
