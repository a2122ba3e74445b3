"""The desk's pages for a manager with 2,000 open tasks, rendered server-side.

Run: ``python -m tests.bench.bench_desk [N]``. Fills a SQLite store with N open tasks
(the rules benchmark's realistic mix), then times the overview and the timeline for their
manager as the median of a few rounds after one warm-up; asserts nothing (the target in
the issue is < 300 ms per page):

- "cold": the view built from scratch (store read and parse, rule evaluation, digest
  facts) and the HTML — what the first request after a restart pays; then again with
  the start-up objects frozen out of the collector's generations, as ``syncd run`` does
  before serving (``freeze_startup_objects``);
- then as the desk serves them through its view cache (the change markers read from the
  store on every request): "served", the same minute again; "next minute", nothing
  stored since; "change", one task changed by a poll within the minute; "change, next
  minute", one task changed and a new minute (the first request after a poll, at worst).
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from config.policy import ManagerConfig, Policy
from rules.engine import Engine
from syncd.desk.cache import ViewCache, view_key
from syncd.desk.pages import DeskView, build_view, overview_page, timeline_page
from syncd.desk.shelf import ShelvedEngine
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

ROUNDS = 20


def serve(
    cache: ViewCache,
    policy: Policy,
    store: Store,
    engine: Engine,
    manager: ManagerConfig,
    now: datetime,
    name: str,
    render: Callable[[DeskView], str],
) -> str:
    """What the desk's app does for one request (``Desk._cached_page``)."""
    key = view_key(store, policy, manager, now)

    def build() -> DeskView:
        return build_view(
            policy, store, engine, manager, key.minute, shelf=cache.shelf(key), marker=key.tasks
        )

    return cache.page(key, policy, build, name, render)


def _median(times: list[float], cpu: list[float]) -> str:
    """Wall-clock median and max, and the median CPU time of this process (what the
    request costs apart from waiting for a core: the machine may be shared)."""
    return (
        f"median {statistics.median(times):.1f} ms (max {max(times):.0f}, "
        f"cpu {statistics.median(cpu):.0f})"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 2000
    policy = read_policy_text(POLICY + MANAGER)
    engine = ShelvedEngine.from_policy(policy)
    plain = Engine.from_policy(policy)  # the cold views keep nothing between them
    manager = policy.managers[0]
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.upsert_tasks(make_task(i) for i in range(n))
        edits = 0
        for frozen in (False, True):
            if frozen:  # what ``syncd run`` does once started (``freeze_startup_objects``)
                gc.collect()
                gc.freeze()
            for name, render in (("overview", overview_page), ("timeline", timeline_page)):
                times: list[float] = []
                cpu: list[float] = []
                size = 0
                for _ in range(6):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    html = render(build_view(policy, store, plain, manager, NOW))
                    times.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - cpu_started) * 1000)
                    size = len(html)
                label = "cold, start-up objects frozen as in syncd run" if frozen else "cold"
                print(
                    f"{name} {label}: {n} open tasks, {_median(times[1:], cpu[1:])}, "
                    f"{size / 1024:.0f} KiB"
                )
        for name, render in (("overview", overview_page), ("timeline", timeline_page)):
            cache = ViewCache()
            now = NOW
            serve(cache, policy, store, engine, manager, now, name, render)  # warm-up
            for label, minutes, change in (
                ("served", 0, False),
                ("next minute", 1, False),
                ("change", 0, True),
                ("change, next minute", 1, True),
            ):
                times, cpu = [], []
                parsed, reads = cache.parsed, cache.reads
                for _ in range(ROUNDS):
                    now += timedelta(minutes=minutes)
                    if change:  # a poll stores one edited task
                        edits += 1
                        task = make_task(edits % n)
                        store.upsert_tasks(
                            [
                                task.model_copy(
                                    update={
                                        "title": f"{task.title} (edit {edits})",
                                        "updated": task.updated + timedelta(seconds=edits),
                                    }
                                )
                            ]
                        )
                    # The markers' queries included.
                    started, cpu_started = time.perf_counter(), time.process_time()
                    serve(cache, policy, store, engine, manager, now, name, render)
                    times.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - cpu_started) * 1000)
                print(
                    f"{name} {label}: {_median(times, cpu)}; {cache.builds} builds so far, "
                    f"{cache.reads - reads} reads and {cache.parsed - parsed} tasks parsed "
                    f"in {ROUNDS} requests"
                )
        store.close()


if __name__ == "__main__":
    main()
