"""The example seed read back through the real ``jira`` library — Cloud v3, Cloud v2 and
Data Center — with the same tasks, assignees, due dates, comment authors and section text."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from jira import JIRA

from tests.sandbox.jira_helpers import client, example_seed, serve

FLAVOURS = [("cloud", "3"), ("cloud", "2"), ("dc", "2")]


def _text(body: Any) -> str:
    """Text of a v3 ADF body or a v2 wiki string, for comparing content across forms."""
    if isinstance(body, str):
        return body
    return json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize(("flavour", "version"), FLAVOURS, ids=["cloud-v3", "cloud-v2", "dc"])
def test_example_seed_reads_back_the_same(flavour: str, version: str) -> None:
    seed = example_seed("jira-cloud" if flavour == "cloud" else "jira-dc")
    with serve(seed, flavour) as server, client(server, flavour, version) as jira:
        assert jira.deploymentType == ("Cloud" if flavour == "cloud" else "Server")
        me = jira.myself()
        assert me["timeZone"] == "Europe/Moscow"
        jql = "project in (SHOP, NOVA) ORDER BY key ASC"
        if flavour == "cloud":
            issues = jira.enhanced_search_issues(jql, maxResults=0, fields=["*all"])
        else:
            issues = jira.search_issues(jql, maxResults=False)
        assert sorted(i.key for i in issues) == sorted(t.key for t in seed.tasks)
        by_key = {i.key: i for i in issues}
        for task in seed.tasks:
            issue = by_key[task.key]
            raw = issue.raw["fields"]
            assert raw["summary"] == task.title
            assert raw["duedate"] == (task.due.isoformat() if task.due else None)
            assert raw["issuetype"]["name"] == task.type
            assert (
                raw["status"]["statusCategory"]["key"]
                == {"new": "new", "in_progress": "indeterminate", "done": "done"}[task.status]
            )
            if task.assignees:
                person = seed.user(task.assignees[0])
                assert raw["assignee"]["displayName"] == person.name
                if flavour == "cloud":
                    assert raw["assignee"]["accountId"] == person.account_id
                    assert "name" not in raw["assignee"]
                else:
                    assert raw["assignee"]["name"] == person.username
            else:
                assert raw["assignee"] is None
            comments = jira.comments(task.key)
            assert [c.author.displayName for c in comments] == [
                seed.user(c.author).name for c in task.comments
            ]
            if version == "3":
                assert all(
                    isinstance(c.raw["body"], dict) and c.raw["body"]["type"] == "doc"
                    for c in comments
                )
            else:
                assert all(isinstance(c.raw["body"], str) for c in comments)
            if task.status == "done":
                assert raw["resolutiondate"] is not None
            else:
                assert raw["resolutiondate"] is None
        # section text survives in each form
        shop1 = jira.issue("SHOP-1").raw["fields"]["description"]
        assert "Увеличить выручку от рассылки на 15 %" in _text(shop1)
        assert "Критерии приёмки" in _text(shop1)
        nova7 = _text(jira.issue("NOVA-7").raw["fields"]["description"])
        assert "Collect 500 savings-account applications in December." in nova7
        assert "Lighthouse performance ≥ 90 on mobile" in nova7
        shop3 = jira.issue("SHOP-3").raw["fields"]["description"]
        if version == "3":
            assert shop3["content"][0]["content"][0] == {
                "type": "text",
                "text": "Goal:",
                "marks": [{"type": "strong"}],
            }
            assert (
                jira.issue("NOVA-7").raw["fields"]["description"]["content"][0]["type"] == "heading"
            )
        else:
            assert shop3.startswith("*Goal:* TBD")
            assert nova7.startswith("h2. Goal\n")
        marker = jira.comments("NOVA-7")[1].raw["body"]
        assert "<!-- syncd:example -->" in _text(marker)


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_start_date_found_by_field_name_and_changelog(flavour: str) -> None:
    seed = example_seed("jira-cloud" if flavour == "cloud" else "jira-dc")
    with serve(seed, flavour) as server, client(server, flavour) as jira:
        fields = jira.fields()
        start = [f["id"] for f in fields if f["name"] == "Start date"]
        decoy = [f["id"] for f in fields if f["name"] == "Target start"]
        assert len(start) == 1
        assert len(decoy) == 1
        assert start[0] != "customfield_10015"
        issue = jira.issue("NOVA-7")
        assert issue.raw["fields"][start[0]] == "2026-11-03"
        assert issue.raw["fields"][decoy[0]] != "2026-11-03"
        histories = jira.issue("NOVA-8", expand="changelog").raw["changelog"]["histories"]
        moves = [
            (h["created"], item["fromString"], item["toString"])
            for h in histories
            for item in h["items"]
            if item["field"] == "status"
        ]
        assert moves == [
            ("2026-11-11T10:00:00.000+0300", "To Do", "In Progress"),
            ("2026-11-12T18:00:00.000+0300", "In Progress", "Done"),
        ]


def test_timestamps_look_like_jira_in_the_viewers_zone() -> None:
    seed = example_seed()
    with serve(seed, "cloud") as server:
        with client(server, "cloud") as jira:
            created = jira.issue("SHOP-1").raw["fields"]["created"]
        assert created == "2026-11-16T10:00:00.000+0300"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}", created)


def test_cloud_search_defaults_to_ids_only() -> None:
    with serve(example_seed(), "cloud") as server, requests.Session() as http:
        http.auth = ("syncd@agency.example", "bot-token-1")
        answer = http.get(f"{server.url}/rest/api/3/search/jql", params={"jql": "project = SHOP"})
        result: dict[str, Any] = answer.json()
        assert len(result["issues"]) == 3
        assert all(set(i) == {"id"} for i in result["issues"])
        assert result["isLast"] is True
        assert "nextPageToken" not in result


def test_dc_search_pages_with_total() -> None:
    with serve(example_seed("jira-dc"), "dc") as server, client(server, "dc") as jira:
        assert isinstance(jira, JIRA)
        page = jira.search_issues("project = SHOP ORDER BY key ASC", maxResults=2)
        assert [i.key for i in page] == ["SHOP-1", "SHOP-2"]
        assert page.total == 3
