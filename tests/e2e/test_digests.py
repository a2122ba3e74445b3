"""Digests end to end: the real cycle against a seeded sandbox, then the digest service on
an injectable clock, delivering to a real HTTP receiver — exactly one daily digest per
manager at the scheduled minute, none twice after a restart, the next one the next day."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from config.policy import Policy
from syncd.commands.once import run_once
from syncd.core.clock import FrozenClock
from syncd.wiring import App
from tests.e2e.scenario import Scenario, scenario

MOSCOW = ZoneInfo("Europe/Moscow")


class Receiver:
    """A real HTTP endpoint that records every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def sc(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scenario]:
    monkeypatch.setenv("E2E_TOKEN", "bot-token")
    monkeypatch.setenv("DIGEST_HOOK_URL", receiver.url)
    for s in scenario(tmp_path):
        data = s.policy.model_dump(mode="json")
        data["managers"] = [
            {
                "name": "Ольга Смирнова",
                "timezone": "Europe/Moscow",
                "language": "ru",
                "owns": [{"source": "agency"}],
                "channels": [{"type": "webhook", "url_secret": "DIGEST_HOOK_URL"}],
            }
        ]
        s.policy = Policy.model_validate(data)
        yield s


def _once(sc: Scenario, at: datetime) -> None:
    sc.shutdown_syncd()  # every call is a fresh process's worth of objects
    from syncd.store import open_store

    store = open_store(sc.settings.resolved_state_url())
    try:
        run_once(App(sc.settings, sc.policy, sc.tmp / "policy.yaml", store), FrozenClock(at))
    finally:
        store.close()


def test_one_daily_digest_at_the_scheduled_minute_none_twice(
    sc: Scenario, receiver: Receiver
) -> None:
    tuesday = datetime(2026, 11, 24, 8, 59, tzinfo=MOSCOW)
    _once(sc, tuesday)
    assert receiver.bodies == []  # 08:59: not yet
    _once(sc, tuesday + timedelta(minutes=1))
    assert len(receiver.bodies) == 1
    digest = receiver.bodies[0]
    assert digest["kind"] == "daily"
    assert digest["manager"] == "Ольга Смирнова"
    overdue = next(s for s in digest["sections"] if s["kind"] == "overdue")
    assert [i["key"] for i in overdue["items"]] == ["SHOP-1"]
    _once(sc, tuesday + timedelta(minutes=6))  # a restart later the same morning
    _once(sc, tuesday + timedelta(hours=3))
    assert len(receiver.bodies) == 1
    _once(sc, tuesday + timedelta(days=1, minutes=1))  # Wednesday 09:00
    assert len(receiver.bodies) == 2
    assert receiver.bodies[1]["period"] != digest["period"]
