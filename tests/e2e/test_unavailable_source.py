"""A source that cannot be set up (its secret is not set) is one ``UnavailableRunner`` from
``build_runners``, and every command and the daemon treat it the same way: reported with
its reason, a configuration mistake, while the other source is served as usual. In process,
against the sandbox Jira over HTTP, on a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config.policy import Policy
from syncd.commands.check import run_check
from syncd.commands.doctor import run_doctor
from syncd.commands.once import run_once
from syncd.commands.run import build_wiring
from syncd.core.clock import SystemClock
from syncd.daemon import Daemon
from syncd.metrics import Metrics
from syncd.source_cycle import SourceRunner, SourceUnavailable, UnavailableRunner, build_runners
from syncd.wiring import App
from tests.e2e.scenario import Scenario, scenario
from tests.runtime.support import make_settings, wait_for

REASON = (
    "secret NOT_SET_ANYWHERE is not set: set the environment variable NOT_SET_ANYWHERE"
    " or NOT_SET_ANYWHERE_FILE"
)


@pytest.fixture
def sc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scenario]:
    monkeypatch.setenv("E2E_TOKEN", "bot-token")
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    yield from scenario(tmp_path / "sandbox")


def _app(sc: Scenario) -> App:
    """The scenario's source, then ``other`` on the same tracker without its secret."""
    data = sc.policy.model_dump(mode="json")
    other = {**data["sources"][0], "name": "other"}
    other["auth"] = {**other["auth"], "secret": "NOT_SET_ANYWHERE"}
    data["sources"].append(other)
    assert sc.store is not None
    return App(sc.settings, Policy.model_validate(data), sc.tmp / "policy.yaml", sc.store)


def test_build_runners_gives_an_unavailable_runner_that_fails_every_call(sc: Scenario) -> None:
    app = _app(sc)
    runners = build_runners(app.policy, app.settings, app.store, SystemClock())
    try:
        assert [r.source for r in runners] == ["agency", "other"]  # policy order
        agency, other = runners
        assert isinstance(agency, SourceRunner)
        assert isinstance(other, UnavailableRunner)
        for call in (other.sync, other.doctor, other.sync):  # every call, not only the first
            with pytest.raises(SourceUnavailable) as raised:
                call()
            assert raised.value.reason == REASON
            assert raised.value.misconfigured
        with pytest.raises(SourceUnavailable, match=f"source cannot be set up: {REASON}"):
            other.run_cycle(sc.seed.now or SystemClock().now())
        assert other.refresh("SHOP-1") is None  # a webhook hint is dropped: polling reports
    finally:
        for runner in runners:
            runner.close()


def test_once_runs_the_other_source_and_records_the_reason(sc: Scenario) -> None:
    app = _app(sc)
    lines: list[str] = []
    outcome = run_once(app, SystemClock(), echo=lines.append)
    assert outcome.not_set_up == {"other": REASON}
    by_source = {r.source: r for r in outcome.reports}
    assert by_source["other"].failed == 1
    assert by_source["agency"].failed == 0
    assert by_source["agency"].synced > 0
    assert f"other: not run: {REASON}" in lines
    rows = {row.source: row for row in app.store.status_rows(["agency", "other"])}
    assert rows["other"].last_error == REASON


def test_check_shows_the_stored_findings_of_the_other_source(sc: Scenario) -> None:
    app = _app(sc)
    out: list[str] = []
    warnings: list[str] = []
    outcome = run_check(
        app, SystemClock().now(), ["agency", "other"], sync=True, as_json=True,
        echo=out.append, warn=warnings.append,
    )  # fmt: skip
    assert outcome.not_set_up == {"other": REASON}
    assert outcome.not_read == {}
    assert {f.source for f, _ in outcome.rows} == {"agency"}  # read and evaluated
    assert warnings == [f"other: not read, findings are from the stored state: {REASON}"]


def test_doctor_prints_the_setup_failure_and_checks_the_other(sc: Scenario) -> None:
    lines: list[str] = []
    outcome = run_doctor(_app(sc), echo=lines.append)
    assert outcome.misconfigured
    assert not outcome.ok
    other = lines.index(next(line for line in lines if line.startswith("other (jira")))
    assert lines[other + 1 :] == [f"  FAIL  setup: {REASON}"]
    agency_lines = lines[1:other]
    assert agency_lines
    assert all(line.startswith("  ok  ") for line in agency_lines)


def test_the_daemon_serves_the_other_source_and_is_unready_for_this_one(
    sc: Scenario, tmp_path: Path
) -> None:
    app = _app(sc)
    wiring = build_wiring(app, app.policy, SystemClock(), Metrics())
    assert [type(r) for r in wiring.runners] == [SourceRunner, UnavailableRunner]
    settings = make_settings(tmp_path)
    daemon = Daemon(wiring.runners, None, app.store, SystemClock(), settings, None,
                    sources=wiring.sources, metrics=Metrics())  # fmt: skip
    daemon.start()
    try:

        def both_polled() -> bool:
            sources = daemon.readiness()[1]["sources"]
            return bool(sources["agency"]["ready"] and sources["other"]["last_error"])

        wait_for(both_polled, timeout=120, what="agency polled, other failed")
        ready, detail = daemon.readiness()
        assert not ready
        assert not detail["sources"]["other"]["ready"]
        assert REASON in detail["sources"]["other"]["last_error"]
    finally:
        daemon.stop(timeout=3)
