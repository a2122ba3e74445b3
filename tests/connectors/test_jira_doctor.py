"""``syncd doctor`` lines for a Jira source, against the sandbox over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.jira import JiraConnector
from connectors.sandbox.common.seed import Seed
from connectors.sandbox.server import SandboxServer

Start = Callable[..., tuple[SandboxServer, Seed]]
Connect = Callable[..., JiraConnector]


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_doctor_reports_every_check(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    checks = {c.name: c for c in jira_connector(server, seed, flavour).doctor()}
    assert list(checks) == ["server", "auth", "time zone", "jql", "permissions", "start date field"]
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    assert ("Cloud" if flavour == "cloud" else "Data Center") in checks["server"].detail
    bot = seed.bot()
    assert bot is not None
    assert checks["auth"].extra["id"] == (bot.account_id if flavour == "cloud" else bot.username)
    assert checks["time zone"].extra["zone"] == bot.time_zone
    assert checks["jql"].extra["count"] == len(seed.tasks)
    assert checks["start date field"].detail.startswith("'Start date' is customfield_")


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_doctor_names_what_is_wrong(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    wrong = "datacenter" if flavour == "cloud" else "cloud"
    forced = jira_connector(server, seed, flavour, source={"flavour": wrong})
    checks = {c.name: c for c in forced.doctor()}
    assert not checks["server"].ok
    assert "forced" in checks["server"].detail
    renamed = jira_connector(server, seed, flavour, source={"start_date_field": "Kick-off"})
    checks = {c.name: c for c in renamed.doctor()}
    assert checks["server"].ok
    assert not checks["start date field"].ok
    assert "'Kick-off'" in checks["start date field"].detail


def test_doctor_reports_invalid_jql_without_raising(
    jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox("dc")
    connector = jira_connector(server, seed, "dc", source={"scope": {"jql": "projekt = SHOP"}})
    checks = {c.name: c for c in connector.doctor()}
    assert not checks["jql"].ok
    assert "HTTP 400" in checks["jql"].detail
    assert checks["auth"].ok


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_doctor_on_an_unreachable_server_reports_one_failed_server_line(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    url = server.url
    server.stop()  # nothing listens on that port any more
    connector = jira_connector(server, seed, flavour)
    assert connector.config.url == url
    checks = connector.doctor()
    assert [(c.name, c.ok) for c in checks] == [("server", False)]
    assert "connection failed" in checks[0].detail
    assert url in checks[0].detail


def test_a_malformed_url_is_fatal_and_named_not_retried(jira_sandbox: Start) -> None:
    from connectors.http.retry import RetryPolicy
    from syncd.core.errors import FatalError
    from tests.connectors.conftest import RecordingSleep, jira_source

    _, seed = jira_sandbox("dc")
    config, token = jira_source("http://tracker:notaport", seed, "dc")
    sleep = RecordingSleep()
    connector = JiraConnector(config, token, retry=RetryPolicy(sleep=sleep))
    try:
        [check] = connector.doctor()
        assert (check.name, check.ok) == ("server", False)
        assert "check the source's url" in check.detail
        with pytest.raises(FatalError, match="invalid"):
            connector.context()
        assert sleep == []  # never retried: no wait would fix it
    finally:
        connector.close()


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_a_wrong_token_is_one_failed_line_not_five(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    from pydantic import SecretStr

    from connectors.http.retry import RetryPolicy
    from tests.connectors.conftest import RecordingSleep, jira_source

    server, seed = jira_sandbox(flavour)
    config, _token = jira_source(server.url, seed, flavour)
    connector = JiraConnector(config, SecretStr("wrong"), retry=RetryPolicy(sleep=RecordingSleep()))
    try:
        checks = connector.doctor()
    finally:
        connector.close()
    assert [(c.name, c.ok) for c in checks] == [("server", True), ("auth", False)]
    assert "wrong" not in checks[-1].detail
