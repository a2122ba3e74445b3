"""A second, independent client reads the sandbox Jira Cloud: ``jira.js`` 6 from the npm
registry (installed on first use under ``.venv/node``, outside the tracked tree), driven by
``js/jira_cloud_read.mjs``. It runs the enhanced JQL search (GET, following
``nextPageToken``, and POST), pages comments, adds comments (ADF with properties through
v3; a string, which jira.js sends through v2 and reads back through v3), and checks every
answer against its own response schemas (``onSchemaMismatch: 'throw'``). Its view must
agree with the seed: two clients nobody here wrote agreeing is the best evidence the
sandbox behaves like Jira."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.jira_helpers import REPO, example_seed, serve

NODE_DIR = REPO / ".venv" / "node"
SCRIPT = Path(__file__).with_name("js") / "jira_cloud_read.mjs"
PACKAGE = "jira.js@6"


def _missing(reason: str) -> None:
    """A second, independent client is the evidence issue 10 asks for: CI must not pass
    silently without it; a developer machine without Node.js may skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI=true: the independent-client check must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node_modules() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        _missing("node/npm not installed")
    modules = NODE_DIR / "node_modules"
    if not (modules / "jira.js" / "package.json").exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", PACKAGE],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"npm install {PACKAGE} failed:\n{done.stderr}"
    return modules


def run_js(node_modules: Path, url: str, email: str, token: str) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(SCRIPT), str(node_modules), url, email, token],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"jira.js script failed:\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_jira_js_reads_the_example_seed(node_modules: Path) -> None:
    seed = example_seed()
    bot = seed.user("bot")
    assert bot.token is not None
    with serve(seed, "cloud") as server:
        seen = run_js(node_modules, server.url, bot.email, bot.token)
        assert server.log.count("GET", r"/rest/api/3/search/jql$") == seen["pages"]
    assert seen["accountId"] == bot.account_id
    assert seen["timeZone"] == "Europe/Moscow"
    assert seen["deploymentType"] == "Cloud"
    assert seen["pages"] == 3  # 5 issues, 2 per page
    assert seen["posted"] == ["NOVA-8", "NOVA-7"]
    by_key = {i["key"]: i for i in seen["issues"]}
    assert sorted(by_key) == sorted(t.key for t in seed.tasks)
    for task in seed.tasks:
        issue = by_key[task.key]
        assert issue["summary"] == task.title
        assert issue["duedate"] == (task.due.isoformat() if task.due else None)
        expected = seed.user(task.assignees[0]).account_id if task.assignees else None
        assert issue["assignee"] == expected
        assert [c["author"] for c in issue["comments"]] == [
            seed.user(c.author).account_id for c in task.comments
        ]
    assert "Увеличить выручку от рассылки на 15 %" in by_key["SHOP-1"]["description"]
    assert (
        "Collect 500 savings-account applications in December." in by_key["NOVA-7"]["description"]
    )
    assert "<!-- syncd:example -->" in by_key["NOVA-7"]["comments"][1]["body"]
    assert seen["added"]["author"] == bot.account_id
    assert seen["property"] == {"marker": "syncd:js"}
    # a string body goes through v2 and comes back from v3 as ADF
    assert seen["plain"]["content"][0]["content"] == [
        {"type": "text", "text": "plain "},
        {"type": "text", "text": "string", "marks": [{"type": "strong"}]},
    ]
