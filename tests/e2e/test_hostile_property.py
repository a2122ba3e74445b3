"""Property: whatever a tracker sends for some tasks — ADF nested hundreds of levels or not
ADF at all, huge fields, control characters, lone surrogates, RTL overrides, wiki markup
edge cases — a real cycle over HTTP finishes, every well-formed task is stored and
evaluated, and each hostile task is either stored or listed as skipped (never lost).

The hostile fields are written as raw JSON text into the sandbox's own search answer
(``tests.connectors.poison``): the sandbox's encoder could produce neither the depth nor
the lone surrogates. Bounded example counts keep ``make test`` quick."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.settings import Settings
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from syncd.core.clock import SystemClock
from syncd.source_cycle import SourceRunner, build_runners
from syncd.store import open_store
from tests.connectors.poison import PLACEHOLDER, deep_adf, serve_text
from tests.e2e.scenario import DEFAULT_NOW, agency_seed, policy_for

HOSTILE_KEYS = ("SHOP-3", "SHOP-4", "SHOP-5")
WELL_FORMED = ("SHOP-1", "SHOP-2")
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# -- hostile values, each as a JSON text fragment ------------------------------------------

_nasty_chars = st.characters(codec=None, categories=["Cs", "Cc", "Cf", "Zs", "L", "N", "P", "S"])
_nasty_text = st.text(_nasty_chars, max_size=40) | st.sampled_from(
    ["\u202eevil\u202c", "\x00\x1b[2J", "\ud800", "\udfff\ud800", "\ufeff\u200b", ""]
)
_huge = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(["x", "*a ", "{code}", "# ", "|"]),
    st.integers(1000, 60_000),
)


def _string(text: str) -> str:
    return json.dumps(text)  # escapes lone surrogates as \udXXX, as trackers do


_adf_nodes = st.recursive(
    st.builds(lambda t: {"type": "text", "text": t}, _nasty_text)
    | st.sampled_from([{"type": "hardBreak"}, {"type": "text"}, {"type": 7}, None, "x", 3]),
    lambda inner: st.builds(
        lambda kind, content, attrs: {"type": kind, "content": content, "attrs": attrs},
        st.sampled_from(
            [
                "doc",
                "paragraph",
                "bulletList",
                "listItem",
                "heading",
                "table",
                "tableRow",
                "tableCell",
                "taskItem",
                "expand",
                "codeBlock",
                "panel",
            ]
        ),
        st.lists(inner, max_size=3) | st.just("not a list"),
        st.none()
        | st.dictionaries(
            st.sampled_from(["level", "title", "state"]), _nasty_text | st.integers()
        ),
    ),
    max_leaves=12,
)
_adf_description = st.one_of(
    st.builds(deep_adf, st.integers(0, 400), _nasty_text),
    _adf_nodes.map(json.dumps),
    _huge.map(lambda h: deep_adf(1, h)),
    st.sampled_from(["null", "[]", "{}", '"plain"', "12"]),
)
_wiki_lines = st.sampled_from(
    [
        "h2. Цель",
        "h1.",
        "*Goal:*",
        "*",
        "{code}",
        "{code:java}x",
        "{noformat}",
        "{panel:title=Acceptance",
        "||a||b||",
        "|",
        "# item",
        "- [ ] check",
        "----",
        "[~accountid:x]",
        "!img.png|",
        "{{x}}",
        "-a-",
        "_b_",
    ]
)
_wiki_description = st.one_of(
    st.lists(_wiki_lines | _nasty_text, max_size=25).map(lambda ls: _string("\n".join(ls))),
    _huge.map(_string),
    st.sampled_from(["null", '""']),
)


@st.composite
def hostile_tasks(draw: st.DrawFn, flavour: str) -> dict[str, dict[str, str]]:
    """Per hostile task: raw JSON for its summary, description and first comment text."""
    description = _adf_description if flavour == "cloud" else _wiki_description
    return {
        key: {
            "summary": _string(draw(_nasty_text | _huge)),
            "description": draw(description),
            "comment": _string(draw(_nasty_text | _huge)),
        }
        for key in HOSTILE_KEYS
    }


# -- the sandbox, seeded with well-formed and (to be poisoned) plain tasks ---------------


def _seed() -> dict[str, Any]:
    data = agency_seed()
    plain = data["tasks"][1]
    for number in range(3, 3 + len(HOSTILE_KEYS)):
        data["tasks"].append({**plain, "number": number, "title": f"Hostile {number}"})
    return data


@pytest.fixture(params=["cloud", "dc"])
def tracker(request: pytest.FixtureRequest) -> Iterator[tuple[str, SandboxServer]]:
    flavour = str(request.param)
    name = {"cloud": "jira-cloud", "dc": "jira-dc"}[flavour]
    with SandboxServer(create_app(name, load_seed(_seed(), flavour=name))) as server:
        yield flavour, server


def _runner(flavour: str, server: SandboxServer, tmp: Path) -> SourceRunner:
    data = policy_for(server.url).model_dump(mode="json")
    source = data["sources"][0]
    source.update(enforce=False)
    if flavour == "dc":
        source["auth"] = {"kind": "bearer", "secret": "E2E_TOKEN"}
    policy = type(policy_for(server.url)).model_validate(data)
    settings_ = Settings(data_dir=tmp, state_url=f"sqlite:///{tmp}/syncd.db")
    store = open_store(settings_.resolved_state_url())
    (runner,) = build_runners(
        policy, settings_, store, SystemClock(), env={"E2E_TOKEN": "bot-token"}
    )
    return runner


def _page(
    runner: SourceRunner, hostile: dict[str, dict[str, str]], flavour: str
) -> tuple[str, str]:
    connector: Any = runner.connector
    client = connector.site.client
    args: dict[str, Any] = {
        "fields": connector.fields(),
        "expand": "changelog",
        "maxResults": 50,
        "json_result": True,
    }
    search = client.enhanced_search_issues if flavour == "cloud" else client.search_issues
    page: dict[str, Any] = search("project = SHOP ORDER BY updated ASC", **args)
    raw: dict[str, str] = {}
    for issue in page["issues"]:
        values = hostile.get(issue["key"])
        if values is None:
            continue
        fields = issue["fields"]
        for name, value in values.items():
            marker = f"{PLACEHOLDER}{issue['key']}-{name}"
            raw[json.dumps(marker)] = value
            if name == "comment":
                comment = fields["comment"]["comments"][0]
                if flavour == "cloud":
                    comment["body"]["content"][0]["content"][0]["text"] = marker
                else:
                    comment["body"] = marker
            else:
                fields[name] = marker
    text = json.dumps(page)
    for marker, value in raw.items():
        text = text.replace(marker, value)
    path = "/rest/api/3/search/jql$" if flavour == "cloud" else "/rest/api/2/search$"
    return path, text  # fmt: skip


@PROPERTY
@given(data=st.data())
def test_a_cycle_over_hostile_tasks_finishes_and_evaluates_every_well_formed_task(
    tracker: tuple[str, SandboxServer], data: st.DataObject
) -> None:
    flavour, server = tracker
    hostile = data.draw(hostile_tasks(flavour))
    with tempfile.TemporaryDirectory() as tmp:
        runner = _runner(flavour, server, Path(tmp))
        try:
            server.faults.clear()
            path, page = _page(runner, hostile, flavour)
            serve_text(server, path, page, times=None)
            report = runner.run_cycle(DEFAULT_NOW)
            store = runner.store
            stored = {t.key: t for t in store.iter_tasks("agency")}
            skipped = {row.key for row in store.skipped_tasks(["agency"])}
        finally:
            server.faults.clear()
            runner.close()
            runner.store.close()
    assert set(WELL_FORMED) <= set(stored)  # every well-formed task stored…
    assert "SHOP-1" in {f.task_key for f in report.findings_list}  # …and evaluated
    goal = stored["SHOP-2"].section("goal")
    assert goal is not None
    assert "15 %" in goal.text
    for key in HOSTILE_KEYS:  # each hostile task taken or set aside, never lost
        assert key in stored or key in skipped
    for task in stored.values():  # and nothing unsafe reached the store
        dumped = task.model_dump_json()
        assert "\\u0000" not in dumped
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in dumped)
