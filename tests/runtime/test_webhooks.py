"""Webhook receivers over real HTTP: signatures, tokens, size limit, de-duplication, routing,
and hostile callers: no endpoint without a secret, bad keys, deep bodies, huge keys."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from syncd.core.models import Task
from syncd.daemon import Daemon
from syncd.http_server import HttpServer, build_app
from syncd.incoming_webhooks import MAX_BODY, InvalidKey, parse_gitlab, parse_jira, route_hint
from syncd.policy_file import read_policy_text
from syncd.store import Store
from tests.runtime.support import ScriptedRunner, wait_for
from tests.support.reference import REFERENCE as SHARED
from tests.support.reference import required

SECRET = "s3cr3t-hook"
REFERENCE = SHARED / "gitlab"
POLICY = """
sources:
  - {name: agency-jira, type: jira, url: https://agency.atlassian.net,
     auth: {kind: basic, user: bot@agency.example, secret: JIRA_TOKEN},
     scope: {jql: "project in (SHOP, WEB) ORDER BY updated"}}
  - {name: other-jira, type: jira, url: https://other.atlassian.net,
     auth: {kind: basic, user: bot@agency.example, secret: JIRA_TOKEN},
     scope: {jql: "project = ADS"}}
  - {name: gl, type: gitlab, url: https://gitlab.example,
     auth: {kind: private_token, secret: GL_TOKEN}, scope: {project: gitlabhq/gitlab-test}}
  - {name: gl-org, type: gitlab, url: https://gitlab.example,
     auth: {kind: private_token, secret: GL_TOKEN}, scope: {group: gitlab-org}}
managers:
  - {name: Olga, owns: [{source: agency-jira}]}
"""
SOURCES = read_policy_text(POLICY).sources


def reference(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(required(REFERENCE / name).read_text(encoding="utf-8"))
    return data


def jira_event(key: str) -> bytes:
    return json.dumps(
        {"timestamp": 1, "webhookEvent": "jira:issue_updated", "issue": {"id": "10001",
         "key": key, "fields": {"summary": "Banner"}}, "changelog": {"items": []}}
    ).encode()  # fmt: skip


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Site:
    def __init__(self, daemon: Daemon, runners: dict[str, ScriptedRunner], client: httpx.Client):
        self.daemon, self.runners, self.client = daemon, runners, client

    def refreshed(self) -> dict[str, list[str]]:
        return {name: list(r.refreshed) for name, r in self.runners.items() if r.refreshed}

    def settle(self, source: str, marker: str) -> None:
        """Deliver a known-good hint and wait for it: everything sent before it is done."""
        self.daemon.refresh(source, marker)
        wait_for(lambda: marker in self.runners[source].refreshed, what=f"{marker} refreshed")


@pytest.fixture
def site_factory(daemon_factory: Callable[..., Daemon]) -> Iterator[Callable[..., Site]]:
    servers: list[HttpServer] = []
    clients: list[httpx.Client] = []

    def make(secret: str | None = SECRET, *, insecure: bool = False) -> Site:
        runners = {s.name: ScriptedRunner(s.name, 60) for s in SOURCES}
        daemon = daemon_factory(
            list(runners.values()), sources=SOURCES, reread_window=0.2,
            settings={"webhook_secret": SecretStr(secret) if secret else None,
                      "webhook_insecure": insecure},
        )  # fmt: skip
        server = HttpServer(build_app(daemon, daemon.metrics, daemon.settings), "127.0.0.1", 0)
        server.start()
        servers.append(server)
        clients.append(httpx.Client(base_url=server.url, timeout=5))
        return Site(daemon, runners, clients[-1])

    yield make
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


@pytest.fixture
def site(site_factory: Callable[..., Site]) -> Site:
    return site_factory()


def test_jira_signed_delivery_is_accepted_and_refreshes_the_right_source(site: Site) -> None:
    body = jira_event("SHOP-12")
    response = site.client.post("/webhooks/jira", content=body,
                                headers={"X-Hub-Signature": sign(body)})  # fmt: skip
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "key": "SHOP-12", "sources": ["agency-jira"]}
    wait_for(lambda: site.refreshed() == {"agency-jira": ["SHOP-12"]}, what="the refresh")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature": "sha256=" + "0" * 64},
        {"X-Hub-Signature": sign(jira_event("SHOP-12"), "another-secret")},
        {"X-Hub-Signature": sign(jira_event("SHOP-13"))},  # signature of another body
        {"X-Hub-Signature": hmac.new(SECRET.encode(), jira_event("SHOP-12"), "sha256").hexdigest()},
    ],
    ids=["missing", "zeros", "wrong-secret", "other-body", "no-prefix"],
)
def test_jira_unsigned_or_wrongly_signed_is_rejected(site: Site, headers: dict[str, str]) -> None:
    response = site.client.post("/webhooks/jira", content=jira_event("SHOP-12"), headers=headers)
    assert response.status_code == 401
    site.settle("agency-jira", "MARK-1")
    assert site.refreshed() == {"agency-jira": ["MARK-1"]}
    g = site.daemon.metrics.registry.get_sample_value
    assert g("syncd_webhooks_total", {"tracker": "jira", "outcome": "unauthorized"}) == 1


def test_without_a_secret_the_endpoints_do_not_exist(site_factory: Callable[..., Site]) -> None:
    site = site_factory(secret=None)
    assert site.client.post("/webhooks/jira", content=jira_event("ADS-3")).status_code == 404
    issue = {"object_kind": "issue", "project": {"path_with_namespace": "gitlab-org/x"},
             "object_attributes": {"iid": 5}}  # fmt: skip
    assert site.client.post("/webhooks/gitlab", json=issue).status_code == 404
    site.settle("other-jira", "MARK-1")
    assert site.refreshed() == {"other-jira": ["MARK-1"]}


def test_insecure_mode_accepts_warns_and_names_no_sources(
    site_factory: Callable[..., Site],
) -> None:
    with capture_logs() as logs:
        site = site_factory(secret=None, insecure=True)
    assert any(
        e["event"] == "webhooks.unauthenticated" and e["log_level"] == "warning" for e in logs
    )
    response = site.client.post("/webhooks/jira", content=jira_event("ADS-3"))
    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}  # not which sources exist
    wait_for(lambda: site.refreshed() == {"other-jira": ["ADS-3"]})


@pytest.mark.parametrize(
    "key",
    ["../../../rest/api/3/myself?x=", "SHOP-1/../../../myself", "shop-1", "10001", ["SHOP-1"]],
)
def test_jira_hostile_key_is_refused_and_nothing_is_queued(site: Site, key: object) -> None:
    body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": key}}).encode()
    response = site.client.post("/webhooks/jira", content=body,
                                headers={"X-Hub-Signature": sign(body)})  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"error": "the issue key is not valid"}
    site.settle("agency-jira", "MARK-1")
    assert site.refreshed() == {"agency-jira": ["MARK-1"]}
    g = site.daemon.metrics.registry.get_sample_value
    assert g("syncd_webhooks_total", {"tracker": "jira", "outcome": "invalid_key"}) == 1


@pytest.mark.parametrize(
    ("path", "iid"),
    [("gitlab-org/../../api/v4/user", 1), ("gitlab-org/x?y", 1), ("gitlab-org/x", -3),
     ("gitlab-org/x", "1/../2"), (None, 1)],
)  # fmt: skip
def test_gitlab_hostile_project_or_iid_is_refused(site: Site, path: object, iid: object) -> None:
    issue = {"object_kind": "issue", "project": {"path_with_namespace": path},
             "object_attributes": {"iid": iid}}  # fmt: skip
    response = site.client.post("/webhooks/gitlab", json=issue, headers={"X-Gitlab-Token": SECRET})
    assert response.status_code == 400
    site.settle("gl-org", "MARK")
    assert site.refreshed() == {"gl-org": ["MARK"]}


def test_a_huge_key_is_shortened_in_the_log(site: Site) -> None:
    key = "SHOP-" + "9" * 500_000
    body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": key}}).encode()
    with capture_logs() as logs:
        response = site.client.post("/webhooks/jira", content=body,
                                    headers={"X-Hub-Signature": sign(body)})  # fmt: skip
    assert response.status_code == 400
    (line,) = [e for e in logs if e["event"] == "webhook.invalid_key"]
    assert len(line["key"]) < 120
    assert "500005 characters" in line["key"]
    assert all(len(str(v)) < 1000 for e in logs for v in e.values())


def test_deeply_nested_body_is_a_bad_request(site: Site) -> None:
    body = b'{"issue": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = site.client.post("/webhooks/jira", content=body,
                                headers={"X-Hub-Signature": sign(body)})  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"error": "body is not JSON"}


def test_oversize_body_is_refused_with_and_without_content_length(site: Site) -> None:
    big = b"{" + b" " * MAX_BODY + b"}"
    assert site.client.post("/webhooks/jira", content=big).status_code == 413

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to trust
        for _ in range(17):  # just over the limit: the rest fits in socket buffers
            yield b" " * 65536

    response = site.client.post("/webhooks/gitlab", content=chunks(),
                                headers={"X-Gitlab-Token": SECRET})  # fmt: skip
    assert response.status_code == 413
    site.settle("gl", "MARK")
    assert site.refreshed() == {"gl": ["MARK"]}


def test_jira_routing_unknown_project_and_store_knowledge(site: Site, store: Store) -> None:
    body = jira_event("NEW-1")  # no source names NEW: every Jira source re-reads it
    response = site.client.post("/webhooks/jira", content=body,
                                headers={"X-Hub-Signature": sign(body)})  # fmt: skip
    assert sorted(response.json()["sources"]) == ["agency-jira", "other-jira"]

    at = datetime(2026, 11, 2, tzinfo=UTC)
    store.upsert_tasks([Task(source="other-jira", key="SHOP-9", id="9", url="https://x/9",
                             project="SHOP", title="moved", created=at, updated=at)])  # fmt: skip
    body = jira_event("SHOP-9")
    response = site.client.post("/webhooks/jira", content=body,
                                headers={"X-Hub-Signature": sign(body)})  # fmt: skip
    assert response.json()["sources"] == ["other-jira"]


def test_gitlab_issue_and_note_hooks_from_the_reference(site: Site) -> None:
    issue, note = reference("webhook_issue_hook.json"), reference("webhook_note_hook_issue.json")
    headers = {"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Issue Hook"}
    response = site.client.post("/webhooks/gitlab", json=issue, headers=headers)
    assert response.status_code == 202
    assert response.json()["sources"] == ["gl"]
    headers["X-Gitlab-Event"] = "Note Hook"
    response = site.client.post("/webhooks/gitlab", json=note, headers=headers)
    assert response.json()["sources"] == ["gl-org"]  # group scope covers the project
    wait_for(lambda: site.refreshed() == {
        "gl": ["gitlabhq/gitlab-test#23"], "gl-org": ["gitlab-org/gitlab-test#17"]})  # fmt: skip


def test_gitlab_wrong_or_missing_token_is_rejected(site: Site) -> None:
    issue = reference("webhook_issue_hook.json")
    for headers in ({}, {"X-Gitlab-Token": "guess"}, {"X-Gitlab-Token": SECRET + "x"}):
        assert site.client.post("/webhooks/gitlab", json=issue, headers=headers).status_code == 401
    site.settle("gl", "MARK")
    assert site.refreshed() == {"gl": ["MARK"]}


def test_gitlab_idempotency_key_deduplicates_retries(site: Site) -> None:
    issue = reference("webhook_issue_hook.json")
    headers = {"X-Gitlab-Token": SECRET, "Idempotency-Key": "delivery-1"}
    first = site.client.post("/webhooks/gitlab", json=issue, headers=headers)
    assert first.json()["status"] == "accepted"
    wait_for(lambda: site.refreshed() == {"gl": ["gitlabhq/gitlab-test#23"]})
    again = site.client.post("/webhooks/gitlab", json=issue, headers=headers)
    assert again.status_code == 202
    assert again.json() == {"status": "duplicate"}
    site.settle("gl", "MARK")
    headers["Idempotency-Key"] = "delivery-2"  # a new delivery of the same issue counts
    site.client.post("/webhooks/gitlab", json=issue, headers=headers)
    wait_for(lambda: len(site.runners["gl"].refreshed) == 3)
    assert site.runners["gl"].refreshed == ["gitlabhq/gitlab-test#23", "MARK",
                                            "gitlabhq/gitlab-test#23"]  # fmt: skip


def test_unauthenticated_retries_cannot_poison_the_idempotency_memory(site: Site) -> None:
    issue = reference("webhook_issue_hook.json")
    forged = {"X-Gitlab-Token": "guess", "Idempotency-Key": "delivery-9"}
    assert site.client.post("/webhooks/gitlab", json=issue, headers=forged).status_code == 401
    real = {"X-Gitlab-Token": SECRET, "Idempotency-Key": "delivery-9"}
    assert site.client.post("/webhooks/gitlab", json=issue, headers=real).json()["status"] == (
        "accepted"
    )


def test_bad_json_and_events_without_an_issue(site: Site) -> None:
    body = b"{not json"
    response = site.client.post("/webhooks/jira", content=body,
                                headers={"X-Hub-Signature": sign(body)})  # fmt: skip
    assert response.status_code == 400
    body = json.dumps({"webhookEvent": "project_created", "project": {"key": "X"}}).encode()
    response = site.client.post("/webhooks/jira", content=body,
                                headers={"X-Hub-Signature": sign(body)})  # fmt: skip
    assert response.status_code == 202
    assert response.json() == {"status": "ignored"}
    assert site.client.get("/webhooks/jira").status_code == 405


def test_parsers() -> None:
    assert parse_jira({"issue": {"key": "WEB-7"}}) == ("WEB", "WEB-7")
    with pytest.raises(InvalidKey):
        parse_jira({"issue": {"key": 7}})
    assert parse_jira({"issue": {"id": "7"}}) is None
    assert parse_jira([1]) is None
    mr_note = {"object_kind": "note", "project": {"path_with_namespace": "a/b"},
               "merge_request": {"iid": 3}}  # fmt: skip
    assert parse_gitlab(mr_note) is None
    issue = {"object_kind": "issue", "project": {"path_with_namespace": "a/b"},
             "object_attributes": {"iid": 5}}  # fmt: skip
    assert parse_gitlab(issue) == ("a/b", "a/b#5")
    issue["object_attributes"] = {"iid": True}
    with pytest.raises(InvalidKey):
        parse_gitlab(issue)


def test_route_hint_without_source_configs_targets_every_runner() -> None:
    assert route_hint("jira", "SHOP", "SHOP-1", names=["a", "b"], sources=(),
                      knows=lambda _s, _k: False) == ["a", "b"]  # fmt: skip
    names = [s.name for s in SOURCES]
    assert route_hint("gitlab", "elsewhere/x", "elsewhere/x#1", names=names, sources=SOURCES,
                      knows=lambda _s, _k: False) == ["gl", "gl-org"]  # fmt: skip
    assert route_hint("jira", "web", "web-1", names=names, sources=SOURCES,
                      knows=lambda _s, _k: False) == ["agency-jira"]  # fmt: skip
