"""Task keys are checked against the tracker's syntax before they go into a request path:
the validators, and both connectors' single-task read against the sandboxes over real HTTP
(a hostile key makes no request at all)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr

from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.jira import JiraConnector
from connectors.keys import is_gitlab_project, is_jira_issue, shown_key, split_gitlab_key
from connectors.sandbox.common.seed import Seed
from connectors.sandbox.gitlab.fixtures import BOT_TOKEN, gitlab_source, settled_log
from connectors.sandbox.server import SandboxServer
from syncd.core.errors import FatalError
from tests.connectors.conftest import clear_log, logged

HOSTILE_JIRA = [
    "../../../rest/api/3/myself?x=",
    "SHOP-1/../../myself",
    "SHOP-1?expand=x",
    "SHOP-1#x",
    "shop-1",  # Jira keys are upper case; a lower-case one is not what Jira sends
    "SHOP-",
    "-1",
    "SHOP-1\n",
    "SHOP-١",  # an Arabic-Indic digit: ``\d`` would take it
    "",
    "A" * 2000 + "-1",
]
HOSTILE_GITLAB = [
    "agency/../../api/v4/user#1",
    "agency/shop/..#1",
    "agency/shop#1/../2",
    "agency/shop#0",
    "agency/shop#-1",
    "agency/shop#1?x=1",
    "agency//shop#1",
    "/agency/shop#1",
    "agency/shop.git#1",
    "agency/-shop#1",
    "agency/sh op#1",
    "agency/shop%2F..#1",
    "#1",
    "agency/shop",
    "a/" * 40 + "b#1",
]


@pytest.mark.parametrize("key", ["SHOP-12", "A_1-7", "Q-1", "10001"])
def test_jira_keys_and_ids_accepted(key: str) -> None:
    assert is_jira_issue(key)


@pytest.mark.parametrize("key", HOSTILE_JIRA)
def test_jira_hostile_keys_refused(key: str) -> None:
    assert not is_jira_issue(key)


@pytest.mark.parametrize(
    ("key", "ref"),
    [
        ("agency/shop#2", ("agency/shop", 2)),
        ("gitlab-org/sub.group/gitlab_test#17", ("gitlab-org/sub.group/gitlab_test", 17)),
        ("_legacy/x.y-z#3", ("_legacy/x.y-z", 3)),
        ("4242#9", ("4242", 9)),
    ],
)
def test_gitlab_keys_accepted(key: str, ref: tuple[str, int]) -> None:
    assert split_gitlab_key(key) == ref
    assert is_gitlab_project(ref[0])


@pytest.mark.parametrize("key", HOSTILE_GITLAB)
def test_gitlab_hostile_keys_refused(key: str) -> None:
    assert split_gitlab_key(key) is None


def test_shown_key_is_short_and_printable() -> None:
    shown = shown_key("X" * 100_000 + "\x1b[31m")
    assert len(shown) < 120
    assert "100005 characters" in shown
    assert shown_key("A\nB\u202e") == "A\\nB\\u202e"
    assert shown_key(["SHOP-1"]) == "['SHOP-1']"


def test_jira_fetch_task_refuses_hostile_keys_before_any_request(
    jira_sandbox: Callable[..., tuple[SandboxServer, Seed]],
    jira_connector: Callable[..., JiraConnector],
) -> None:
    server, seed = jira_sandbox("cloud")
    conn = jira_connector(server, seed, "cloud")
    assert conn.fetch_task("SHOP-1") is not None  # the site facts are read once, here
    clear_log(server)
    for key in HOSTILE_JIRA:
        with pytest.raises(FatalError, match="not a Jira issue key") as raised:
            conn.fetch_task(key)
        assert len(str(raised.value)) < 300  # a 2,000-character key is not repeated whole
    assert logged(server) == []


def test_gitlab_fetch_task_refuses_hostile_keys_before_any_request(
    gitlab_server: SandboxServer,
) -> None:
    # A group scope: "agency/../../api/v4/user" starts with the group's path.
    config = gitlab_source(gitlab_server.url, project=None, group="agency")
    conn = GitLabConnector(config, SecretStr(BOT_TOKEN), policy=RetryPolicy(sleep=lambda _s: None))
    try:
        before = len(settled_log(gitlab_server))
        for key in HOSTILE_GITLAB:
            with pytest.raises(FatalError, match="not a GitLab task key"):
                conn.fetch_task(key)
        assert len(settled_log(gitlab_server)) == before
        assert conn.fetch_task("agency/shop#1") is not None
    finally:
        conn.close()
