"""The daemon keeps polling a source whose tracker serves hostile content — a description
nested past Python's JSON recursion, a comment with a lone surrogate and NUL — with the
real cycle over HTTP against the sandbox Jira: every cycle ends well, none crashes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from structlog.testing import capture_logs

from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from syncd.core.clock import SystemClock
from syncd.daemon import Daemon
from syncd.metrics import Metrics
from syncd.source_cycle import build_runners
from syncd.store import Store
from tests.connectors.poison import poisoned_cloud_page, serve_text
from tests.e2e.scenario import agency_seed, policy_for
from tests.runtime.support import make_settings, wait_for

SEARCH = r"/rest/api/3/search/jql$"


def test_the_daemon_keeps_polling_a_source_with_poisoned_tasks(
    daemon_factory: Callable[..., Daemon], store: Store, tmp_path: Path
) -> None:
    with SandboxServer(
        create_app("jira-cloud", load_seed(agency_seed(), flavour="jira-cloud"))
    ) as jira:
        data = policy_for(jira.url).model_dump(mode="json")
        data["sources"][0].update(poll_interval=0.2, enforce=False)
        policy = type(policy_for(jira.url)).model_validate(data)
        metrics = Metrics()
        runners = build_runners(
            policy, make_settings(tmp_path), store, SystemClock(),
            env={"E2E_TOKEN": "bot-token"}, metrics=metrics,
        )  # fmt: skip
        serve_text(jira, SEARCH, poisoned_cloud_page(runners[0].connector), times=None)

        def cycles(outcome: str) -> float:
            value = metrics.registry.get_sample_value(
                "syncd_cycles_total", {"source": "agency", "outcome": outcome}
            )
            return value or 0.0

        with capture_logs() as logs:
            daemon = daemon_factory(runners, metrics=metrics)
            wait_for(lambda: cycles("ok") >= 3, timeout=60, what="three polls of the source")
            daemon.stop(timeout=10)
    assert cycles("error") == 0
    assert not [e for e in logs if e["event"] == "cycle.crashed"]
    assert {t.key for t in store.iter_tasks("agency")} == {"SHOP-1", "SHOP-2"}
    comment = store.get_task("agency", "SHOP-2")
    assert comment is not None
    assert comment.comments[0].body == "bad \ufffd nul esc"
