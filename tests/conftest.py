"""Fixtures shared by every test package. Keep this small: one block per resource."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresNotAvailable, PostgresServer

# -- PostgreSQL ------------------------------------------------------------------------
# One real server per test session (started lazily, only if a test asks for it); every
# test that needs isolation gets its own fresh database from it.


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except PostgresNotAvailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server: PostgresServer) -> str:
    """URL of one database shared by the whole session (``postgresql://…``)."""
    return pg_server.create_database("syncd_session")


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty state store URL, once per backend: a SQLite file, a fresh PG database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/syncd.db"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    with server.new_database() as url:
        yield url


# -- Secrets ---------------------------------------------------------------------------
# syncd masks every secret it has resolved, process-wide (``syncd.core.secrets_mask``). Each
# test starts with none, so a short secret one test uses ("token", "wrong") never masks
# words in another test's messages.


@pytest.fixture(autouse=True)
def _no_secrets_from_other_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    from syncd.core import secrets_mask

    monkeypatch.setattr(secrets_mask, "_PROCESS", secrets_mask.SecretMasker())
