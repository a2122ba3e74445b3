"""API cost of the Jira connector's sync cycle, counted from the sandbox's request log.

Run: ``python -m tests.bench.bench_jira_requests [N_TASKS] [PAGE_SIZE]``. Prints, per flavour:

- the first full sync (every task);
- a quiet cycle (nothing changed): must be exactly ONE search request and nothing else;
- cycles with k changed issues, the changes made one poll interval (5 min, on the
  sandbox's clock, which the watermark follows) before the poll: searches should be
  ⌈k/page⌉, plus comment pages only for changed issues whose embedded comments were
  incomplete (> 20).
  Changes made within the overlap (2 min) before a poll are read by it and recognised again
  by the next one, so they cost search slots twice (printed as the last line).

Asserts nothing; it prints the figures.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from config.policy import AuthConfig, SourceConfig, SourceScope
from connectors.http.retry import RetryPolicy
from connectors.jira import JiraConnector
from connectors.jira.search import SEARCH_PAGE
from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import Seed, load_seed
from connectors.sandbox.server import SandboxServer, create_app


def _call(server: SandboxServer, method: str, path: str, payload: Any = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        server.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def _connector(server: SandboxServer, seed: Seed, flavour: str, page: int) -> JiraConnector:
    bot = seed.bot()
    assert bot is not None
    assert bot.token is not None
    auth = (
        AuthConfig(kind="basic", user=bot.email, secret="T")
        if flavour == "cloud"
        else AuthConfig(kind="bearer", secret="T")
    )
    config = SourceConfig(
        name="bench",
        type="jira",
        url=server.url,
        auth=auth,
        scope=SourceScope(jql="project in (" + ", ".join(p.key for p in seed.projects) + ")"),
    )
    return JiraConnector(
        config,
        SecretStr(bot.token),
        page_size=page,
        retry=RetryPolicy(sleep=lambda s: None),
    )


def _cycle(
    connector: JiraConnector, server: SandboxServer, cursor: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, int], float]:
    _call(server, "DELETE", "/_sandbox/requests")
    started = time.perf_counter()
    tasks = 0
    for page in connector.sync(cursor):
        tasks += len(page.tasks)
        cursor = page.cursor
    elapsed = time.perf_counter() - started
    log = _call(server, "GET", "/_sandbox/requests")
    counts = {
        "tasks": tasks,
        "requests": len(log),
        "search": sum(1 for e in log if e["path"].endswith(("/search/jql", "/search"))),
        "comment pages": sum(1 for e in log if e["path"].endswith("/comment")),
        "changelog pages": sum(1 for e in log if e["path"].endswith("/changelog")),
    }
    return cursor, counts, elapsed


def _show(label: str, counts: dict[str, int], elapsed: float, extra: str = "") -> None:
    figures = ", ".join(f"{k}={v}" for k, v in counts.items())
    print(f"  {label:<28} {figures}  ({elapsed:.2f} s){extra}")


def run(flavour: str, n_tasks: int, page: int) -> None:
    # Anchored two weeks back so no generated task is updated "in the future" (such issues
    # sit inside every poll's window and take a search slot each time, recognised as seen).
    data = generate_seed(
        n_tasks, n_projects=5, n_users=10, now=datetime.now(UTC) - timedelta(days=14)
    )
    seed = load_seed(data, flavour="jira-cloud" if flavour == "cloud" else "jira-dc")
    server = SandboxServer(create_app("jira-cloud" if flavour == "cloud" else "jira-dc", seed))
    server.start()
    connector = _connector(server, seed, flavour, page)

    def next_poll() -> None:
        """Five minutes pass (the default poll interval) on the tracker's clock."""
        _call(server, "POST", "/_sandbox/clock", {"advance": 300})

    try:
        print(f"jira-{flavour}: {n_tasks} tasks, page size {page}")
        connector.context()  # site facts, read once per connector lifetime
        cursor, counts, elapsed = _cycle(connector, server, None)
        _show("first sync", counts, elapsed)
        cursor, counts, elapsed = _cycle(connector, server, cursor)
        _show("quiet cycle", counts, elapsed, "  <- must be search=1, requests=1")
        rng = random.Random(1)
        open_tasks = [t for t in seed.tasks if t.status != "done"]
        # One changed task gets a long discussion so its embedded comments are incomplete.
        talkative = open_tasks[0]
        for n in range(25 - len(talkative.comments)):
            _call(
                server,
                "POST",
                "/_sandbox/act",
                {
                    "action": "comment",
                    "task": talkative.key,
                    "author": "u1",
                    "body": f"note {n}",
                },
            )
        next_poll()
        cursor, counts, elapsed = _cycle(connector, server, cursor)
        _show("1 task with 25 comments", counts, elapsed, "  <- comment pages=1")
        for k in (1, 10, 49, 50, 51, 120):
            changed = rng.sample(open_tasks[1:], k)
            for task in changed:
                _call(
                    server,
                    "POST",
                    "/_sandbox/act",
                    {
                        "action": "comment",
                        "task": task.key,
                        "author": "u1",
                        "body": "Status: ok",
                    },
                )
            next_poll()
            cursor, counts, elapsed = _cycle(connector, server, cursor)
            expected = math.ceil(k / page)
            _show(f"{k} changed", counts, elapsed, f"  <- ceil(k/page)={expected}")
        # The worst case for the overlap: 45 changes right before a poll, 10 more next poll.
        for label, k in (("45 changed just before", 45), ("10 changed after those", 10)):
            for task in rng.sample(open_tasks[1:], k):
                _call(
                    server,
                    "POST",
                    "/_sandbox/act",
                    {
                        "action": "comment",
                        "task": task.key,
                        "author": "u1",
                        "body": "Status: ok",
                    },
                )
            cursor, counts, elapsed = _cycle(connector, server, cursor)
            _show(label, counts, elapsed)
            next_poll()
    finally:
        connector.close()
        server.stop()


def main() -> None:
    n_tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    page = int(sys.argv[2]) if len(sys.argv) > 2 else SEARCH_PAGE
    for flavour in ("cloud", "dc"):
        run(flavour, n_tasks, page)


if __name__ == "__main__":
    main()
