"""The sandbox GitLab over real HTTP, driven by the real python-gitlab (and by ``requests``
where the raw answer matters): auth, paging, filters, notes, quick actions, events, the
application rate limit and acting as a person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import gitlab
import pytest
import requests

from connectors.sandbox.gitlab.fixtures import BOT_TOKEN, HUMAN_TOKEN, scenario_seed, serve_gitlab
from connectors.sandbox.gitlab.state import GitLabState, Note
from connectors.sandbox.server import SandboxServer


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with serve_gitlab(scenario_seed()) as srv:
        yield srv


@pytest.fixture
def gl(server: SandboxServer) -> Iterator[gitlab.Gitlab]:
    with gitlab.Gitlab(server.url, private_token=BOT_TOKEN) as client:
        yield client


def state_of(server: SandboxServer) -> GitLabState:
    state: GitLabState = server.app.state.gitlab  # type: ignore[attr-defined]
    return state


def act(server: SandboxServer, **payload: object) -> dict[str, object]:
    answer = requests.post(f"{server.url}/_sandbox/act", json=payload, timeout=10)
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def test_auth_private_token_bearer_and_wrong_token(server: SandboxServer) -> None:
    with gitlab.Gitlab(server.url, private_token=BOT_TOKEN) as a:
        a.auth()
        assert a.user is not None
        assert a.user.username == "syncd-bot"
    with gitlab.Gitlab(server.url, oauth_token=HUMAN_TOKEN) as b:
        b.auth()
        assert b.user is not None
        assert b.user.username == "o.smirnova"
    for headers in ({"PRIVATE-TOKEN": "wrong"}, {"Authorization": "Bearer wrong"}, {}):
        answer = requests.get(
            f"{server.url}/api/v4/projects/agency%2Fshop/issues", headers=headers, timeout=10
        )
        assert answer.status_code == 401
        assert answer.json() == {"message": "401 Unauthorized"}
    with (
        gitlab.Gitlab(server.url, private_token="wrong") as c,
        pytest.raises(gitlab.GitlabAuthenticationError),
    ):
        c.auth()


def test_project_by_encoded_path_or_id_and_version(gl: gitlab.Gitlab) -> None:
    by_path = gl.projects.get("agency/shop")
    by_id = gl.projects.get(by_path.id)
    assert by_id.path_with_namespace == "agency/shop"
    assert gl.version()[0].startswith("18.")
    with pytest.raises(gitlab.GitlabGetError) as err:
        gl.projects.get("agency/nope")
    assert err.value.response_code == 404


def test_seed_mapping_labels_states_and_assignees(gl: gitlab.Gitlab) -> None:
    shop = gl.projects.get("agency/shop", lazy=True)
    one = shop.issues.get(1)
    assert one.state == "opened"
    assert set(one.labels) == {
        "email",
        "type::design",
        "priority::high",
        "component::Рассылки",
        "Doing",
    }
    assert [a["username"] for a in one.assignees] == ["d.kovalev", "p.nair"]
    assert one.assignee["username"] == "d.kovalev"
    assert one.due_date == "2026-11-27"
    assert one.references["full"] == "agency/shop#1"
    assert one.task_completion_status == {"count": 2, "completed_count": 1}
    three = shop.issues.get(3)
    assert three.state == "closed"
    assert "Doing" not in three.labels
    assert three.closed_at.startswith("2026-11-12T15:00:00")
    events = [(e.label["name"], e.action) for e in three.resourcelabelevents.list(iterator=True)]
    assert events == [("Doing", "add"), ("Doing", "remove")]
    assert [e.state for e in three.resourcestateevents.list(iterator=True)] == ["closed"]


def test_issue_list_filters_and_ordering(gl: gitlab.Gitlab) -> None:
    shop = gl.projects.get("agency/shop", lazy=True)
    asc = [i.iid for i in shop.issues.list(iterator=True, order_by="updated_at", sort="asc")]
    desc = [i.iid for i in shop.issues.list(iterator=True, order_by="updated_at", sort="desc")]
    assert asc == list(reversed(desc))
    assert sorted(asc) == [1, 2, 3]
    assert [i.iid for i in shop.issues.list(iterator=True, state="closed")] == [3]
    assert {i.iid for i in shop.issues.list(iterator=True, state="opened")} == {1, 2}
    assert [i.iid for i in shop.issues.list(iterator=True, labels=["email", "Doing"])] == [1]
    one = shop.issues.get(1)
    # updated_after is inclusive, and accepts an offset as well as Z
    same = [i.iid for i in shop.issues.list(iterator=True, updated_after=one.updated_at)]
    assert 1 in same
    shifted = "2026-11-20T09:00:00+03:00"  # = 06:00Z, the bot note on SHOP-1
    assert 1 in [i.iid for i in shop.issues.list(iterator=True, updated_after=shifted)]
    group = gl.groups.get("agency", lazy=True)
    assert {(i.project_id, i.iid) for i in group.issues.list(iterator=True)} >= {
        (one.project_id, 1)
    }
    assert len(list(group.issues.list(iterator=True))) == 4


def test_bad_parameters_answer_400(server: SandboxServer) -> None:
    url = f"{server.url}/api/v4/projects/agency%2Fshop/issues"
    for query in ({"updated_after": "yesterday"}, {"order_by": "colour"}, {"state": "open"}):
        answer = requests.get(url, params=query, headers={"PRIVATE-TOKEN": BOT_TOKEN}, timeout=10)
        assert answer.status_code == 400, query


def test_offset_paging_headers_and_link(server: SandboxServer) -> None:
    url = f"{server.url}/api/v4/projects/agency%2Fshop/issues"
    first = requests.get(
        url, params={"per_page": 2}, headers={"PRIVATE-TOKEN": BOT_TOKEN}, timeout=10
    )
    assert len(first.json()) == 2
    assert first.headers["X-Page"] == "1"
    assert first.headers["X-Next-Page"] == "2"
    assert first.headers["X-Total"] == "3"
    assert first.headers["X-Total-Pages"] == "2"
    nxt = first.links["next"]["url"]
    assert nxt.startswith(f"{server.url}/api/v4/projects/agency%2Fshop/issues?")
    second = requests.get(nxt, headers={"PRIVATE-TOKEN": BOT_TOKEN}, timeout=10)
    assert len(second.json()) == 1
    assert second.headers["X-Next-Page"] == ""
    assert "next" not in second.links
    huge = requests.get(
        url, params={"per_page": 1000}, headers={"PRIVATE-TOKEN": BOT_TOKEN}, timeout=10
    )
    assert huge.headers["X-Per-Page"] == "100"
    default = requests.get(url, headers={"PRIVATE-TOKEN": BOT_TOKEN}, timeout=10)
    assert default.headers["X-Per-Page"] == "20"


def test_keyset_paging_survives_changes_while_paging(
    server: SandboxServer, gl: gitlab.Gitlab
) -> None:
    shop = gl.projects.get("agency/shop", lazy=True)
    listing = shop.issues.list(
        iterator=True, pagination="keyset", per_page=1, order_by="updated_at", sort="asc"
    )
    first = next(listing)
    # the first issue changes while we page: keyset must neither skip nor stall
    act(server, action="comment", task=f"SHOP-{first.iid}", author="am", body="moved on")
    rest = [i.iid for i in listing]
    assert sorted({first.iid, *rest}) == [1, 2, 3]
    assert rest[-1] == first.iid  # it reappears at the end, newer


def test_group_issues_refuse_keyset(server: SandboxServer) -> None:
    answer = requests.get(
        f"{server.url}/api/v4/groups/agency/issues",
        params={"pagination": "keyset", "order_by": "updated_at"},
        headers={"PRIVATE-TOKEN": BOT_TOKEN},
        timeout=10,
    )
    assert answer.status_code == 405


def test_python_gitlab_pitfalls_are_errors_under_our_warnings_filter(gl: gitlab.Gitlab) -> None:
    group = gl.groups.get("agency", lazy=True)
    with pytest.raises(UserWarning, match="get_all=True"):  # bare list(): one page only
        group.issues.list(per_page=2)
    with pytest.raises(UserWarning, match="will be ignored"):  # iterator with page=
        group.issues.list(iterator=True, page=2)


def test_notes_default_newest_first_and_asc_on_request(gl: gitlab.Gitlab) -> None:
    issue = gl.projects.get("agency/shop", lazy=True).issues.get(1, lazy=True)
    newest = [n.id for n in issue.notes.list(iterator=True)]
    oldest = [n.id for n in issue.notes.list(iterator=True, sort="asc", order_by="created_at")]
    assert oldest == list(reversed(newest))
    assert len(oldest) == 3
    internal = [n for n in issue.notes.list(iterator=True) if n.internal]
    assert len(internal) == 1
    assert internal[0].confidential is True


def test_short_note_pages_while_more_follow(server: SandboxServer, gl: gitlab.Gitlab) -> None:
    state = state_of(server)
    with state.lock:
        target = state.issues[(state.project("agency/shop").id, 1)]  # type: ignore[union-attr]
        hidden = Note(
            state.new_id("note"),
            102,
            "cross-reference from a confidential issue",
            target.created_at,
            target.created_at,
            system=True,
            hidden=True,
        )
        target.notes.insert(0, hidden)
    url = f"{server.url}/api/v4/projects/agency%2Fshop/issues/1/notes"
    page = requests.get(
        url,
        params={"per_page": "2", "sort": "asc"},
        headers={"PRIVATE-TOKEN": BOT_TOKEN},
        timeout=10,
    )
    assert len(page.json()) == 1
    assert page.headers["X-Next-Page"] == "2"
    issue = gl.projects.get("agency/shop", lazy=True).issues.get(1, lazy=True)
    assert len(list(issue.notes.list(iterator=True, per_page=2, sort="asc"))) == 3


def test_note_create_bumps_issue_and_quick_actions(gl: gitlab.Gitlab) -> None:
    shop = gl.projects.get("agency/shop", lazy=True)
    before = shop.issues.get(2).updated_at
    note = shop.issues.get(2, lazy=True).notes.create({"body": "Status: on it"})
    assert note.id
    assert note.body == "Status: on it"
    assert note.system is False
    after = shop.issues.get(2)
    assert after.updated_at > before
    assert after.user_notes_count == 1
    only = shop.issues.get(2, lazy=True).notes.create({"body": "/label ~urgent\n/due 2026-12-01"})
    assert "id" not in only.attributes
    assert only.attributes["commands_changes"]["due_date"] == "2026-12-01"
    assert only.attributes["summary"]
    after = shop.issues.get(2)
    assert "urgent" in after.labels
    assert after.due_date == "2026-12-01"
    assert after.user_notes_count == 1  # no note for the commands-only body
    mixed = shop.issues.get(2, lazy=True).notes.create({"body": "Done here.\n/close"})
    assert mixed.body == "Done here."
    assert shop.issues.get(2).state == "closed"
    escaped = shop.issues.get(1, lazy=True).notes.create({"body": "\\/close is what you type"})
    assert escaped.id
    assert shop.issues.get(1).state == "opened"


def test_note_edit(gl: gitlab.Gitlab) -> None:
    issue = gl.projects.get("agency/shop", lazy=True).issues.get(2, lazy=True)
    note = issue.notes.create({"body": "first"})
    note.body = "second"
    note.save()
    assert issue.notes.get(note.id).body == "second"
    secret = issue.notes.create({"body": "team only", "internal": True})
    assert secret.internal is True
    assert secret.confidential is True
    with gitlab.Gitlab(gl.url.removesuffix("/api/v4"), private_token=HUMAN_TOKEN) as other:
        theirs = other.projects.get("agency/shop", lazy=True).issues.get(2, lazy=True)
        mine = theirs.notes.get(note.id)
        mine.body = "not yours"
        with pytest.raises(gitlab.GitlabUpdateError) as err:
            mine.save()
        assert err.value.response_code == 403


def test_headerless_429_on_notes_beyond_the_minute_budget() -> None:
    with serve_gitlab(scenario_seed(), notes_per_minute=3) as server:
        _headerless_429(server)


def _headerless_429(server: SandboxServer) -> None:
    url = f"{server.url}/api/v4/projects/agency%2Fshop/issues/2/notes"
    answers = [
        requests.post(url, json={"body": f"n{i}"}, headers={"PRIVATE-TOKEN": BOT_TOKEN}, timeout=10)
        for i in range(4)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    limited = answers[-1]
    assert limited.json() == {
        "message": "This endpoint has been requested too many times. Try again later."
    }
    assert not any(
        h.lower().startswith("ratelimit") or h.lower() == "retry-after" for h in limited.headers
    )
    server.app.state.sandbox_clock.advance(61)  # type: ignore[attr-defined]
    again = requests.post(
        url, json={"body": "later"}, headers={"PRIVATE-TOKEN": BOT_TOKEN}, timeout=10
    )
    assert again.status_code == 201


def test_act_as_a_person_records_events_and_system_notes(
    server: SandboxServer, gl: gitlab.Gitlab
) -> None:
    act(
        server,
        action="update",
        task="SHOP-2",
        **{"as": "am"},
        fields={"due": "2026-12-10", "assignees": ["des"], "priority": "High"},
    )
    act(server, action="transition", task="SHOP-2", **{"as": "des"}, status="in_progress")
    act(server, action="transition", task="SHOP-2", **{"as": "des"}, status="done")
    act(server, action="transition", task="SHOP-2", **{"as": "am"}, status="in_progress")
    issue = gl.projects.get("agency/shop", lazy=True).issues.get(2)
    assert issue.state == "opened"
    assert "Doing" in issue.labels
    assert "priority::high" in issue.labels
    system = [
        (n.author["username"], n.body)
        for n in issue.notes.list(iterator=True, sort="asc")
        if n.system
    ]
    assert ("o.smirnova", "changed due date to December 10, 2026") in system
    assert ("o.smirnova", "assigned to @d.kovalev and unassigned @p.nair") in system
    labels = [
        (e.user["username"], e.label["name"], e.action)
        for e in issue.resourcelabelevents.list(iterator=True)
    ]
    assert labels[-3:] == [
        ("d.kovalev", "Doing", "add"),
        ("d.kovalev", "Doing", "remove"),
        ("o.smirnova", "Doing", "add"),
    ]
    states = [(e.user["username"], e.state) for e in issue.resourcestateevents.list(iterator=True)]
    assert states == [("d.kovalev", "closed"), ("o.smirnova", "reopened")]


def test_act_errors_name_the_problem(server: SandboxServer) -> None:
    bad = requests.post(
        f"{server.url}/_sandbox/act",
        json={"action": "comment", "task": "SHOP-99", "author": "am", "body": "x"},
        timeout=10,
    )
    assert bad.status_code == 404
    assert "SHOP-99" in bad.json()["error"]
    who = requests.post(
        f"{server.url}/_sandbox/act",
        json={"action": "update", "task": "SHOP-1", "as": "am", "fields": {"assignees": ["ghost"]}},
        timeout=10,
    )
    assert who.status_code == 400
    assert "ghost" in who.json()["error"]


def test_writes_use_the_sandbox_clock(server: SandboxServer, gl: gitlab.Gitlab) -> None:
    clock = server.app.state.sandbox_clock  # type: ignore[attr-defined]
    before = clock.now()
    clock.advance(timedelta(days=2).total_seconds())
    note = (
        gl.projects.get("agency/shop", lazy=True)
        .issues.get(2, lazy=True)
        .notes.create({"body": "later"})
    )
    assert note.created_at >= (before + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
