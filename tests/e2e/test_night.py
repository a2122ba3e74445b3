"""Working hours across a killed process (issue 11): with the process clock at 03:30 on a
Tuesday nothing is posted; the daemon is killed; started again after 09:00 it posts the
queued reminder exactly once. The queue is nothing but ledger state."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from tests.e2e.scenario import agency_seed, policy_for
from tests.e2e.test_daemon import _bot_comment_count
from tests.runtime.process import start_syncd

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    seed = load_seed(agency_seed(), flavour="jira-cloud")  # Tuesday 24 Nov 2026 in Moscow
    with SandboxServer(create_app("jira-cloud", seed)) as server:
        yield server


def test_queued_at_night_posted_once_after_nine_across_a_kill(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    data = policy_for(sandbox.url).model_dump(mode="json")  # working hours 09:00-19:00
    data["sources"][0]["poll_interval"] = "1s"
    policy = tmp_path / "policy.yaml"
    policy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    def daemon(start: str):  # type: ignore[no-untyped-def]
        return start_syncd(
            policy, data_dir=tmp_path, env={"E2E_TOKEN": "bot-token", "SYNCD_CLOCK_START": start}
        )

    with daemon("2026-11-24T03:30:00+03:00") as night:
        night.wait_ready(timeout=60)
        time.sleep(3)  # several cycles at night
        metrics = night.client.get("/metrics").text
        assert 'syncd_reminders_queued{source="agency"} 1.0' in metrics
        assert _bot_comment_count(sandbox, "SHOP-1") == 0
        night.send(signal.SIGKILL)
        night.proc.wait(10)

    with daemon("2026-11-24T09:00:05+03:00") as morning:
        morning.wait_ready(timeout=60)
        deadline = time.monotonic() + 15
        while _bot_comment_count(sandbox, "SHOP-1") == 0:
            assert time.monotonic() < deadline, morning.log()[-3000:]
            time.sleep(0.1)
        time.sleep(3)  # more cycles: nothing more
        assert _bot_comment_count(sandbox, "SHOP-1") == 1
        assert morning.terminate(timeout=20) == 0
