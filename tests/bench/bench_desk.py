"""The desk's pages for a manager with 2,000 open tasks, rendered server-side.

Run: ``python -m tests.bench.bench_desk [N]``. Fills a SQLite store with N open tasks
(the rules benchmark's realistic mix), then times the overview and the timeline for their
manager — building the view (store read, rule evaluation, digest facts) and the HTML —
as the median of a few rounds after one warm-up ("cold": what a request pays right after
a poll changed the tasks), then as the desk serves them through its view cache ("served":
the change markers read from the store on every request, the page built once per change
and minute); asserts nothing (the target in the issue is < 300 ms per page).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from config.policy import ManagerConfig, Policy
from rules.engine import Engine
from syncd.desk.cache import ViewCache, ViewKey, view_key
from syncd.desk.pages import DeskView, build_view, overview_page, read_tasks, timeline_page
from syncd.policy_file import read_policy_text
from syncd.store import Store, open_store
from tests.bench.bench_rules import NOW, POLICY, make_task

MANAGER = """\
managers:
  - name: Olga
    timezone: Europe/Moscow
    language: ru
    owns: [{source: agency-jira}]
"""


def _builder(
    cache: ViewCache,
    key: ViewKey,
    policy: Policy,
    store: Store,
    engine: Engine,
    manager: ManagerConfig,
    now: datetime,
) -> Callable[[], DeskView]:
    """What the desk's app builds on a miss: the view over the cache's parsed tasks."""

    def build() -> DeskView:
        tasks = cache.tasks(key, lambda: read_tasks(store, manager))
        return build_view(policy, store, engine, manager, now, tasks=tasks)

    return build


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 2000
    policy = read_policy_text(POLICY + MANAGER)
    engine = Engine.from_policy(policy)
    manager = policy.managers[0]
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.upsert_tasks(make_task(i) for i in range(n))
        for name, render in (("overview", overview_page), ("timeline", timeline_page)):
            times: list[float] = []
            size = 0
            for _ in range(6):
                started = time.perf_counter()
                html = render(build_view(policy, store, engine, manager, NOW))
                times.append((time.perf_counter() - started) * 1000)
                size = len(html)
            print(
                f"{name} cold: {n} open tasks, median {statistics.median(times[1:]):.0f} ms "
                f"(min {min(times[1:]):.0f}, first {times[0]:.0f}), {size / 1024:.0f} KiB"
            )
            cache = ViewCache()
            for label, step in (("served", timedelta(0)), ("next minute", timedelta(minutes=1))):
                times = []
                for i in range(1, 21):
                    now = NOW + i * step
                    started = time.perf_counter()  # the markers' queries included
                    key = view_key(store, policy, manager, now)
                    build = _builder(cache, key, policy, store, engine, manager, now)
                    cache.page(key, policy, build, name, render)
                    times.append((time.perf_counter() - started) * 1000)
                print(
                    f"{name} {label}: median {statistics.median(times):.1f} ms "
                    f"(first {times[0]:.0f}; {cache.builds} builds, {cache.reads} reads so far)"
                )
        store.close()


if __name__ == "__main__":
    main()
