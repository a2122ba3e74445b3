"""Search over real HTTP: Cloud token paging (short pages, issues changing while paging,
a whole page of equal timestamps), Data Center startAt/total, removed and unknown
endpoints, and the embedded-comment cap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import DEMO_SEED, SandboxServer
from tests.sandbox.jira_helpers import client, example_seed, serve

BOT = ("syncd@agency.example", "bot-token-1")


def many(n: int, *, same_minute: bool = False) -> dict[str, Any]:
    """``n`` SHOP tasks; with ``same_minute`` all share one ``updated`` (to the millisecond)."""
    tasks = []
    for i in range(1, n + 1):
        created = (
            "2026-11-20T10:15:00+03:00"
            if same_minute
            else f"2026-11-{1 + i // 60:02d}T{i % 24:02d}:{i % 60:02d}:00+03:00"
        )
        tasks.append(
            {
                "project": "SHOP",
                "number": i,
                "title": f"Task {i}",
                "status": "new",
                "reporter": "bot",
                "created": created,
            }
        )
    return {
        "format": "syncd-seed/1",
        "users": [
            {
                "id": "bot",
                "name": "syncd",
                "username": "syncd-bot",
                "email": BOT[0],
                "time_zone": "Europe/Moscow",
                "bot": True,
                "token": BOT[1],
            }
        ],
        "projects": [{"key": "SHOP", "name": "Shop"}],
        "tasks": tasks,
    }


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = BOT
        yield session


def walk(
    http: requests.Session, server: SandboxServer, jql: str, size: int, on_page: Any = None
) -> list[list[str]]:
    pages: list[list[str]] = []
    token = None
    while True:
        params: dict[str, Any] = {"jql": jql, "maxResults": size, "fields": "key,updated"}
        if token:
            params["nextPageToken"] = token
        answer = http.get(f"{server.url}/rest/api/3/search/jql", params=params)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        pages.append([i["key"] for i in data["issues"]])
        if on_page:
            on_page(len(pages))
        token = data.get("nextPageToken")
        assert data["isLast"] is (token is None)
        if token is None:
            return pages


def test_token_paging_walks_everything(http: requests.Session) -> None:
    with serve(load_seed(many(12)), "cloud") as server:
        pages = walk(http, server, "project = SHOP ORDER BY key ASC", 5)
        assert [len(p) for p in pages] == [5, 5, 2]
        assert [k for p in pages for k in p] == [f"SHOP-{i}" for i in range(1, 13)]
        assert server.log.count("GET", "/search/jql$") == 3


def test_short_pages_while_more_follow(http: requests.Session) -> None:
    with serve(load_seed(many(20)), "cloud", short_pages=True) as server:
        pages = walk(http, server, "project = SHOP ORDER BY key ASC", 6)
        assert any(len(p) < 6 for p in pages[:-1])
        assert sorted(k for p in pages for k in p) == sorted(f"SHOP-{i}" for i in range(1, 21))


def test_issue_updated_while_paging_comes_again_and_nothing_is_skipped(
    http: requests.Session,
) -> None:
    with serve(load_seed(many(10)), "cloud") as server:

        def touch(page: int) -> None:
            if page == 1:
                act = {"action": "comment", "task": "SHOP-2", "author": "bot", "body": "moved"}
                assert http.post(f"{server.url}/_sandbox/act", json=act).status_code == 200

        pages = walk(http, server, "project = SHOP ORDER BY updated ASC, key ASC", 4, touch)
        seen = [k for p in pages for k in p]
        assert set(seen) == {f"SHOP-{i}" for i in range(1, 11)}
        assert seen.count("SHOP-2") == 2
        assert seen[-1] == "SHOP-2"


def test_a_page_of_equal_timestamps_neither_stalls_nor_skips(http: requests.Session) -> None:
    with serve(load_seed(many(150, same_minute=True)), "cloud") as server:
        pages = walk(
            http,
            server,
            'project = SHOP AND updated >= "2026/11/20 10:15" ORDER BY updated ASC, key ASC',
            50,
        )
        keys = [k for p in pages for k in p]
        assert len(keys) == 150
        assert len(set(keys)) == 150


def test_dc_pages_with_start_at_and_total() -> None:
    with serve(load_seed(many(23)), "dc") as server, requests.Session() as http:
        http.headers["Authorization"] = "Bearer bot-token-1"
        first = http.get(
            f"{server.url}/rest/api/2/search",
            params={"jql": "project = SHOP ORDER BY key", "maxResults": 10},
        ).json()
        assert (first["startAt"], first["maxResults"], first["total"], len(first["issues"])) == (
            0,
            10,
            23,
            10,
        )
        last = http.get(
            f"{server.url}/rest/api/2/search",
            params={"jql": "project = SHOP ORDER BY key", "startAt": 20, "maxResults": 10},
        ).json()
        assert [i["key"] for i in last["issues"]] == ["SHOP-21", "SHOP-22", "SHOP-23"]
        assert "fields" in last["issues"][0]
        with client(server, "dc") as jira:
            assert len(jira.search_issues("project = SHOP", maxResults=False)) == 23


def test_removed_and_foreign_endpoints(http: requests.Session) -> None:
    with serve(example_seed(), "cloud") as server:
        for version in ("2", "3"):
            gone = http.get(
                f"{server.url}/rest/api/{version}/search", params={"jql": "project = SHOP"}
            )
            assert gone.status_code == 410
            assert "/rest/api/3/search/jql" in gone.json()["errorMessages"][0]
        unbounded = http.get(
            f"{server.url}/rest/api/3/search/jql", params={"jql": "order by key desc"}
        )
        assert unbounded.status_code == 400
        assert "Unbounded JQL" in unbounded.json()["errorMessages"][0]
        bad_token = http.get(
            f"{server.url}/rest/api/3/search/jql",
            params={"jql": "project = SHOP", "nextPageToken": "zzz"},
        )
        assert bad_token.status_code == 400
    with serve(example_seed("jira-dc"), "dc") as server, requests.Session() as dc:
        dc.headers["Authorization"] = "Bearer bot-token-1"
        assert (
            dc.get(
                f"{server.url}/rest/api/2/search/jql", params={"jql": "project = SHOP"}
            ).status_code
            == 404
        )
        assert dc.get(f"{server.url}/rest/api/3/myself").status_code == 404
        assert dc.get(f"{server.url}/rest/api/2/search", params={"jql": ""}).json()["total"] == 5


def test_post_search_and_field_selection(http: requests.Session) -> None:
    with serve(example_seed(), "cloud") as server:
        body = {
            "jql": "project = NOVA ORDER BY key",
            "fields": ["summary", "duedate"],
            "maxResults": 1,
        }
        first = http.post(f"{server.url}/rest/api/3/search/jql", json=body).json()
        assert set(first["issues"][0]["fields"]) == {"summary", "duedate"}
        second = http.post(
            f"{server.url}/rest/api/3/search/jql",
            json={**body, "nextPageToken": first["nextPageToken"]},
        ).json()
        assert [i["key"] for i in second["issues"]] == ["NOVA-8"]
        without = http.get(
            f"{server.url}/rest/api/3/search/jql",
            params={"jql": "key = NOVA-7", "fields": "*all,-comment,-description"},
        ).json()
        assert "comment" not in without["issues"][0]["fields"]
        assert "description" not in without["issues"][0]["fields"]
        assert "summary" in without["issues"][0]["fields"]


def test_jql_errors_reach_the_library() -> None:
    with serve(example_seed(), "cloud") as server, client(server, "cloud", "3") as jira:
        from jira.exceptions import JIRAError

        with pytest.raises(JIRAError) as info:
            jira.enhanced_search_issues("priority ~ high", maxResults=1)
        assert info.value.status_code == 400
        assert "'~' is not supported" in str(info.value.text)


def test_embedded_comments_are_capped_at_20() -> None:
    demo = load_seed(DEMO_SEED, flavour="jira-cloud")
    long_task = max(demo.tasks, key=lambda t: len(t.comments))
    assert len(long_task.comments) > 20
    with serve(demo, "cloud") as server, client(server, "cloud", "3", user="olga") as jira:
        found = jira.enhanced_search_issues(f"key = {long_task.key}", fields=["comment"])
        embedded = found[0].raw["fields"]["comment"]
        assert len(embedded["comments"]) == 20
        assert embedded["total"] == len(long_task.comments)
        assert len(jira.comments(long_task.key)) == len(long_task.comments)


def test_search_lags_behind_writes_unless_reconciled(http: requests.Session) -> None:
    with serve(example_seed(), "cloud", search_lag=30) as server:
        clock = f"{server.url}/_sandbox/clock"
        http.post(clock, json={"now": "2026-11-23T09:00:00+03:00"})
        act = {"action": "update", "task": "SHOP-3", "as": "am", "fields": {"labels": ["urgent"]}}
        assert http.post(f"{server.url}/_sandbox/act", json=act).ok
        url = f"{server.url}/rest/api/3/search/jql"
        query = {"jql": "labels = urgent", "fields": "labels"}
        assert http.get(url, params=query).json()["issues"] == []  # not indexed yet
        shop3 = http.get(f"{server.url}/rest/api/3/issue/SHOP-3").json()
        assert shop3["fields"]["labels"] == ["urgent"]  # the issue itself is current
        reconciled = http.get(url, params={**query, "reconcileIssues": shop3["id"]}).json()
        assert [i["key"] for i in reconciled["issues"]] == ["SHOP-3"]
        posted = http.post(
            url, json={**query, "fields": ["labels"], "reconcileIssues": [int(shop3["id"])]}
        )
        assert [i["key"] for i in posted.json()["issues"]] == ["SHOP-3"]
        http.post(clock, json={"advance": 31})
        assert [i["key"] for i in http.get(url, params=query).json()["issues"]] == ["SHOP-3"]


def test_status_list_names_every_status_with_its_category() -> None:
    with serve(example_seed(), "cloud") as server:
        answer = requests.get(
            f"{server.url}/rest/api/3/status",
            auth=("syncd@agency.example", "bot-token-1"),
            timeout=10,
        )
    assert answer.status_code == 200
    categories = {s["name"]: s["statusCategory"]["key"] for s in answer.json()}
    assert categories == {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}
