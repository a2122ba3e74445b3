"""Fault injection, the request log and the control endpoints, over real HTTP (requests)
and in-process (httpx.ASGITransport), on a tiny tracker stand-in app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox.common.control import Act, SandboxClock
from connectors.sandbox.common.faults import DroppedConnection, Fault
from connectors.sandbox.server import SandboxServer


def tiny_app() -> Starlette:
    """A stand-in tracker: counts POSTs so a lost response can be shown to have happened."""
    created: list[int] = []
    acts: list[Act] = []

    async def items(request: Request) -> Response:
        if request.method == "POST":
            created.append(len(created) + 1)
            return JSONResponse({"id": created[-1]}, status_code=201)
        return JSONResponse({"items": created})

    app = Starlette(routes=[Route("/items", items, methods=["GET", "POST"])])

    def act(a: Act) -> dict[str, Any]:
        acts.append(a)
        return {"key": a.key}

    app.state.sandbox_act = act
    app.state.sandbox_clock = SandboxClock()
    app.state.acts = acts
    return app


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(tiny_app()) as server:
        yield server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def test_status_fault_then_normal(sandbox: SandboxServer, http: requests.Session) -> None:
    sandbox.faults.add(
        kind="status", status=503, path="^/items$", times=2, body={"errorMessages": ["busy"]}
    )
    assert http.get(sandbox.url + "/items").status_code == 503
    second = http.get(sandbox.url + "/items")
    assert second.status_code == 503
    assert second.json() == {"errorMessages": ["busy"]}
    assert http.get(sandbox.url + "/items").status_code == 200
    assert [e.status for e in sandbox.log.entries()] == [503, 503, 200]
    assert [e.fault for e in sandbox.log.entries()] == ["status", "status", None]


def test_retry_after_seconds_and_http_date(sandbox: SandboxServer, http: requests.Session) -> None:
    sandbox.faults.add(kind="status", status=429, retry_after=7)
    assert http.get(sandbox.url + "/items").headers["Retry-After"] == "7"
    before = time.time()
    sandbox.faults.add(kind="status", status=429, retry_after=30, retry_after_format="http-date")
    header = http.get(sandbox.url + "/items").headers["Retry-After"]
    after = time.time()
    # 30 s after the moment the fault fired, which lies between before and after (an HTTP
    # date has whole seconds: one second of rounding either way).
    assert before + 30 - 1 <= parsedate_to_datetime(header).timestamp() <= after + 30 + 1


def test_fault_matches_method_path_and_skip(sandbox: SandboxServer, http: requests.Session) -> None:
    sandbox.faults.add(kind="status", status=500, method="POST", path="^/items$", skip=1)
    assert http.get(sandbox.url + "/items").status_code == 200
    assert http.post(sandbox.url + "/items").status_code == 201
    assert http.post(sandbox.url + "/items").status_code == 500
    assert http.post(sandbox.url + "/items").status_code == 201
    assert sandbox.faults.pending() == []


def test_delay(sandbox: SandboxServer, http: requests.Session) -> None:
    sandbox.faults.add(kind="delay", seconds=0.6)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(sandbox.url + "/items", timeout=0.2)
    assert sandbox.faults.pending() == []  # one delay, used up: the next answer is not held
    assert http.get(sandbox.url + "/items", timeout=5).status_code == 200


def test_drop_closes_without_answer(sandbox: SandboxServer, http: requests.Session) -> None:
    sandbox.faults.add(kind="drop", method="GET")
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(sandbox.url + "/items")
    assert http.get(sandbox.url + "/items").json() == {"items": []}
    assert sandbox.log.entries()[0].status is None


def test_lost_response_performs_the_write(sandbox: SandboxServer, http: requests.Session) -> None:
    sandbox.faults.add(kind="lost_response", method="POST", path="/items")
    with pytest.raises(requests.exceptions.ConnectionError):
        http.post(sandbox.url + "/items")
    assert http.get(sandbox.url + "/items").json() == {"items": [1]}
    assert sandbox.log.count("POST", "/items") == 1
    assert sandbox.log.entries()[0].status == 201


def test_control_endpoints_over_http(sandbox: SandboxServer, http: requests.Session) -> None:
    base = sandbox.url + "/_sandbox"
    assert (
        http.post(
            base + "/faults", json={"kind": "status", "status": 418, "path": "/items"}
        ).status_code
        == 201
    )
    assert http.get(base + "/faults").json()[0]["kind"] == "status"
    assert http.post(base + "/faults", json={"kind": "explode"}).status_code == 400
    assert (
        http.post(base + "/faults", json={"kind": "drop", "pathh": "x"})
        .json()["error"]
        .startswith("unknown fault keys")
    )
    assert http.get(sandbox.url + "/items").status_code == 418
    assert http.delete(base + "/faults").status_code == 204
    http.get(sandbox.url + "/items?x=1")
    log = http.get(base + "/requests").json()
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in log] == [
        ("GET", "/items", "", 418),
        ("GET", "/items", "x=1", 200),
    ]
    assert http.delete(base + "/requests").status_code == 204
    assert http.get(base + "/requests").json() == []
    assert sandbox.log.count() == 0


def test_act_is_parsed_and_handed_to_the_tracker(
    sandbox: SandboxServer, http: requests.Session
) -> None:
    url = sandbox.url + "/_sandbox/act"
    ok = http.post(
        url, json={"action": "comment", "task": "SHOP-1", "author": "am", "body": "**hi**"}
    )
    assert ok.status_code == 200
    assert ok.json() == {"key": "SHOP-1"}
    acts: list[Act] = sandbox.app.state.acts  # type: ignore[attr-defined]
    assert acts[0].body is not None
    assert acts[0].body.as_wiki() == "*hi*\n"
    bad = http.post(
        url, json={"action": "update", "task": "SHOP-1", "as": "am", "fields": {"summary": "x"}}
    )
    assert bad.status_code == 400
    assert "cannot update summary" in bad.json()["error"]
    assert (
        http.post(
            url, json={"action": "transition", "task": "SHOP-1", "as": "am", "status": "closed"}
        ).status_code
        == 400
    )
    assert (
        http.post(
            url, json={"action": "comment", "task": "SHOP", "author": "am", "body": "x"}
        ).status_code
        == 400
    )
    bad_adf = {
        "action": "comment",
        "task": "SHOP-1",
        "author": "am",
        "body": {"adf": {"type": "doc"}},
    }
    refused = http.post(url, json=bad_adf)
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("body.adf: not valid ADF")
    assert len(acts) == 1


def test_clock(sandbox: SandboxServer, http: requests.Session) -> None:
    url = sandbox.url + "/_sandbox/clock"
    frozen = http.post(url, json={"now": "2026-11-23T09:00:00+03:00"}).json()["now"]
    assert frozen == "2026-11-23T09:00:00+03:00"
    assert http.post(url, json={"advance": 3600}).json()["now"] == "2026-11-23T10:00:00+03:00"
    assert http.post(url, json={"now": "tomorrow"}).status_code == 400
    assert http.post(url, json={"now": None}).json()["now"][:4] >= "2026"


def test_in_process_drop_raises() -> None:
    server = SandboxServer(tiny_app())
    server.faults.add(Fault(kind="drop"))
    sent: list[dict[str, Any]] = []

    async def call() -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/items",
            "query_string": b"",
            "headers": [],
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        await server.asgi(scope, receive, send)

    with pytest.raises(DroppedConnection):
        asyncio.run(call())
    assert sent == []
    asyncio.run(call())
    assert sent[0]["status"] == 200
