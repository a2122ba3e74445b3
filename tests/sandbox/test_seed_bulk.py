"""Loading big seeds fast without changing what is loaded (issue 17: a 100,000-task seed with
ADF documents served in < 30 s; timings live in ``tests/bench/bench_seed.py``).

A seed read from a JSON file takes the fast path (documents taken as ``json.loads`` made
them, exact documents recognised by their text, error paths built only on failure); a seed
given as Python data takes the careful one. Both must serve the same answers and name the
same place for every bad value.
"""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.sandbox.common.docconv import _Shapes, markdown_to_adf
from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import Seed, SeedError, SeedUser, load_seed
from connectors.sandbox.jira.store import ms
from connectors.sandbox.server import SandboxServer, create_app, load_for_life
from tests.sandbox.test_seed import DELETE, EXAMPLE, RULES, _mutate
from tests.support.reference import required


def _write(data: Any, path: Path) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _generated(documents: Any) -> dict[str, Any]:
    data = generate_seed(80, n_projects=4, n_users=6, documents=documents)
    # Below Jira's millisecond precision: the store truncates it.
    data["tasks"][5]["created"] = "2026-10-01T10:00:00.123456+03:00"
    return data


def _answers(seed: Seed, flavour: str) -> dict[str, Any]:
    """What a client reads: search pages, issues with rendered fields and changelog,
    comments, a project (its lead) — with the server's address taken out."""
    out: dict[str, Any] = {}
    with SandboxServer(create_app(flavour, seed)) as server:
        if flavour == "gitlab":
            client = httpx.Client(base_url=server.url, headers={"PRIVATE-TOKEN": "bot-token"})
            paths = ["/api/v4/groups/agency/projects"]
            ids = [p["id"] for p in client.get(paths[0]).json()][:2]
            for pid in ids:
                paths.append(f"/api/v4/projects/{pid}/issues?per_page=100&order_by=updated_at")
                paths.append(f"/api/v4/projects/{pid}/issues/3/notes")
        else:
            cloud = flavour == "jira-cloud"
            client = httpx.Client(
                base_url=server.url,
                auth=("syncd@agency.example", "bot-token") if cloud else None,
                headers=None if cloud else {"Authorization": "Bearer bot-token"},
            )
            paths = []
            for version in ("2", "3") if cloud else ("2",):
                api = f"/rest/api/{version}"
                search = f"{api}/search/jql" if cloud else f"{api}/search"
                paths.append(
                    f"{search}?jql=project = P1 ORDER BY updated DESC, key ASC&fields=*all"
                    "&maxResults=100&expand=renderedFields,names,changelog"
                )
                for key in ("P0-1", "P2-3", "P3-7", "P1-9"):
                    paths.append(f"{api}/issue/{key}?expand=renderedFields,changelog")
                    paths.append(f"{api}/issue/{key}/comment")
                paths.append(f"{api}/project/P1")
        try:
            for path in paths:
                reply = client.get(path)
                out[path] = (reply.status_code, json.loads(reply.text.replace(server.url, "")))
        finally:
            client.close()
    return out


@pytest.mark.parametrize("documents", ["adf", "markdown"])
@pytest.mark.parametrize("flavour", ["jira-cloud", "jira-dc", "gitlab"])
def test_a_seed_file_serves_what_the_same_data_serves(
    tmp_path: Path, documents: str, flavour: str
) -> None:
    data = _generated(documents)
    from_file = load_seed(_write(data, tmp_path / "seed.json"), flavour=flavour)  # type: ignore[arg-type]
    from_data = load_seed(copy.deepcopy(data), flavour=flavour)  # type: ignore[arg-type]
    assert from_file == from_data
    served = _answers(from_file, flavour)
    assert all(status == 200 for status, _ in served.values())
    assert served == _answers(from_data, flavour)


def _reference_project_lead(seed: Seed, key: str) -> SeedUser | None:
    """The project lead as first written: one pass over the tasks per project."""
    counts: dict[str, int] = {}
    for task in seed.tasks:
        if task.project == key and not seed.user(task.reporter).bot:
            counts[task.reporter] = counts.get(task.reporter, 0) + 1
    if not counts:
        return None
    best = max(counts, key=lambda uid: (counts[uid], -seed.user(uid).index))
    return seed.user(best)


def test_project_leads_are_those_of_the_per_project_count() -> None:
    data = generate_seed(400, n_projects=9, n_users=4, seed=3)
    data["projects"].append({"key": "EMPTY", "name": "No tasks"})
    for task in data["tasks"]:
        if task["project"] == "P8":
            task["reporter"] = "bot"  # only the bot reported: no lead
    seed = load_seed(data)
    leads = {p.key: seed.project_lead(p.key) for p in seed.projects}
    assert leads == {p.key: _reference_project_lead(seed, p.key) for p in seed.projects}
    assert leads["EMPTY"] is None
    assert leads["P8"] is None
    assert sum(lead is not None for lead in leads.values()) == 8


def test_ms_truncates_to_milliseconds_and_keeps_whole_ones() -> None:
    whole = datetime(2026, 11, 23, 9, 0, 0, 123000, tzinfo=UTC)
    assert ms(whole) is whole
    assert ms(whole.replace(microsecond=123999)) == whole
    assert ms(whole.replace(microsecond=999)) == whole.replace(microsecond=0)


@pytest.fixture
def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(required(EXAMPLE).read_text(encoding="utf-8"))
    return data


MORE_RULES = [
    ("tasks[0].comments[0].body", 5, "tasks[0].comments[0].body", "expected an object"),
    ("tasks[0].comments[0].body", {}, "tasks[0].comments[0].body", "at least one of"),
    ("tasks[0].comments[0].internal", "no", "tasks[0].comments[0].internal", "true or false"),
    ("tasks[0].comments[0].created", "soon", "tasks[0].comments[0].created", "not an ISO 8601"),
    ("tasks[0].comments[0].author", 7, "tasks[0].comments[0].author", "expected a string"),
    ("tasks[0].comments[0].body", DELETE, "tasks[0].comments[0].body", "required"),
    ("tasks[0].comments", "none", "tasks[0].comments", "expected a list"),
    ("tasks[0].comments[0]", "hi", "tasks[0].comments[0]", "expected an object"),
    ("tasks[1].labels", ["web", " "], "tasks[1].labels[1]", "must not be empty"),
    ("tasks[1].components", [3], "tasks[1].components[0]", "expected a string"),
    ("tasks[1].priority", "", "tasks[1].priority", "must not be empty"),
    ("tasks[1].type", 5, "tasks[1].type", "expected a string"),
    ("tasks[1].title", "  ", "tasks[1].title", "must not be empty"),
    ("tasks[1].updated", 20261101, "tasks[1].updated", "expected a timestamp string"),
    ("tasks[1].start_date", "2026-13-01", "tasks[1].start_date", "YYYY-MM-DD"),
    ("tasks[1].assignees", "dev", "tasks[1].assignees", "expected a list"),
    ("tasks[1].assignees", ["dev", "dev"], "tasks[1].assignees", "listed twice"),
    ("tasks[1].project", "", "tasks[1].project", "must not be empty"),
    ("tasks[2].description", {"markdown": 1}, "tasks[2].description.markdown", "a string"),
    ("tasks[2].description", {"wiki": None, "x": 1}, "tasks[2].description.x", "unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "where", "message"),
    RULES + MORE_RULES,
    ids=[r[0] + ":" + r[3] for r in RULES + MORE_RULES],
)
def test_a_bad_seed_file_names_the_file_and_the_place(
    example: dict[str, Any], tmp_path: Path, path: str, value: Any, where: str, message: str
) -> None:
    _mutate(example, path, value)
    seed_file = _write(example, tmp_path / "bad.json")
    with pytest.raises(SeedError) as from_file:
        load_seed(seed_file, flavour="gitlab")
    assert from_file.value.path == where
    assert message in from_file.value.reason
    assert str(from_file.value).startswith(f"{seed_file}: {where}:")
    with pytest.raises(SeedError) as from_data:
        load_seed(example, flavour="gitlab")
    assert (from_data.value.path, from_data.value.reason) == (where, from_file.value.reason)


def _adf_seed_text(**node: Any) -> str:
    data = generate_seed(12, n_projects=2, documents="adf")
    data["tasks"][9]["description"] = {"adf": {"type": "doc", "version": 1, "content": []}}
    text = json.dumps(data, ensure_ascii=False)
    nodes = json.dumps([{"type": "paragraph", "content": [{"type": "text", "text": "x"}]}])
    assert text.count('"content": []}') == 1
    return text.replace('"content": []}', '"content": ' + nodes.replace('"x"', node["text"]) + "}")


def test_a_json_file_with_nan_in_a_document_is_rejected_with_its_place(tmp_path: Path) -> None:
    """``json.loads`` reads NaN; ADF has no place for it (a text must be a string)."""
    seed_file = tmp_path / "nan.json"
    seed_file.write_text(_adf_seed_text(text="NaN"), encoding="utf-8")
    with pytest.raises(SeedError) as info:
        load_seed(seed_file, flavour="jira-cloud")
    assert info.value.path == "tasks[9].description.adf"
    assert "not valid ADF" in info.value.reason


def test_a_lone_surrogate_in_a_document_is_checked_like_any_text(tmp_path: Path) -> None:
    """JSON may escape half a surrogate pair; such text cannot be encoded as UTF-8 for the
    shape key, so the document gets the full check (and, being a string, passes)."""
    seed_file = tmp_path / "surrogate.json"
    seed_file.write_text(_adf_seed_text(text='"a\\ud800b"'), encoding="utf-8")
    seed = load_seed(seed_file, flavour="jira-cloud")
    description = seed.tasks[9].description
    assert description is not None
    assert description.as_adf()["content"][0]["content"][0]["text"] == "a\ud800b"


def test_documents_alike_to_the_letter_are_recognised_by_their_text() -> None:
    shapes = _Shapes()
    text = "## Goal\nRaise sign-ups by 5 %.\n\n- [ ] tracked\n"
    for _ in range(3):
        assert shapes.is_valid(markdown_to_adf(text), decoded_json=True)
    assert shapes.is_valid(markdown_to_adf(text.replace("5", "7")), decoded_json=True)
    assert shapes.validations == 1
    assert shapes.substitutions == 2  # the first document and the one with another number


def test_python_data_is_still_checked_for_values_that_only_print_as_json() -> None:
    shapes = _Shapes()
    doc = {"type": "doc", "version": 1, "content": []}
    assert shapes.is_valid(doc)
    as_tuple = {"type": "doc", "version": 1, "content": ()}
    assert shapes.is_valid(as_tuple) is False  # a tuple is not a JSON array
    assert shapes.validations == 2


@pytest.fixture
def collections() -> Iterator[list[int]]:
    seen: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)


def test_loading_a_seed_runs_no_garbage_collection(tmp_path: Path, collections: list[int]) -> None:
    """Every collection during a load walks every object built so far: a 100,000-task seed
    spent 5 of its 7 s of JSON parsing in them, and the first collections after the load
    2.5 s more. Nothing built holds a cycle."""
    seed_file = _write(generate_seed(2000, n_projects=4, documents="adf"), tmp_path / "s.json")
    gc.collect()
    collections.clear()
    seed = load_seed(seed_file, flavour="jira-cloud")
    assert gc.isenabled()
    create_app("jira-cloud", seed)
    assert gc.isenabled()
    assert collections == []
    assert gc.get_freeze_count() == 0  # nothing left frozen for the rest of the process


def test_a_served_seed_is_kept_out_of_the_collectors_sight(tmp_path: Path) -> None:
    """``syncd sandbox`` keeps its seed until it exits: frozen, so no later collection walks
    it (the first one after the load would otherwise take seconds at 100,000 tasks)."""
    seed_file = _write(generate_seed(50, n_projects=2), tmp_path / "s.json")
    assert gc.get_freeze_count() == 0
    try:
        seed, _app = load_for_life("gitlab", seed_file, shift=False)
        assert gc.get_freeze_count() > 0
        assert gc.isenabled()
        assert len(seed.tasks) == 50
    finally:
        gc.unfreeze()
