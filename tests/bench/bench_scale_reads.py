"""Reads at 10,000 issues, beside the floor figures of issue 17 (a correct minimal
incremental client on the same fake trackers). Real HTTP against the sandboxes, requests
counted at the sandbox, tasks stored in a real SQLite store as the cycle stores them (the
store's snapshots are what the GitLab connector compares a changed issue with).

Run: ``python -m tests.bench.bench_scale_reads [N] [--profile]`` (``make bench`` runs it
with N = 10,000). ``--profile`` prints the top of a cProfile of the GitLab backfill.

- GitLab backfill: the first sync of a generated seed (``connectors.sandbox.common.generator``,
  one project): reads, seconds (wall, and CPU of this process — the sandbox serves from a
  thread of it, so CPU counts both sides), issues/s; once over REST only (each open issue's
  notes read on its own) and once with the notes of each listing page in one GraphQL
  request (``connectors.gitlab.graphql``), each into a fresh sandbox and store.
- GitLab churn: 1 % of the issues change between two 5-minute cycles — a comment, a
  priority edit or a due-date edit in turn; reads of the next cycle. Its floor is the
  listing pages plus one notes read per commented open issue; an edit that sets the
  value a task already had changes nothing stored but ``updated_at``, so its notes are
  read (who did what is only there).
- GitLab after syncd's own notes: reminders posted on 58 issues (issue 17's count); the
  next cycle's reads (the floor: one listing).
- Jira Cloud backfill and churn (comments, priority and due-date edits on 1 %): search
  pages. The backfill floor counts 100-issue pages of the open issues only.

Asserts nothing; prints the table.
"""

from __future__ import annotations

import cProfile
import math
import pstats
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr

from config.policy import AuthConfig, SourceConfig, SourceScope
from connectors.base import Connector, Reminder
from connectors.factory import create_connector
from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.gitlab.fixtures import gitlab_source, serve_gitlab
from connectors.sandbox.server import SandboxServer, create_app
from syncd.store import Store, open_store

_PER_ISSUE = re.compile(r"/issues/(\d+)/(\w+)$")
ISSUE_17 = {
    "gitlab churn": "257 now; floor 41–42 at 85 changed; goal ≤ 46",
    "gitlab backfill reads": "30,186 now; floor 4,027",
    "gitlab backfill rate": "135 issues/s now; goal ≥ 2,000",
    "gitlab after own notes": "174 requests follow 58 notes now",
    "jira churn": "3 now (1.5 × floor); goal 2",
    "jira backfill": "285 pages now; floor 86",
}


class Run:
    """One source synced into a store the way ``SourceRunner.sync`` does."""

    def __init__(self, server: SandboxServer, connector: Connector, store: Store) -> None:
        self.server, self.connector, self.store = server, connector, store
        self.cursor: dict[str, Any] | None = None

    def cycle(self) -> tuple[int, list[Any], float]:
        """(tasks, the sandbox's request log, seconds) of one sync."""
        self.server.log.clear()
        previous = partial(self.store.tasks_by_key, self.connector.source)
        started = time.perf_counter()
        count = 0
        for page in self.connector.sync(self.cursor, previous):
            self.store.upsert_tasks(page.tasks)
            count += len(page.tasks)
            self.cursor = page.cursor
        elapsed = time.perf_counter() - started
        time.sleep(0.1)  # the server logs a request just after answering it
        return count, self.server.log.entries(), elapsed


def act(server: SandboxServer, payload: dict[str, Any]) -> None:
    requests.post(f"{server.url}/_sandbox/act", json=payload, timeout=30).raise_for_status()


def advance(server: SandboxServer, seconds: int) -> None:
    requests.post(f"{server.url}/_sandbox/clock", json={"advance": seconds}, timeout=30)


def churn(server: SandboxServer, keys: list[str], rng: random.Random) -> Counter[str]:
    """Comment on, re-prioritise or re-date each task in turn; the kinds made."""
    made: Counter[str] = Counter()
    for n, key in enumerate(keys):
        kind = ("comment", "priority", "due")[n % 3]
        if kind == "comment":
            payload = {"action": "comment", "task": key, "author": "u1", "body": "Status: ok"}
        else:
            value = rng.choice(("Low", "High")) if kind == "priority" else "2026-12-24"
            field = "priority" if kind == "priority" else "due"
            payload = {"action": "update", "task": key, "as": "u1", "fields": {field: value}}
        act(server, payload)
        made[kind] += 1
    return made


@contextmanager
def temporary_store() -> Iterator[Store]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_store(f"sqlite:///{(Path(tmp) / 'state.db').as_posix()}") as store,
    ):
        yield store


def _anchor() -> datetime:
    # Two weeks back: no generated issue is updated "in the future" of the sandbox clock.
    return datetime.now(UTC) - timedelta(days=14)


def _connector(server: SandboxServer, *, graphql: bool) -> GitLabConnector:
    conn = GitLabConnector(
        gitlab_source(server.url, project="agency/p0"), SecretStr("bot-token"), retry=RetryPolicy()
    )
    conn.graphql_notes = graphql
    conn.bot()  # the one site read a connector makes once
    return conn


def _backfill_row(run: Run, seed: Any, label: str, profile: bool) -> tuple[str, str, str]:
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    cpu = time.process_time()
    tasks, log, seconds = run.cycle()
    cpu = time.process_time() - cpu
    if profiler:
        profiler.disable()
        print(f"\nGitLab backfill profile, {label} (top 25 by cumulative time):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    closed = sum(1 for t in seed.tasks if t.status == "done")
    per_issue = Counter(m.group(2) for e in log if (m := _PER_ISSUE.search(e.path)))
    graphql = sum(1 for e in log if e.path == "/api/graphql")
    return (
        f"GitLab backfill, {len(seed.tasks):,} issues ({closed:,} closed), {label}",
        f"{len(log):,} requests ({dict(per_issue)}, {graphql} GraphQL), {seconds:.1f} s wall, "
        f"{cpu:.1f} s CPU, {tasks / seconds:,.0f} issues/s",
        f"{ISSUE_17['gitlab backfill reads']}; {ISSUE_17['gitlab backfill rate']}",
    )


def gitlab(n: int, profile: bool) -> list[tuple[str, str, str]]:
    data = generate_seed(n, n_projects=1, n_users=10, now=_anchor())
    seed = load_seed(data, flavour="gitlab")
    rows: list[tuple[str, str, str]] = []
    with serve_gitlab(seed) as server, temporary_store() as store:
        conn = _connector(server, graphql=False)
        rows.append(_backfill_row(Run(server, conn, store), seed, "REST notes", profile))
        conn.close()
    with serve_gitlab(seed) as server, temporary_store() as store:
        conn = _connector(server, graphql=True)
        run = Run(server, conn, store)
        rows.append(_backfill_row(run, seed, "GraphQL notes", profile))
        rng = random.Random(17)
        advance(server, 300)
        changed = rng.sample([t.key for t in seed.tasks], max(1, n // 100))
        made = churn(server, changed, rng)
        advance(server, 300)
        _, log, _ = run.cycle()
        done = {t.key for t in seed.tasks if t.status == "done"}
        commented_open = sum(1 for i, k in enumerate(changed) if i % 3 == 0 and k not in done)
        kinds = Counter(m.group(2) for e in log if (m := _PER_ISSUE.search(e.path)))
        kinds["GraphQL"] = sum(1 for e in log if e.path == "/api/graphql")
        # The floor: the listing pages this cycle needed, and notes for commented open issues.
        floor = sum(1 for e in log if e.path.endswith("/issues")) + commented_open
        open_changed = sum(1 for k in changed if k not in done)
        rows.append(
            (
                f"GitLab churn, {len(changed)} changed ({open_changed} open; {dict(made)})",
                f"{len(log)} reads ({dict(kinds)}); floor here {floor}",
                ISSUE_17["gitlab churn"],
            )
        )
        open_keys = sorted({t.key for t in seed.tasks} - done)[:58]
        for key in open_keys:
            project, number = key.rsplit("-", 1)
            reminder = Reminder(marker=f"{key}:bench", intro="Please set a goal.", items=())
            conn.post_reminder(f"agency/{project.lower()}#{number}", reminder)
        advance(server, 300)
        _, log, _ = run.cycle()
        rows.append(
            (
                "GitLab cycle after syncd's 58 notes",
                f"{len(log)} read(s); floor 1",
                ISSUE_17["gitlab after own notes"],
            )
        )
        conn.close()
    return rows


def jira(n: int) -> list[tuple[str, str, str]]:
    data = generate_seed(n, n_projects=5, n_users=10, now=_anchor())
    seed = load_seed(data, flavour="jira-cloud")
    server = SandboxServer(create_app("jira-cloud", seed))
    server.start()
    rows: list[tuple[str, str, str]] = []
    bot = seed.bot()
    assert bot is not None
    config = SourceConfig(
        name="bench",
        type="jira",
        url=server.url,
        auth=AuthConfig(kind="basic", user=bot.email, secret="TOKEN"),
        scope=SourceScope(jql="project in (" + ", ".join(p.key for p in seed.projects) + ")"),
    )
    connector = create_connector(config, {"TOKEN": bot.token or ""})
    try:
        with temporary_store() as store:
            run = Run(server, connector, store)
            connector.bot()
            _, log, seconds = run.cycle()
            searches = sum(1 for e in log if e.path.endswith("/search/jql"))
            open_tasks = sum(1 for t in seed.tasks if t.status != "done")
            rows.append(
                (
                    f"Jira Cloud backfill, {n:,} issues ({open_tasks:,} open)",
                    f"{searches} search pages, {seconds:.1f} s; "
                    f"floor here {math.ceil(open_tasks / 100)}",
                    ISSUE_17["jira backfill"],
                )
            )
            advance(server, 300)
            rng = random.Random(17)
            changed = rng.sample([t.key for t in seed.tasks], max(1, n // 100))
            churn(server, changed, rng)
            advance(server, 300)
            _, log, _ = run.cycle()
            searches = sum(1 for e in log if e.path.endswith("/search/jql"))
            rows.append(
                (
                    f"Jira Cloud churn, {len(changed)} changed",
                    f"{searches} searches ({len(log)} requests)",
                    ISSUE_17["jira churn"],
                )
            )
    finally:
        connector.close()
        server.stop()
    return rows


def main(n: int = 10_000, profile: bool = False) -> None:
    rows = gitlab(n, profile) + jira(n)
    width = max(len(r[0]) for r in rows)
    value = max(len(r[1]) for r in rows)
    print(f"\n{'measure':<{width}} | {'syncd (this run)':<{value}} | issue 17")
    print(f"{'-' * width}-|-{'-' * value}-|-{'-' * 40}")
    for name, ours, theirs in rows:
        print(f"{name:<{width}} | {ours:<{value}} | {theirs}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 10_000, profile="--profile" in sys.argv)
