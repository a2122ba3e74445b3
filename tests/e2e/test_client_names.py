"""Client names in digests without a ``clients:`` entry: the tracker's own grouping (the
Jira project category, the GitLab subgroup), then the project's name — never the bare key.

Each case syncs a sandbox tracker over real HTTP with the production connector and renders
the manager's digest from what was stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from config.policy import Policy
from config.settings import Settings
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.gitlab.app import create_gitlab_app
from connectors.sandbox.server import SandboxServer, create_app
from syncd.core.clock import SystemClock
from syncd.digest.dispatch import DigestService
from syncd.source_cycle import build_runners
from syncd.store import Store, open_store
from tests.e2e.scenario import DEFAULT_NOW, agency_seed, policy_for

MANAGER = "Ольга Смирнова"


def _seed() -> dict[str, Any]:
    """SHOP and NOVA belong to clients (Jira: a project category; GitLab: a subgroup),
    SOLO has no grouping of its own (its client is its name)."""
    seed = agency_seed()
    seed["projects"] = [
        {"key": "SHOP", "name": "Смартфон-маркет: рассылки", "client": "Смартфон-маркет"},
        {"key": "NOVA", "name": "Nova Bank website", "client": "Nova Bank"},
        {"key": "SOLO", "name": "Внутренний сайт агентства"},
    ]
    first = seed["tasks"][0]
    seed["tasks"] += [
        {**first, "project": "NOVA", "number": 1, "title": "Лендинг вклада"},
        {**first, "project": "SOLO", "number": 1, "title": "Новая главная"},
    ]
    return seed


def _policy(url: str, flavour: str, clients: dict[str, str]) -> Policy:
    data = policy_for(url, flavour=flavour).model_dump(mode="json")
    source = data["sources"][0]
    if flavour == "gitlab":
        source["scope"] = {"group": "agency"}
    else:
        source["scope"] = {"jql": "project in (SHOP, NOVA, SOLO)"}
    data["clients"] = clients
    data["managers"] = [
        {
            "name": MANAGER,
            "timezone": "Europe/Moscow",
            "language": "ru",
            "owns": [{"source": "agency"}],
            "channels": [{"type": "webhook", "url_secret": "DIGEST_HOOK_URL"}],
        }
    ]
    return Policy.model_validate(data)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path}/syncd.db")
    yield opened
    opened.close()


def _digest_clients(
    flavour: str, store: Store, tmp_path: Path, clients: dict[str, str]
) -> tuple[set[str], set[str], int]:
    """(headline clients, clients named on the digest's items, project reads) after one
    sync."""
    seed = load_seed(_seed(), flavour=flavour)  # type: ignore[arg-type]
    app: Any = (
        create_gitlab_app(seed, client_subgroups=True)
        if flavour == "gitlab"
        else create_app(flavour, seed)
    )
    server = SandboxServer(app)
    server.start()
    try:
        policy = _policy(server.url, flavour, clients)
        settings = Settings(data_dir=tmp_path)
        env = {"E2E_TOKEN": "bot-token"}
        for runner in build_runners(policy, settings, store, SystemClock(), env=env):
            try:
                runner.sync()
            finally:
                runner.close()
        project_reads = server.log.count("GET", r"/projects/\d+$|/project/[^/]+$")
    finally:
        server.stop()
    at = datetime(2026, 11, 24, 9, 0, tzinfo=DEFAULT_NOW.tzinfo)
    text = DigestService(policy, store, dry_run=True).preview(MANAGER, "webhook", at)
    digest = json.loads(text)
    headlines = {h["client"] for h in digest["headlines"]}
    items = {i["client"] for s in digest["sections"] for i in s["items"]}
    return headlines, items, project_reads


@pytest.mark.parametrize("flavour", ["jira-cloud", "jira-dc", "gitlab"])
def test_digest_names_clients_by_the_trackers_grouping_then_the_project_name(
    flavour: str, store: Store, tmp_path: Path
) -> None:
    headlines, items, project_reads = _digest_clients(flavour, store, tmp_path, {})
    expected = {"Смартфон-маркет", "Nova Bank", "Внутренний сайт агентства"}
    assert headlines == expected
    assert items <= expected
    assert "Nova Bank" in items
    # Jira embeds the category in every issue; GitLab's project is read once, not per issue.
    assert project_reads == (3 if flavour == "gitlab" else 0)


@pytest.mark.parametrize("flavour", ["jira-cloud", "gitlab"])
def test_a_clients_entry_in_the_policy_still_wins(
    flavour: str, store: Store, tmp_path: Path
) -> None:
    project = "agency/nova-bank/nova" if flavour == "gitlab" else "NOVA"
    headlines, _, _ = _digest_clients(flavour, store, tmp_path, {project: "Нова Банк (договор 7)"})
    assert headlines == {"Смартфон-маркет", "Нова Банк (договор 7)", "Внутренний сайт агентства"}
