"""The GitLab connector's GraphQL notes reads (``connectors.gitlab.graphql``) against the
sandbox GitLab's ``/api/graphql`` (graphql-core, GitLab's complexity rule and limits), over
real HTTP with the real python-gitlab for everything REST.

- the sandbox rejects what GitLab would reject: an unknown field, an unknown argument, a
  query over the complexity limit — with GitLab's message;
- GraphQL and REST give the same tasks, field by field — note times included: GitLab's
  GraphQL ``Time`` has whole seconds, and REST's are cut to them (``mapping.note_time``) —
  with fewer requests;
- a GitLab whose GraphQL is missing or broken (404 page, errors array mid-backfill, an error
  page quoting the token, a throttle) costs no task: the connector falls back to REST —
  for the process, logged once, or for one page after a passing failure — with no task lost
  or duplicated and no secret in the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from pydantic import SecretStr
from structlog.testing import capture_logs

from connectors.gitlab import GitLabConnector
from connectors.gitlab.graphql import (
    MAX_COMPLEXITY,
    QUERY_COST_PER_PROJECT,
    notes_query,
)
from connectors.http.retry import RetryPolicy
from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.gitlab.fixtures import (
    BOT_TOKEN,
    gitlab_source,
    scenario_seed,
    serve_gitlab,
    settled_log,
)
from connectors.sandbox.gitlab.graphql import query_cost
from connectors.sandbox.server import SandboxServer
from syncd.core.models import Task

GENERATED_TOKEN = "bot-token"  # the generator's bot
UNUSABLE = "gitlab graphql unusable; notes over REST from now on"
GRAPHQL = "^/api/graphql$"


def _generated(n: int) -> Any:
    now = datetime.now(UTC) - timedelta(days=14)
    return load_seed(generate_seed(n, n_projects=3, n_users=8, now=now), flavour="gitlab")


@pytest.fixture
def generated() -> Iterator[SandboxServer]:
    """250 issues in three projects: three listing pages of a group."""
    with serve_gitlab(_generated(250)) as server:
        yield server


def connector(server: SandboxServer, token: str, **scope: Any) -> GitLabConnector:
    config = gitlab_source(server.url, **scope)
    return GitLabConnector(config, SecretStr(token), retry=RetryPolicy(sleep=lambda _: None))


def sync(conn: GitLabConnector) -> list[Task]:
    try:
        return [t for page in conn.sync(None) for t in page.tasks]
    finally:
        conn.close()


def rest_tasks(server: SandboxServer, token: str, **scope: Any) -> list[Task]:
    conn = connector(server, token, **scope)
    conn.graphql_notes = False
    return sync(conn)


def by_key(tasks: list[Task]) -> dict[str, Task]:
    """Every field of every task, as read (note times are whole seconds either way:
    ``mapping.note_time``)."""
    keys = [t.key for t in tasks]
    assert len(keys) == len(set(keys)), "a task was read twice"
    return {t.key: t for t in tasks}


def _exactly(tasks: list[Task]) -> dict[str, Task]:
    """By key, every field as read; the link without the server's (random) port."""
    return {t.key: t.model_copy(update={"url": t.url.split("/", 3)[3]}) for t in tasks}


def graphql_posts(server: SandboxServer) -> int:
    return sum(1 for e in settled_log(server) if e.path == "/api/graphql")


def rest_notes_reads(server: SandboxServer) -> int:
    return sum(1 for e in settled_log(server) if e.path.endswith("/notes"))


def post(server: SandboxServer, query: str, variables: Any = None) -> Any:
    answer = requests.post(
        f"{server.url}/api/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"PRIVATE-TOKEN": BOT_TOKEN},
        timeout=10,
    )
    assert answer.status_code == 200
    return answer.json()


def act(server: SandboxServer, **payload: Any) -> None:
    answer = requests.post(f"{server.url}/_sandbox/act", json=payload, timeout=10)
    assert answer.status_code == 200, answer.text


# -- the sandbox answers like GitLab ---------------------------------------------------------
def test_the_sandbox_rejects_what_gitlab_would_reject() -> None:
    with serve_gitlab(scenario_seed()) as server:
        unknown_field = post(server, '{ project(fullPath: "agency/shop") { name } }')
        by_state = (
            '{ project(fullPath: "agency/shop") { issues(state: opened) { nodes { iid } } } }'
        )
        unknown_arg = post(server, by_state)
        wrong_type = post(server, "query($p: ID!) { project(fullPath: $p) { id } }", {"p": [1]})
        fine = post(server, '{ project(fullPath: "agency/shop") { fullPath } }')
    for answer in (unknown_field, unknown_arg, wrong_type):
        assert "data" not in answer
        assert answer["errors"]
        assert answer["errors"][0]["message"]
    assert fine == {"data": {"project": {"fullPath": "agency/shop"}}}


def test_the_notes_query_costs_what_gitlab_counts_and_fits_the_limit() -> None:
    from graphql import OperationDefinitionNode, parse

    fits = MAX_COMPLEXITY // QUERY_COST_PER_PROJECT
    variables: dict[str, Any]
    for aliases in (1, fits):
        document = parse(notes_query(aliases))
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        variables = {}
        for n in range(aliases):
            variables |= {f"path{n}": "agency/shop", f"iids{n}": ["1"]}
        assert query_cost(document, variables, operation)[0] == aliases * QUERY_COST_PER_PROJECT
    with serve_gitlab(scenario_seed()) as server:
        variables = {}
        for n in range(fits + 1):
            variables |= {f"path{n}": "agency/shop", f"iids{n}": ["1", "2"]}
        accepted = post(server, notes_query(fits), variables)
        refused = post(server, notes_query(fits + 1), variables)
    assert "errors" not in accepted
    assert len(accepted["data"]["p0"]["issues"]["nodes"]) == 2
    score = (fits + 1) * QUERY_COST_PER_PROJECT
    assert refused == {
        "errors": [
            {
                "message": f"Query has complexity of {score}, which exceeds max complexity "
                f"of {MAX_COMPLEXITY}"
            }
        ]
    }


# -- the same tasks either way ---------------------------------------------------------------
def test_graphql_and_rest_give_the_same_tasks_for_a_lived_in_project() -> None:
    with serve_gitlab(scenario_seed()) as server:
        # Notes with milliseconds, system notes (due date, assignee), label and state events.
        act(server, action="comment", task="SHOP-2", author="dev", body="Checkpoint: half done")
        act(server, action="update", task="SHOP-2", **{"as": "am"}, fields={"due": "2026-12-24"})
        act(server, action="update", task="SHOP-2", **{"as": "am"}, fields={"assignees": ["des"]})
        act(server, action="transition", task="SHOP-2", **{"as": "dev"}, status="in_progress")
        act(server, action="transition", task="SHOP-3", **{"as": "am"}, status="in_progress")
        act(server, action="comment", task="SHOP-3", author="am", body="Reopened: links broke")
        rest = rest_tasks(server, BOT_TOKEN)
        server.log.clear()
        graphql = sync(connector(server, BOT_TOKEN))
        assert graphql_posts(server) == 1
        assert rest_notes_reads(server) == 0
    assert by_key(graphql) == by_key(rest)
    reopened = next(t for t in graphql if t.key == "agency/shop#3")
    assert reopened.start is not None
    assert reopened.comments[-1].body == "Reopened: links broke"
    due_set = [a for a in next(t for t in graphql if t.key == "agency/shop#2").activity]
    assert any(a.field == "due" and a.author and a.author.username == "o.smirnova" for a in due_set)


def test_graphql_and_rest_give_the_same_tasks_for_a_group_in_fewer_requests(
    generated: SandboxServer,
) -> None:
    rest = rest_tasks(generated, GENERATED_TOKEN, group="agency")
    rest_requests = len(settled_log(generated))
    generated.log.clear()
    graphql = sync(connector(generated, GENERATED_TOKEN, group="agency"))
    assert len(graphql) == 250
    assert by_key(graphql) == by_key(rest)
    assert rest_notes_reads(generated) == 0
    assert graphql_posts(generated) == 3  # one a listing page, its projects as aliases
    assert len(settled_log(generated)) < rest_requests


# -- no GraphQL, or a broken one -------------------------------------------------------------
def test_without_graphql_the_rest_path_runs_and_says_so_once() -> None:
    seed = _generated(250)
    with serve_gitlab(seed) as reference:
        rest = rest_tasks(reference, GENERATED_TOKEN, group="agency")
    with serve_gitlab(seed, graphql=False) as server, capture_logs() as logs:
        tasks = sync(connector(server, GENERATED_TOKEN, group="agency"))
        asked = graphql_posts(server)
    assert _exactly(tasks) == _exactly(rest)  # REST times, to the millisecond
    assert asked == 1  # not asked again for the next pages
    warned = [e for e in logs if e["event"] == UNUSABLE]
    assert len(warned) == 1
    assert "404" in warned[0]["reason"]


def test_errors_from_graphql_mid_backfill_lose_and_duplicate_nothing(
    generated: SandboxServer,
) -> None:
    rest = rest_tasks(generated, GENERATED_TOKEN, group="agency")
    generated.log.clear()
    body = {"errors": [{"message": "Internal server error"}]}
    generated.faults.add(kind="status", method="POST", path=GRAPHQL, status=200, body=body, skip=1)
    with capture_logs() as logs:
        tasks = sync(connector(generated, GENERATED_TOKEN, group="agency"))
    assert by_key(tasks) == by_key(rest)
    assert graphql_posts(generated) == 2  # the first page's answer, then the errors: no more
    assert [e["reason"] for e in logs if e["event"] == UNUSABLE] == [
        "errors: Internal server error"
    ]


def test_an_error_page_quoting_the_token_never_reaches_the_log() -> None:
    with serve_gitlab(scenario_seed()) as server, capture_logs() as logs:
        server.faults.add(kind="echo_credentials", method="POST", path=GRAPHQL, status=403)
        tasks = sync(connector(server, BOT_TOKEN))
    assert sorted(t.key for t in tasks) == ["agency/shop#1", "agency/shop#2", "agency/shop#3"]
    warned = [e for e in logs if e["event"] == UNUSABLE]
    assert len(warned) == 1
    assert "HTTP 403" in warned[0]["reason"]
    assert BOT_TOKEN not in repr(logs)


def test_a_throttled_graphql_request_costs_rest_reads_for_that_page_only(
    generated: SandboxServer,
) -> None:
    rest = rest_tasks(generated, GENERATED_TOKEN, group="agency")
    generated.log.clear()
    generated.faults.add(kind="status", method="POST", path=GRAPHQL, status=429, retry_after=1)
    with capture_logs() as logs:
        tasks = sync(connector(generated, GENERATED_TOKEN, group="agency"))
    assert by_key(tasks) == by_key(rest)
    assert graphql_posts(generated) == 3  # tried again for the next pages
    first_page_open = rest_notes_reads(generated)
    assert 0 < first_page_open <= 100  # REST notes for the throttled page's open issues only
    assert not [e for e in logs if e["event"] == UNUSABLE]


def test_a_graphql_that_never_shows_the_issues_is_given_up_after_three_pages(
    generated: SandboxServer,
) -> None:
    rest = rest_tasks(generated, GENERATED_TOKEN, group="agency")
    generated.log.clear()
    nothing = {"data": {"p0": None, "p1": None, "p2": None}}
    generated.faults.add(
        kind="status", method="POST", path=GRAPHQL, status=200, body=nothing, times=None
    )
    with capture_logs() as logs:
        tasks = sync(connector(generated, GENERATED_TOKEN, group="agency"))
    assert _exactly(tasks) == _exactly(rest)  # every note read over REST
    assert graphql_posts(generated) == 3
    warned = [e["reason"] for e in logs if e["event"] == UNUSABLE]
    assert warned == ["3 answers in a row without any issue asked about"]


def test_an_issue_whose_iid_is_no_number_does_not_stop_the_page() -> None:
    with serve_gitlab(scenario_seed()) as server:
        state = server.app.state.gitlab  # type: ignore[attr-defined]
        odd = next(i for i in state.issues.values() if i.iid == 2)
        odd.iid = "two"  # a hostile listing: GitLab's iids are numbers
        act(server, action="transition", task="SHOP-3", **{"as": "am"}, status="in_progress")
        conn = connector(server, BOT_TOKEN)
        with capture_logs():
            tasks = sync(conn)
        assert graphql_posts(server) == 1  # the two other open issues' notes
    assert sorted(t.key for t in tasks) == ["agency/shop#1", "agency/shop#3"]
    assert conn.graphql_notes  # nothing held against GraphQL
