"""API cost of the GitLab connector, counted by the sandbox's request log (real HTTP, real
python-gitlab). Run: ``python -m tests.bench.bench_gitlab_requests [N]``.

The promise (issue 4): a steady-state cycle with no change costs exactly one list request
per project/group; with k changed issues ⌈k/100⌉ list requests plus note pages (and label/
state event pages, needed for start of work and activity) for those issues only.

Because ``updated_after`` is inclusive, the issue(s) at the cursor's boundary come back once
more and are dropped by the de-dup; a list request carries up to 100 issues, so the list
cost is ⌈(k + boundary)/100⌉ — one more than ⌈k/100⌉ only when k is a multiple of 100.
"""

from __future__ import annotations

import json
import math
import re
import sys
import urllib.request
from collections import Counter
from typing import Any

from pydantic import SecretStr

from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.sandbox.gitlab.fixtures import (
    BOT_TOKEN,
    generated_seed,
    gitlab_source,
    serve_gitlab,
    settled_log,
)
from connectors.sandbox.server import SandboxServer

_ISSUE = re.compile(r"/issues/(\d+)/(notes|resource_label_events|resource_state_events)$")


def kind(path: str) -> str:
    match = _ISSUE.search(path)
    if match:
        return match.group(2)
    return "current user" if path.endswith("/user") else "list"


def sync(conn: GitLabConnector, cursor: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
    count = 0
    last: dict[str, Any] = cursor or {}
    for page in conn.sync(cursor):
        count += len(page.tasks)
        last = page.cursor
    return count, last


def comment(server: SandboxServer, number: int) -> None:
    payload = {"action": "comment", "task": f"BULK-{number}", "author": "am", "body": "Status: ok"}
    request = urllib.request.Request(
        f"{server.url}/_sandbox/act",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def measure(
    server: SandboxServer, conn: GitLabConnector, cursor: dict[str, Any], k: int
) -> dict[str, Any]:
    changed = set(range(1, k + 1))
    for number in sorted(changed):
        comment(server, number)
    server.log.clear()
    tasks, cursor = sync(conn, cursor)
    kinds: Counter[str] = Counter()
    touched: set[int] = set()
    for entry in settled_log(server):
        kinds[kind(entry.path)] += 1
        match = _ISSUE.search(entry.path)
        if match:
            touched.add(int(match.group(1)))
    return {
        "k": k,
        "tasks": tasks,
        "cursor": cursor,
        "kinds": kinds,
        "only_changed": touched == changed,
    }


def main(n: int = 1000) -> None:
    seed = generated_seed(n)
    print(f"sandbox GitLab, {n} issues in one project; per_page=100")
    for scope in ({"project": "agency/bulk"}, {"project": None, "group": "agency"}):
        with serve_gitlab(seed) as server:
            conn = GitLabConnector(
                gitlab_source(server.url, **scope),
                SecretStr(BOT_TOKEN),
                policy=RetryPolicy(),
            )
            try:
                server.log.clear()
                total, cursor = sync(conn, None)
                first = Counter(kind(e.path) for e in settled_log(server))
                where = scope.get("group") or scope.get("project")
                print(f"\nscope {where}: first sync of {total} tasks: {dict(first)}")
                server.log.clear()
                quiet, cursor = sync(conn, cursor)
                requests = [(e.method, e.path) for e in settled_log(server)]
                print(f"  steady state (no change): {quiet} tasks, {len(requests)} request(s):")
                print(f"    {requests}")
                print(f"  {'k':>4} {'tasks':>5} {'list':>5} {'⌈k/100⌉':>8} {'notes':>6}", end="")
                print(f" {'label ev':>8} {'state ev':>8}  per-issue requests only for changed")
                for k in (1, 10, 99, 100, 250):
                    row = measure(server, conn, cursor, k)
                    cursor = row["cursor"]
                    kinds = row["kinds"]
                    print(
                        f"  {k:>4} {row['tasks']:>5} {kinds['list']:>5} {math.ceil(k / 100):>8} "
                        f"{kinds['notes']:>6} {kinds['resource_label_events']:>8} "
                        f"{kinds['resource_state_events']:>8}  {row['only_changed']}"
                    )
            finally:
                conn.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
