"""The sandbox's JQL subset, evaluated directly on a store built from the example seed:
each field and operator, the searching user's time zone, and Jira's 400 wording for
everything outside the subset."""

from __future__ import annotations

from datetime import datetime

import pytest

from connectors.sandbox.common.seed import Seed
from connectors.sandbox.jira.jql import JqlContext, JqlError
from connectors.sandbox.jira.search import search_dc
from connectors.sandbox.jira.store import JiraStore
from tests.sandbox.jira_helpers import example_seed

NOW = datetime.fromisoformat("2026-11-23T09:00:00+03:00")


@pytest.fixture(scope="module")
def seed() -> Seed:
    return example_seed()


def keys(
    seed: Seed, jql: str, *, user: str = "bot", cloud: bool = True, now: datetime = NOW
) -> list[str]:
    store = JiraStore(seed, lambda: now)
    ctx = JqlContext(store, seed.user(user), now, cloud)
    return [i.key for i in search_dc(jql, ctx, start_at=0, max_results=1000).issues]


def test_project_and_order(seed: Seed) -> None:
    assert keys(seed, "project = SHOP ORDER BY key ASC") == ["SHOP-1", "SHOP-2", "SHOP-3"]
    assert keys(seed, "project = 'Nova Bank website' ORDER BY key DESC") == ["NOVA-8", "NOVA-7"]
    assert keys(seed, "project in (SHOP, NOVA) ORDER BY updated ASC, key ASC") == [
        "SHOP-2",
        "NOVA-8",
        "NOVA-7",
        "SHOP-1",
        "SHOP-3",
    ]
    assert keys(seed, "project != SHOP ORDER BY key") == ["NOVA-7", "NOVA-8"]


def test_updated_literals_are_read_in_the_searchers_zone(seed: Seed) -> None:
    # SHOP-1 was last updated 2026-11-19 16:20 Moscow time = 18:50 in Kolkata.
    assert "SHOP-1" in keys(seed, 'updated >= "2026/11/19 16:20"')
    assert "SHOP-1" not in keys(seed, 'updated > "2026/11/19 16:20"')
    assert "SHOP-1" in keys(seed, 'updated >= "2026/11/19 18:50"', user="dev")
    assert "SHOP-1" not in keys(seed, 'updated >= "2026/11/19 18:51"', user="dev")
    assert "SHOP-1" in keys(seed, "updated >= '2026-11-19 16:20'")
    assert keys(seed, 'updated >= "2026/11/20"') == ["SHOP-3"]


def test_relative_dates_and_functions(seed: Seed) -> None:
    now = datetime.fromisoformat("2026-11-20T15:10:00+03:00")  # SHOP-3 created 15:00
    assert keys(seed, "updated >= -15m", now=now) == ["SHOP-3"]
    assert keys(seed, "updated >= -5m", now=now) == []
    assert keys(seed, "created > -1d AND project = SHOP", now=now) == ["SHOP-3"]
    assert keys(seed, "updated >= startOfDay()", now=now) == ["SHOP-3"]
    assert keys(seed, "updated <= now() AND updated > -1w ORDER BY key", now=now) == [
        "NOVA-7",
        "SHOP-1",
        "SHOP-3",
    ]
    assert keys(seed, "updated <= now() AND updated > -6d ORDER BY key", now=now) == [
        "SHOP-1",
        "SHOP-3",
    ]


def test_status_and_category(seed: Seed) -> None:
    assert keys(seed, "statusCategory = Done") == ["NOVA-8"]
    assert keys(seed, "statusCategory != done ORDER BY key") == [
        "NOVA-7",
        "SHOP-1",
        "SHOP-2",
        "SHOP-3",
    ]
    assert keys(
        seed, 'statusCategory in ("To Do", indeterminate) AND project = SHOP ORDER BY key'
    ) == ["SHOP-1", "SHOP-2", "SHOP-3"]
    assert keys(seed, 'status = "In Progress" ORDER BY key') == ["NOVA-7", "SHOP-1", "SHOP-2"]
    assert keys(seed, "status not in ('In Progress', Done)") == ["SHOP-3"]
    assert keys(seed, "resolution = Unresolved AND project = NOVA") == ["NOVA-7"]


def test_labels_components_types(seed: Seed) -> None:
    assert keys(seed, "labels = email") == ["SHOP-1"]
    assert keys(seed, "labels in (email, web) ORDER BY key") == ["NOVA-7", "SHOP-1"]
    assert keys(seed, "labels is EMPTY AND project = SHOP ORDER BY key") == ["SHOP-2", "SHOP-3"]
    assert keys(seed, "component = Frontend") == ["NOVA-7"]
    assert keys(seed, "issuetype = Design") == ["SHOP-1"]
    assert keys(seed, "type in (Story, Design) ORDER BY key") == ["NOVA-7", "SHOP-1"]


def test_assignee_by_account_id_on_cloud_and_username_on_dc(seed: Seed) -> None:
    dev = seed.user("dev")
    assert keys(seed, f"assignee = {dev.account_id} ORDER BY key") == ["NOVA-7", "NOVA-8", "SHOP-2"]
    assert keys(seed, "assignee = p.nair ORDER BY key", cloud=False) == [
        "NOVA-7",
        "NOVA-8",
        "SHOP-2",
    ]
    assert keys(seed, "assignee is EMPTY") == ["SHOP-3"]
    assert sorted(keys(seed, "assignee = currentUser()", user="dev")) == [
        "NOVA-7",
        "NOVA-8",
        "SHOP-2",
    ]
    with pytest.raises(
        JqlError, match=r"The value 'p\.nair' does not exist for the field 'assignee'"
    ):
        keys(seed, "assignee = p.nair")


def test_start_date_by_name_and_custom_field_id(seed: Seed) -> None:
    assert keys(seed, '"Start date" is not EMPTY') == ["NOVA-7"]
    assert keys(seed, '"Start date" = "2026-11-03"') == ["NOVA-7"]
    assert keys(seed, "cf[10461] <= 2026-11-03") == ["NOVA-7"]
    assert keys(seed, '"Target start" = "2026-11-03"') == []
    assert keys(seed, "duedate < 2026-11-21 ORDER BY key") == ["NOVA-8", "SHOP-2"]
    assert keys(seed, "cf[11302] is not EMPTY", cloud=False) == ["NOVA-7"]


def test_boolean_logic(seed: Seed) -> None:
    assert keys(seed, "project = SHOP AND (labels = email OR assignee is EMPTY) ORDER BY key") == [
        "SHOP-1",
        "SHOP-3",
    ]
    assert keys(seed, "project = SHOP AND NOT labels = email ORDER BY key") == ["SHOP-2", "SHOP-3"]
    assert keys(seed, "project = NOVA OR key = SHOP-2 ORDER BY key") == [
        "NOVA-7",
        "NOVA-8",
        "SHOP-2",
    ]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("foo = 1", "Field 'foo' does not exist or you do not have permission to view it."),
        ("assignee in membersOf('devs')", "Unable to find JQL function 'membersOf()'."),
        ("updated >= lastLogin()", "Unable to find JQL function 'lastLogin()'."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("status = Review", "The value 'Review' does not exist for the field 'status'."),
        ('updated >= "20.11.2026"', "Date value '20.11.2026' for field 'updated' is invalid."),
        (
            "project = SHOP AND",
            "Error in the JQL Query: Expecting a field name but got end of query.",
        ),
        ("project SHOP", "Error in the JQL Query: Expecting operator but got 'SHOP'."),
        ("project = SHOP labels = x", "Expecting either 'OR' or 'AND' but got 'labels'."),
        ("project = SHOP ORDER BY rank", "Not able to sort using field 'rank'."),
        ("(project = SHOP", "Expecting ')' but got end of query"),
    ],
)
def test_outside_the_subset_is_an_error(seed: Seed, jql: str, message: str) -> None:
    with pytest.raises(JqlError) as info:
        keys(seed, jql)
    assert message in str(info.value)
