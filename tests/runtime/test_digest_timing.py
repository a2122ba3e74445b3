"""The daemon sends a digest at its scheduled minute, not at the next poll: a real
DigestService over the daemon's store, a frozen clock moved across 09:00, a source that
polls once an hour and a periodic digest run far away — only the slot wake-up is left."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import respx

from config.policy import ChannelConfig
from connectors.http.retry import RetryPolicy
from syncd.channels import Sender, build_sender
from syncd.core.clock import FrozenClock
from syncd.daemon import Daemon
from syncd.digest.dispatch import DigestService
from syncd.store import Store
from tests.digest import fixtures
from tests.digest.test_service import ENV, OLGA_HOOK, OLGA_SLACK, make_policy
from tests.runtime.support import ScriptedRunner, wait_for

Factory = Callable[..., Daemon]


def senders(config: ChannelConfig) -> Sender:
    return build_sender(config, env=ENV, retry=RetryPolicy(max_attempts=1, sleep=lambda s: None))


class Recording(DigestService):
    """The real service, noting the clock time of each run the daemon makes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.runs: list[datetime] = []

    def run_due(self, now: datetime):  # type: ignore[no-untyped-def]
        self.runs.append(now)
        return super().run_due(now)


def test_digest_goes_out_at_the_scheduled_minute_between_polls(
    daemon_factory: Factory, store: Store
) -> None:
    store.upsert_tasks(fixtures.tasks())
    clock = FrozenClock(datetime.fromisoformat("2026-11-24T08:59:30+03:00"))
    service = Recording(make_policy(), store, owner="me", senders=senders)
    runner = ScriptedRunner("agency-jira", 3600.0)  # polls once, at start
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        hook = mock.post(OLGA_HOOK).respond(200)
        mock.post(OLGA_SLACK).respond(200, text="ok")
        daemon = daemon_factory([runner], digests=service, clock=clock, digest_every=3600.0)
        wait_for(lambda: len(service.runs) == 1, what="the start-up digest run")
        assert hook.call_count == 0  # 08:59:30: nothing due yet
        time.sleep(1.2)
        assert len(service.runs) == 1  # no busy loop before the slot
        clock.set(datetime.fromisoformat("2026-11-24T09:00:00+03:00"))
        woke = time.monotonic()
        wait_for(lambda: hook.call_count == 1, timeout=30, what="the 09:00 digest")
        latency = time.monotonic() - woke
        clock.advance(timedelta(seconds=20))
        time.sleep(1.2)
        daemon.stop()
    print(f"09:00 digest sent {latency:.2f} s after the clock reached 09:00")
    assert runner.calls == 1  # no poll in between: the slot alone woke the digest thread
    assert service.runs[1].isoformat() == "2026-11-24T09:00:00+03:00"
    assert hook.call_count == 1  # and only once
    assert json.loads(hook.calls.last.request.content)["period"] == "daily:2026-11-24"
