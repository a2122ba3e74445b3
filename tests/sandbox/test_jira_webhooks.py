"""Outgoing webhooks of the sandbox Jira, received by a real HTTP server: payload shapes,
the HMAC signature, repeated deliveries and unreachable receivers."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.sandbox.server import SandboxServer
from tests.sandbox.jira_helpers import example_seed, serve

SECRET = "s3cret"


@pytest.fixture
def receiver() -> Iterator[tuple[SandboxServer, list[tuple[dict[str, str], bytes]]]]:
    got: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        got.append((dict(request.headers), await request.body()))
        return Response(status_code=202)

    with SandboxServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as server:
        yield server, got


def test_changes_are_delivered_signed(receiver: tuple[SandboxServer, list[Any]]) -> None:
    target, got = receiver
    with serve(example_seed(), "cloud") as jira, requests.Session() as http:
        registered = http.post(
            f"{jira.url}/_sandbox/webhooks", json={"url": f"{target.url}/hook", "secret": SECRET}
        )
        assert registered.status_code == 201
        act = f"{jira.url}/_sandbox/act"
        assert http.post(
            act, json={"action": "comment", "task": "SHOP-2", "author": "dev", "body": "done?"}
        ).ok
        assert http.post(
            act, json={"action": "transition", "task": "SHOP-2", "as": "dev", "status": "done"}
        ).ok
        hub = jira.app.state.sandbox_webhooks  # type: ignore[attr-defined]
        assert hub.wait_idle(10)
        deliveries = http.get(f"{jira.url}/_sandbox/webhooks").json()["deliveries"]
    assert [(d["event"], d["status"]) for d in deliveries] == [
        ("comment_created", 202),
        ("jira:issue_updated", 202),
    ]
    (_h1, b1), (_h2, b2) = got
    for headers, body in got:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-hub-signature"] == expected
        assert headers["x-atlassian-webhook-identifier"]
    comment = json.loads(b1)
    assert comment["webhookEvent"] == "comment_created"
    assert comment["issue"]["key"] == "SHOP-2"
    assert comment["comment"]["body"] == "done?\n"
    assert comment["comment"]["author"]["displayName"] == "Priya Nair"
    update = json.loads(b2)
    assert update["webhookEvent"] == "jira:issue_updated"
    assert update["issue"]["fields"]["status"]["statusCategory"]["key"] == "done"
    assert [(i["field"], i["toString"]) for i in update["changelog"]["items"]] == [
        ("status", "Done"),
        ("resolution", "Done"),
    ]
    assert update["issue"]["self"].startswith(jira.url)


def test_repeats_and_unreachable_receivers(receiver: tuple[SandboxServer, list[Any]]) -> None:
    target, got = receiver
    with serve(example_seed(), "cloud") as jira, requests.Session() as http:
        hub = jira.app.state.sandbox_webhooks  # type: ignore[attr-defined]
        http.post(
            f"{jira.url}/_sandbox/act",
            json={"action": "comment", "task": "SHOP-1", "author": "am", "body": "x"},
        )
        assert hub.wait_idle(5)
        assert hub.deliveries() == []  # nobody registered, nothing sent
        hub.register(f"{target.url}/hook")
        hub.register("http://127.0.0.1:9/nowhere")
        http.post(
            f"{jira.url}/_sandbox/act",
            json={"action": "comment", "task": "SHOP-1", "author": "am", "body": "y"},
        )
        assert hub.wait_idle(10)
        hub.redeliver(0)
        assert hub.wait_idle(10)
        deliveries = hub.deliveries()
    assert len(got) == 2
    assert "x-hub-signature" not in got[0][0]
    assert (
        got[0][0]["x-atlassian-webhook-identifier"] == got[1][0]["x-atlassian-webhook-identifier"]
    )
    assert got[0][1] == got[1][1]
    failed = [d for d in deliveries if d.url.endswith("/nowhere")]
    assert len(failed) == 1
    assert failed[0].status is None
    assert failed[0].error
