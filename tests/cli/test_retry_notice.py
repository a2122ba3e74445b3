"""A command waiting on an unreachable tracker says so: before each retry a warning names
the request, the problem and the next attempt's time (``syncd once`` was silent ~19 s)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from pydantic import SecretStr

from config.policy import SourceConfig
from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.jira import JiraConnector
from syncd.core.errors import ConnectorError
from syncd.core.logs import configure_logging
from tests.runtime.process import free_port

SHORT = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02, deadline=30.0)


def _source(kind: str, port: int) -> SourceConfig:
    scope = {"jql": "project = SHOP"} if kind == "jira" else {"group": "agency"}
    auth = (
        {"kind": "bearer", "secret": "T"}
        if kind == "jira"
        else {"kind": "private_token", "secret": "T"}
    )
    return SourceConfig.model_validate(
        {
            "name": "dead",
            "type": kind,
            "url": f"http://127.0.0.1:{port}",
            "auth": auth,
            "scope": scope,
        }
    )


@pytest.mark.parametrize("kind", ["jira", "gitlab"])
def test_each_retry_is_announced_with_the_next_attempt_time(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", "json")
    port = free_port()  # nothing listens: connection refused
    source = _source(kind, port)
    token = SecretStr("secret-value-never-logged")
    call = (
        JiraConnector(source, token, retry=SHORT).myself
        if kind == "jira"
        else GitLabConnector(source, token, retry=SHORT).bot
    )
    with pytest.raises(ConnectorError):
        call()
    err = capsys.readouterr().err
    notices = [json.loads(line) for line in err.splitlines() if "retrying at" in line]
    assert [n["attempt"] for n in notices] == [2, 3]  # one before each wait, in order
    for notice in notices:
        assert notice["level"] == "warning"
        assert notice["request"].startswith(f"GET 127.0.0.1:{port}/")
        assert "connection refused" in notice["problem"]
        assert notice["max_attempts"] == 3
        assert datetime.fromisoformat(notice["next_attempt_at"]) >= datetime.fromisoformat(
            notice["timestamp"].replace("Z", "+00:00")
        )
        assert "retrying at" in notice["event"]
    assert "secret-value-never-logged" not in err
