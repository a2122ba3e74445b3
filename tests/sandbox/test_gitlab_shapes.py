"""The sandbox answers in GitLab's shapes: same keys and value types as the example payloads
from GitLab's documentation in ``../shared/reference/gitlab/`` (beside the repository).

Values that GitLab itself sends as null in some states (no milestone, an open issue's
``closed_at``…) may be null on one side only; everything else must match type for type.
The webhook examples (Issue Hook, Note Hook) describe what GitLab *sends*, which the sandbox
does not do; they are the webhook receiver's fixtures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.sandbox.gitlab.fixtures import BOT_TOKEN, scenario_seed, serve_gitlab
from connectors.sandbox.server import SandboxServer
from tests.support.reference import REFERENCE as SHARED
from tests.support.reference import required

REFERENCE = SHARED / "gitlab"
NULLABLE = {
    "milestone",
    "closed_at",
    "closed_by",
    "due_date",
    "assignee",
    "description",
    "closed_as_duplicate_of",
    "avatar_url",
}


def reference(name: str) -> Any:
    return json.loads(required(REFERENCE / name).read_text(encoding="utf-8"))


def shape_problems(ref: Any, got: Any, path: str = "$", key: str = "") -> list[str]:
    if ref is None or got is None:
        if ref is None and got is None:
            return []
        if key in NULLABLE:
            return []
        return [f"{path}: reference {type(ref).__name__}, sandbox {type(got).__name__}"]
    if isinstance(ref, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected an object, got {type(got).__name__}"]
        problems = []
        if set(ref) != set(got):
            missing, extra = sorted(set(ref) - set(got)), sorted(set(got) - set(ref))
            problems.append(f"{path}: missing {missing}, extra {extra}")
        for k in set(ref) & set(got):
            problems += shape_problems(ref[k], got[k], f"{path}.{k}", k)
        return problems
    if isinstance(ref, list):
        if not isinstance(got, list):
            return [f"{path}: expected a list, got {type(got).__name__}"]
        if ref and got:
            return shape_problems(ref[0], got[0], f"{path}[0]", key)
        return []
    if type(ref) is not type(got):
        return [f"{path}: reference {type(ref).__name__}, sandbox {type(got).__name__}"]
    return []


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with serve_gitlab(scenario_seed()) as srv:
        yield srv


def get(server: SandboxServer, path: str) -> Any:
    answer = requests.get(
        f"{server.url}/api/v4{path}", headers={"PRIVATE-TOKEN": BOT_TOKEN}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_shape_checker_catches_differences() -> None:
    ref = {"a": 1, "b": {"c": "x"}, "milestone": {"id": 1}, "l": [{"z": True}]}
    assert (
        shape_problems(ref, {"a": 2, "b": {"c": "y"}, "milestone": None, "l": [{"z": False}]}) == []
    )
    assert shape_problems(ref, {"a": "2", "b": {"c": "y"}, "milestone": None, "l": []}) == [
        "$.a: reference int, sandbox str"
    ]
    assert shape_problems(ref, {"a": 2, "b": {}, "milestone": None, "l": []})
    assert shape_problems(ref, {"a": 2, "b": {"c": "y"}, "milestone": None, "l": [{"z": 1}]})


def test_issue_matches_reference(server: SandboxServer) -> None:
    ref = reference("project_issue.json")
    closed = get(server, "/projects/agency%2Fshop/issues/3")  # closed: closed_at/closed_by set
    assert shape_problems(ref, closed) == []
    listed = get(server, "/projects/agency%2Fshop/issues")
    for issue in listed:
        assert shape_problems(ref, issue) == [], issue["iid"]


def test_notes_match_reference(server: SandboxServer) -> None:
    ref = reference("issue_notes_list.json")
    notes = get(server, "/projects/agency%2Fshop/issues/1/notes")
    assert len(notes) == 3
    for note in notes:
        assert shape_problems(ref[0], note) == [], note["id"]


def test_label_events_match_reference(server: SandboxServer) -> None:
    ref = reference("issue_resource_label_events.json")
    events = get(server, "/projects/agency%2Fshop/issues/3/resource_label_events")
    assert [e["action"] for e in events] == ["add", "remove"]
    for event in events:
        assert shape_problems(ref[0], event) == [], event["id"]
