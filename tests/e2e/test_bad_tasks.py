"""One bad task never stops its source: it is skipped, named, counted, shown by
``syncd status`` and retried, and every other task and source is served. Real cycles
against the sandbox Jira over HTTP, on a real SQLite store."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from connectors.jira import JiraConnector
from connectors.sandbox.common.seed import Document, load_seed
from connectors.sandbox.server import SandboxServer, create_app
from syncd.commands.status import render_status
from syncd.core.clock import SystemClock
from syncd.core.models import Task
from syncd.metrics import Metrics
from syncd.source_cycle import SourceRunner, build_runners
from tests.connectors.poison import poisoned_cloud_page, serve_text
from tests.e2e.scenario import DEFAULT_NOW, Scenario, agency_seed, policy_for, scenario
from tests.runtime.process import run_syncd

SEARCH = r"/rest/api/3/search/jql$"


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path / "sandbox")


def _runner(sc: Scenario, metrics: Metrics) -> SourceRunner:
    assert sc.store is not None
    (runner,) = build_runners(
        sc.policy, sc.settings, sc.store, SystemClock(), env={"E2E_TOKEN": "bot-token"},
        metrics=metrics,
    )  # fmt: skip
    return runner


def _skipped_total(registry: CollectorRegistry, reason: str) -> float:
    value = registry.get_sample_value(
        "syncd_tasks_skipped_total", {"source": "agency", "reason": reason}
    )
    return value or 0.0


def test_a_task_that_cannot_be_mapped_is_skipped_shown_counted_and_retried(sc: Scenario) -> None:
    metrics = Metrics()
    runner = _runner(sc, metrics)
    store = sc.store
    assert store is not None
    broken = sc.server.app.state.jira.store.issue("SHOP-2")  # type: ignore[attr-defined]
    broken.description = Document(adf=["not", "an", "ADF", "document"])  # type: ignore[arg-type]
    try:
        report = runner.run_cycle(DEFAULT_NOW)
        assert report.skipped == 1
        assert store.get_task("agency", "SHOP-1") is not None  # the other task went on
        assert {f.task_key for f in report.findings_list} == {"SHOP-1"}
        (row,) = store.skipped_tasks(["agency"])
        assert (row.key, row.stage, row.reason, row.attempts) == ("SHOP-2", "read", "malformed", 1)
        assert "TypeError" in row.error
        assert _skipped_total(metrics.registry, "malformed") == 1
        status = render_status(store, ["agency"], width=200)
        assert "skipped tasks" in status
        assert "SHOP-2" in status
        assert "malformed" in status
        assert "1 skipped task(s)" in status

        # Still broken: read again next cycle, counted again.
        assert runner.run_cycle(DEFAULT_NOW).skipped == 1
        assert [r.attempts for r in store.skipped_tasks(["agency"])] == [2]
        assert _skipped_total(metrics.registry, "malformed") == 2

        # Fixed in the tracker: the retry brings it in, the skip is gone.
        broken.description = Document(markdown="## Goal\nMore sign-ups from the audit.")
        assert runner.run_cycle(DEFAULT_NOW).skipped == 0
        assert store.get_task("agency", "SHOP-2") is not None
        assert store.skipped_tasks(["agency"]) == []
        assert "0 skipped task(s)" in render_status(store, ["agency"])
    finally:
        runner.close()


class _RefusedOnce:
    """The real connector, except that one task comes out of the first sync carrying text
    no store takes (a lone surrogate) — standing in for any mapped task the store refuses,
    which the connectors' own cleaning no longer produces."""

    def __init__(self, real: JiraConnector, key: str) -> None:
        self.real, self.key, self.source, self.spoiled = real, key, real.source, False

    def sync(self, cursor: dict[str, Any] | None, previous: Any = None) -> Iterator[Any]:
        for page in self.real.sync(cursor, previous):
            tasks = [self._spoil(t) for t in page.tasks]
            yield type(page)(tasks, page.cursor, page.requests, page.skipped)

    def _spoil(self, task: Task) -> Task:
        if task.key != self.key or self.spoiled:
            return task
        self.spoiled = True
        return task.model_copy(update={"title": "broken \ud800"})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_task_the_store_refuses_is_skipped_and_read_again_by_the_next_cycle(
    sc: Scenario,
) -> None:
    metrics = Metrics()
    runner = _runner(sc, metrics)
    store = sc.store
    assert store is not None
    runner.connector = _RefusedOnce(runner.connector, "SHOP-2")  # type: ignore[arg-type, assignment]
    try:
        report = runner.run_cycle(DEFAULT_NOW)
        assert report.skipped == 1
        assert store.get_task("agency", "SHOP-1") is not None
        assert store.get_task("agency", "SHOP-2") is None
        (row,) = store.skipped_tasks(["agency"])
        assert (row.key, row.stage, row.reason) == ("SHOP-2", "store", "store_failed")
        assert "surrogates not allowed" in row.error
        assert _skipped_total(metrics.registry, "store_failed") == 1
        cursor = store.get_cursor("agency")
        assert cursor is not None  # the rest of the page moved the cursor on

        # Nothing changed in the tracker, so no sync would bring it: the cycle re-reads it.
        report = runner.run_cycle(DEFAULT_NOW)
        assert report.skipped == 0
        task = store.get_task("agency", "SHOP-2")
        assert task is not None
        assert "\ud800" not in task.title
        assert store.skipped_tasks(["agency"]) == []
    finally:
        runner.close()


# -- the command line: a poisoned page on one source, a healthy second source ------------


def _syncd(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"SYNCD_DATA_DIR": str(tmp / "data"), "SYNCD_LOG_FORMAT": "json"}
    return run_syncd(*args, env={**env, "E2E_TOKEN": "bot-token"}, cwd=tmp)


def test_once_and_check_report_both_sources_when_one_serves_poisoned_content(
    sc: Scenario, tmp_path: Path
) -> None:
    healthy = SandboxServer(
        create_app("jira-cloud", load_seed(agency_seed(), flavour="jira-cloud"))
    )
    healthy.start()
    try:
        serve_text(sc.server, SEARCH, poisoned_cloud_page(sc.runner.connector), times=None)
        data = policy_for(sc.server.url).model_dump(mode="json")
        other = json.loads(json.dumps(data["sources"][0]))
        other.update(name="other", url=healthy.url)
        data["sources"].append(other)
        policy = tmp_path / "policy.yaml"
        policy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

        check = _syncd(tmp_path, "--config", str(policy), "check", "--json")
        assert "Traceback" not in check.stderr + check.stdout
        rows = [json.loads(line) for line in check.stdout.splitlines()]
        assert {(r["source"], r["key"]) for r in rows} >= {
            ("agency", "SHOP-1"),
            ("other", "SHOP-1"),
        }
        errors = any(r["severity"] == "error" for r in rows)
        assert check.returncode == (1 if errors else 0), check.stderr  # findings decide, only
        assert "not read" not in check.stderr

        once = _syncd(tmp_path, "--config", str(policy), "once")
        assert "Traceback" not in once.stderr + once.stdout
        assert once.returncode == 0, once.stderr
        for name in ("agency", "other"):  # both cycles ran to the end (check synced before)
            assert re.search(rf"^{name}: \d+ task\(s\) synced", once.stdout, re.M), once.stdout
        assert "cycle.crashed" not in once.stderr
    finally:
        healthy.stop()
