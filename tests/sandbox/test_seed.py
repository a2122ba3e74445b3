"""The seed loader: the example and demo seeds load for every flavour, each format rule
rejects with the path named, and shifting keeps weekdays and times of day."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import SeedError, load_seed, shift_seed
from connectors.sandbox.server import DEMO_SEED
from tests.support.reference import REFERENCE, required

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REFERENCE / "seed-example.json"


@pytest.fixture
def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(required(EXAMPLE).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("flavour", ["jira-cloud", "jira-dc", "gitlab", None])
def test_example_and_demo_load_for_every_flavour(example: dict[str, Any], flavour: Any) -> None:
    seed = load_seed(EXAMPLE, flavour=flavour)
    assert [t.key for t in seed.tasks] == ["SHOP-1", "SHOP-2", "SHOP-3", "NOVA-7", "NOVA-8"]
    assert seed.user("dev").name == "Priya Nair"
    assert seed.project("SHOP").client == "Смартфон-маркет"
    assert seed.project("NOVA").client == "Nova Bank"
    demo = load_seed(DEMO_SEED, flavour=flavour)
    assert len(demo.tasks) >= 15
    assert {p.client for p in demo.projects} >= {"Nova Bank", "Смартфон-маркет"}


def test_defaults_and_derived_values(example: dict[str, Any]) -> None:
    seed = load_seed(example)
    shop1, shop2, shop3 = seed.tasks[:3]
    # updated defaults to the latest of created/started/resolved/comments
    assert shop1.updated == datetime.fromisoformat("2026-11-19T16:20:00+03:00")
    assert shop2.updated == datetime.fromisoformat("2026-11-10T09:30:00+03:00")
    assert shop2.type == "Task"
    assert shop2.components == []
    assert shop2.resolved is None
    assert shop3.assignees == []
    assert shop3.description is not None
    assert shop3.description.as_wiki().startswith("*Goal:*")
    assert shop1.due == date(2026, 11, 27)
    assert shop1.description is not None
    assert "h2. Цель" in shop1.description.as_wiki()
    assert seed.bot() is not None
    assert seed.bot().id == "bot"


def test_stable_ids_follow_user_order(example: dict[str, Any]) -> None:
    a = load_seed(example)
    b = load_seed(copy.deepcopy(example))
    assert [u.account_id for u in a.users] == [u.account_id for u in b.users]
    assert len({u.account_id for u in a.users}) == len(a.users)
    assert [u.gitlab_id for u in a.users] == [101, 102, 103, 104]
    example["users"].reverse()
    c = load_seed(example)
    assert c.users[0].id == "dev"
    assert c.users[0].account_id == a.users[0].account_id


def test_yaml_and_json_text(example: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(example, allow_unicode=True), encoding="utf-8")
    from_yaml = load_seed(path)
    from_json = load_seed(json.dumps(example))
    assert [t.updated for t in from_yaml.tasks] == [t.updated for t in from_json.tasks]
    assert from_yaml.tasks[3].start_date == date(2026, 11, 3)


def _mutate(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b[2].c`` (``value`` … ``DELETE`` removes the key)."""
    target: Any = data
    parts = path.replace("[", ".").replace("]", "").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is DELETE:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value


DELETE = object()

RULES = [
    ("format", "syncd-seed/2", "format", "syncd-seed/1"),
    ("tasks[3].asignees", ["dev"], "tasks[3].asignees", "unknown key"),
    ("users[1].nick", "x", "users[1].nick", "unknown key"),
    ("projects[0].owner", "x", "projects[0].owner", "unknown key"),
    ("tasks[0].comments[0].edited", True, "tasks[0].comments[0].edited", "unknown key"),
    ("tasks[2].description.html", "<b>x</b>", "tasks[2].description.html", "unknown key"),
    ("tasks[1].assignees", ["ghost"], "tasks[1].assignees[0]", "unknown user 'ghost'"),
    ("tasks[1].reporter", "ghost", "tasks[1].reporter", "unknown user"),
    ("tasks[0].comments[0].author", "ghost", "tasks[0].comments[0].author", "unknown user"),
    ("tasks[4].project", "NOPE", "tasks[4].project", "unknown project"),
    ("tasks[1].number", 1, "tasks[1].number", "duplicate task SHOP-1"),
    ("tasks[1].number", 0, "tasks[1].number", "integer ≥ 1"),
    ("tasks[1].started", None, "tasks[1].started", "required when status is in_progress"),
    ("tasks[4].resolved", DELETE, "tasks[4].resolved", "required when status is done"),
    ("tasks[1].status", "doing", "tasks[1].status", "expected one of"),
    ("tasks[1].created", "2026-11-09T12:00:00", "tasks[1].created", "needs an offset"),
    ("tasks[1].created", "yesterday", "tasks[1].created", "not an ISO 8601"),
    ("tasks[1].due", "20.11.2026", "tasks[1].due", "YYYY-MM-DD"),
    ("tasks[1].title", DELETE, "tasks[1].title", "required"),
    ("tasks[1].labels", "web", "tasks[1].labels", "expected a list"),
    ("users[2].id", "am", "users[2].id", "duplicate user id"),
    ("users[2].username", "d kovalev", "users[2].username", "[A-Za-z0-9._-]+"),
    ("users[2].time_zone", "Mars/Olympus", "users[2].time_zone", "unknown IANA time zone"),
    ("users[0].bot", "yes", "users[0].bot", "true or false"),
    ("projects[1].key", "nova", "projects[1].key", "[A-Z][A-Z0-9]+"),
    ("projects[1].key", "SHOP", "projects[1].key", "duplicate project key"),
    ("tasks[2].description.adf", {"type": "doc"}, "tasks[2].description.adf", "not valid ADF"),
    ("tasks[0].comments", [
        {"author": "des", "created": "2026-11-19T16:20:00+03:00", "body": "b"},
        {"author": "des", "created": "2026-11-18T16:20:00+03:00", "body": "a"},
    ], "tasks[0].comments[1].created", "oldest first"),
    ("tasks[1].updated", "2026-11-01T00:00:00+03:00", "tasks[1].updated", "earlier than created"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "where", "message"), RULES, ids=[r[0] + ":" + r[3] for r in RULES]
)
def test_each_rule_names_the_path(
    example: dict[str, Any], path: str, value: Any, where: str, message: str
) -> None:
    _mutate(example, path, value)
    with pytest.raises(SeedError) as info:
        load_seed(example)
    assert info.value.path == where
    assert message in str(info.value)
    assert str(info.value).startswith(where + ":")


def test_second_assignee_is_an_error_for_jira_only(example: dict[str, Any]) -> None:
    example["tasks"][1]["assignees"] = ["dev", "des"]
    for flavour in ("jira-cloud", "jira-dc"):
        with pytest.raises(SeedError, match=r"^tasks\[1\]\.assignees: Jira takes at most one"):
            load_seed(example, flavour=flavour)  # type: ignore[arg-type]
    assert load_seed(example, flavour="gitlab").tasks[1].assignees == ["dev", "des"]


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "syncd-seed/1", "tasks": [{"x": 1}]}', encoding="utf-8")
    with pytest.raises(SeedError, match=r"bad\.json: tasks\[0\]\.x: unknown key"):
        load_seed(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(SeedError, match=r"broken\.json.*not valid JSON"):
        load_seed(broken)
    with pytest.raises(SeedError, match="cannot read"):
        load_seed(tmp_path / "missing.json")


def test_shift_moves_whole_weeks_keeping_weekday_and_time(example: dict[str, Any]) -> None:
    seed = load_seed(example)
    now = datetime(2027, 3, 4, 12, 0, tzinfo=UTC)  # a Thursday, 14+ weeks later
    shifted = shift_seed(seed, now)
    assert seed.now is not None
    assert shifted.now is not None
    delta = shifted.now - seed.now
    assert delta % timedelta(weeks=1) == timedelta(0)
    assert delta > timedelta(0)
    assert abs(shifted.now - now) <= timedelta(days=3, hours=12)
    for before, after in zip(seed.tasks, shifted.tasks, strict=True):
        assert after.created - before.created == delta
        assert after.created.weekday() == before.created.weekday()
        assert after.created.timetz() == before.created.timetz()
        if before.due:
            assert after.due == before.due + delta
        assert [
            c.created - b.created for c, b in zip(after.comments, before.comments, strict=True)
        ] == [delta] * len(before.comments)
    via_loader = load_seed(example, shift=True, now=now)
    assert via_loader.tasks[0].updated == shifted.tasks[0].updated
    assert shift_seed(seed, seed.now + timedelta(days=3)).now == seed.now  # nearest week is 0


def test_generator_writes_a_valid_seed() -> None:
    data = generate_seed(300, n_projects=4, seed=7)
    assert data == generate_seed(300, n_projects=4, seed=7)
    seed = load_seed(data, flavour="jira-cloud")
    assert len(seed.tasks) == 300
    assert len(seed.projects) == 4
    assert {t.status for t in seed.tasks} == {"new", "in_progress", "done"}
