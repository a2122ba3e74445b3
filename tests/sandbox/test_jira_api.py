"""Reading and writing the sandbox Jira over real HTTP: authentication per flavour, users,
comments (paging, properties, ADF validation), entity properties, changelog, labels,
acting as a human and the clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from jira.exceptions import JIRAError

from connectors.sandbox.server import SandboxServer
from tests.sandbox.jira_helpers import client, example_seed, serve

BOT = ("syncd@agency.example", "bot-token-1")


@pytest.fixture
def cloud() -> Iterator[SandboxServer]:
    with serve(example_seed(), "cloud") as server:
        yield server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = BOT
        yield session


def test_cloud_auth(cloud: SandboxServer) -> None:
    url = f"{cloud.url}/rest/api/3/myself"
    for auth in (None, ("syncd@agency.example", "wrong"), ("d.kovalev@agency.example", "")):
        answer = requests.get(url, auth=auth, timeout=5)
        assert answer.status_code == 401
        assert answer.text == "Client must be authenticated to access this resource."
    assert (
        requests.get(url, headers={"Authorization": "Bearer bot-token-1"}, timeout=5).status_code
        == 401
    )
    me = requests.get(url, auth=BOT, timeout=5).json()
    assert me["accountId"] == example_seed().user("bot").account_id
    assert me["timeZone"] == "Europe/Moscow"
    assert me["emailAddress"] == BOT[0]
    info = requests.get(f"{cloud.url}/rest/api/2/serverInfo", timeout=5).json()
    assert info["deploymentType"] == "Cloud"


def test_dc_auth() -> None:
    with serve(example_seed("jira-dc"), "dc") as server:
        url = f"{server.url}/rest/api/2/myself"
        wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5)
        assert wrong.status_code == 401
        assert wrong.json()["errorMessages"]
        assert requests.get(url, auth=BOT, timeout=5).status_code == 401
        me = requests.get(url, headers={"Authorization": "Bearer am-token-1"}, timeout=5).json()
        assert (me["name"], me["timeZone"]) == ("o.smirnova", "Europe/Moscow")
        assert "accountId" not in me
        info = requests.get(f"{server.url}/rest/api/2/serverInfo", timeout=5).json()
        assert info["deploymentType"] == "Server"


def test_other_peoples_email_is_hidden_on_cloud(
    cloud: SandboxServer, http: requests.Session
) -> None:
    assignee = http.get(f"{cloud.url}/rest/api/3/issue/SHOP-1").json()["fields"]["assignee"]
    assert assignee["displayName"] == "Дмитрий Ковалёв"
    assert "emailAddress" not in assignee


def test_comment_paging_and_order(cloud: SandboxServer) -> None:
    with client(cloud, "cloud", "2") as jira:
        for n in range(5):
            jira.add_comment("SHOP-2", f"note {n}")
        first = jira.comments("SHOP-2", start_at=0, max_results=2)
        rest = jira.comments("SHOP-2", start_at=2, max_results=10)
        assert [c.body for c in first + rest] == [f"note {n}" for n in range(5)]
        newest = jira.comments("SHOP-2", max_results=1, order_by="-created")
        assert newest[0].body == "note 4"
        page = jira._get_json("issue/SHOP-2/comment", params={"startAt": 4, "maxResults": 2})
        assert (page["startAt"], page["maxResults"], page["total"], len(page["comments"])) == (
            4,
            2,
            5,
            1,
        )


def test_comment_with_properties_is_one_call(cloud: SandboxServer, http: requests.Session) -> None:
    body = {
        "body": {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Reminder"}]}],
        },
        "properties": [{"key": "syncd", "value": {"marker": "syncd:abc"}}],
    }
    created = http.post(f"{cloud.url}/rest/api/3/issue/SHOP-2/comment", json=body)
    assert created.status_code == 201
    cid = created.json()["id"]
    listed = http.get(
        f"{cloud.url}/rest/api/3/issue/SHOP-2/comment", params={"expand": "properties"}
    ).json()
    assert listed["comments"][-1]["properties"] == [
        {"key": "syncd", "value": {"marker": "syncd:abc"}}
    ]
    prop = http.get(f"{cloud.url}/rest/api/3/comment/{cid}/properties/syncd")
    assert prop.json() == {"key": "syncd", "value": {"marker": "syncd:abc"}}
    keys = http.get(f"{cloud.url}/rest/api/3/comment/{cid}/properties").json()["keys"]
    assert [k["key"] for k in keys] == ["syncd"]
    assert cloud.log.count("POST", "/comment$") == 1


def test_v3_rejects_a_plain_string_body(cloud: SandboxServer) -> None:
    with client(cloud, "cloud", "3") as jira:
        with pytest.raises(JIRAError) as info:
            jira.add_comment("SHOP-1", "plain text")
        assert info.value.status_code == 400
        assert "Comment body is not valid!" in str(info.value.text)
        bad_adf = {"type": "doc", "version": 1, "content": [{"type": "text", "text": "bare"}]}
        answer = requests.post(
            f"{cloud.url}/rest/api/3/issue/SHOP-1/comment",
            json={"body": bad_adf},
            auth=BOT,
            timeout=5,
        )
        assert answer.status_code == 400
        assert answer.json()["errors"] == {"comment": "Comment body is not valid!"}
        assert len(jira.comments("SHOP-1")) == 1


def test_mention_written_as_adf_reads_as_wiki(cloud: SandboxServer, http: requests.Session) -> None:
    des = example_seed().user("des").account_id
    mention = {"type": "mention", "attrs": {"id": des}}
    text = {"type": "text", "text": " please add a checkpoint"}
    adf = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [mention, text]}],
    }
    assert (
        http.post(f"{cloud.url}/rest/api/3/issue/SHOP-1/comment", json={"body": adf}).status_code
        == 201
    )
    wiki = http.get(f"{cloud.url}/rest/api/2/issue/SHOP-1/comment").json()["comments"][-1]["body"]
    assert wiki == f"[~accountid:{des}] please add a checkpoint\n"
    assert (
        http.post(
            f"{cloud.url}/rest/api/2/issue/SHOP-2/comment",
            json={"body": f"h2. Note\n[~accountid:{des}] *now*"},
        ).status_code
        == 201
    )
    back = http.get(f"{cloud.url}/rest/api/3/issue/SHOP-2/comment").json()["comments"][-1]["body"]
    assert back["content"][0]["type"] == "heading"
    assert back["content"][1]["content"][0] == {"type": "mention", "attrs": {"id": des}}


def test_issue_properties(cloud: SandboxServer, http: requests.Session) -> None:
    url = f"{cloud.url}/rest/api/3/issue/SHOP-1/properties"
    assert http.put(f"{url}/syncd.state", json={"n": 1}).status_code == 201
    assert http.put(f"{url}/syncd.state", json={"n": 2}).status_code == 200
    assert http.get(f"{url}/syncd.state").json() == {"key": "syncd.state", "value": {"n": 2}}
    assert [k["key"] for k in http.get(url).json()["keys"]] == ["syncd.state"]
    assert http.put(f"{url}/big", json="x" * 40_000).status_code == 400
    assert http.delete(f"{url}/syncd.state").status_code == 204
    assert http.get(f"{url}/syncd.state").status_code == 404
    with client(cloud, "cloud") as jira:
        jira.add_issue_property("SHOP-2", "k", {"v": True})
        assert jira.issue_property("SHOP-2", "k").value.v is True


def test_changelog_endpoint_pages(cloud: SandboxServer, http: requests.Session) -> None:
    url = f"{cloud.url}/rest/api/3/issue/NOVA-8/changelog"
    first = http.get(url, params={"maxResults": 1}).json()
    assert (first["total"], first["isLast"], len(first["values"])) == (2, False, 1)
    second = http.get(url, params={"maxResults": 1, "startAt": 1}).json()
    items = second["values"][0]["items"]
    assert [(i["field"], i["toString"]) for i in items] == [
        ("status", "Done"),
        ("resolution", "Done"),
    ]
    assert second["isLast"] is True


def test_labels_update_bumps_updated_and_logs(cloud: SandboxServer, http: requests.Session) -> None:
    cloud.app.state.sandbox_clock.freeze(example_seed().now)  # type: ignore[attr-defined]
    with client(cloud, "cloud", "2") as jira:
        issue = jira.issue("SHOP-2")
        issue.update(update={"labels": [{"add": "syncd-missing-goal"}]})
        assert issue.fields.labels == ["syncd-missing-goal"]
        assert issue.fields.updated == "2026-11-23T09:00:00.000+0300"
        issue.update(fields={"labels": []})
    history = http.get(f"{cloud.url}/rest/api/3/issue/SHOP-2/changelog").json()["values"]
    assert [i["field"] for h in history for i in h["items"]][-2:] == ["labels", "labels"]
    with client(cloud, "cloud", "2") as jira:
        jira.issue("SHOP-2").update(comment="added through update")
    assert http.get(f"{cloud.url}/rest/api/2/issue/SHOP-2/comment").json()["comments"][-1][
        "body"
    ] == ("added through update")
    bad = http.put(f"{cloud.url}/rest/api/3/issue/SHOP-2", json={"fields": {"votes": 3}})
    assert bad.status_code == 400
    assert "votes" in bad.json()["errors"]


def test_act_as_a_human(cloud: SandboxServer, http: requests.Session) -> None:
    act = f"{cloud.url}/_sandbox/act"
    http.post(f"{cloud.url}/_sandbox/clock", json={"now": "2026-11-24T12:00:00+03:00"})
    done = http.post(
        act,
        json={
            "action": "comment",
            "task": "SHOP-2",
            "author": "dev",
            "body": "Checkpoint: **half** done",
        },
    )
    assert done.status_code == 200
    moved = http.post(
        act, json={"action": "transition", "task": "SHOP-3", "as": "am", "status": "in_progress"}
    )
    assert moved.status_code == 200
    edited = http.post(
        act,
        json={
            "action": "update",
            "task": "SHOP-3",
            "as": "am",
            "fields": {"due": "2026-12-01", "assignees": ["des"]},
        },
    )
    assert edited.status_code == 200
    assert (
        http.post(
            act,
            json={
                "action": "update",
                "task": "SHOP-3",
                "as": "am",
                "fields": {"assignees": ["des", "dev"]},
            },
        ).status_code
        == 400
    )
    assert (
        http.post(
            act, json={"action": "comment", "task": "SHOP-99", "author": "dev", "body": "x"}
        ).status_code
        == 404
    )
    assert (
        http.post(
            act, json={"action": "comment", "task": "SHOP-2", "author": "ghost", "body": "x"}
        ).status_code
        == 404
    )
    shop2 = http.get(f"{cloud.url}/rest/api/2/issue/SHOP-2").json()["fields"]
    assert shop2["comment"]["comments"][-1]["body"] == "Checkpoint: *half* done\n"
    assert shop2["comment"]["comments"][-1]["author"]["displayName"] == "Priya Nair"
    assert shop2["updated"] == "2026-11-24T12:00:00.000+0300"
    shop3 = http.get(f"{cloud.url}/rest/api/3/issue/SHOP-3").json()["fields"]
    assert shop3["status"]["statusCategory"]["key"] == "indeterminate"
    assert shop3["duedate"] == "2026-12-01"
    assert shop3["assignee"]["displayName"] == "Дмитрий Ковалёв"
    found = http.get(
        f"{cloud.url}/rest/api/3/search/jql",
        params={"jql": 'updated >= "2026/11/24 12:00"', "fields": "key"},
    ).json()
    assert sorted(i["key"] for i in found["issues"]) == ["SHOP-2", "SHOP-3"]


def test_lost_comment_response_still_creates_the_comment(
    cloud: SandboxServer, http: requests.Session
) -> None:
    cloud.faults.add(kind="lost_response", method="POST", path="/comment$")
    with pytest.raises(requests.exceptions.ConnectionError):
        http.post(f"{cloud.url}/rest/api/2/issue/SHOP-3/comment", json={"body": "syncd:lost"})
    bodies = [
        c["body"]
        for c in http.get(f"{cloud.url}/rest/api/2/issue/SHOP-3/comment").json()["comments"]
    ]
    assert bodies == ["syncd:lost"]


def test_drop_comment_properties_accepts_them_and_keeps_none(http: requests.Session) -> None:
    """The switch behind the connector's text-marker fallback: the POST succeeds, the
    comment exists, its properties are gone (as on servers that ignore them)."""
    body = {"body": "Reminder", "properties": [{"key": "syncd", "value": {"marker": "abc"}}]}
    with serve(example_seed(), "cloud", drop_comment_properties=True) as server:
        created = http.post(f"{server.url}/rest/api/2/issue/SHOP-2/comment", json=body)
        assert created.status_code == 201
        cid = created.json()["id"]
        prop = http.get(f"{server.url}/rest/api/2/comment/{cid}/properties/syncd")
        assert prop.status_code == 404
        listed = http.get(
            f"{server.url}/rest/api/2/issue/SHOP-2/comment", params={"expand": "properties"}
        ).json()
        assert listed["comments"][-1]["id"] == cid
        assert listed["comments"][-1]["properties"] == []
    with serve(example_seed(), "cloud") as server:  # the default keeps them
        cid = http.post(f"{server.url}/rest/api/2/issue/SHOP-2/comment", json=body).json()["id"]
        prop = http.get(f"{server.url}/rest/api/2/comment/{cid}/properties/syncd")
        assert prop.json()["value"] == {"marker": "abc"}
