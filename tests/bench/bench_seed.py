"""Time to load a generated 100,000-task seed with ADF descriptions and comments (the form a
Jira Cloud export has; issue 17: ≈ 47 min before shape-cached validation, target < 30 s).

Run: ``python -m tests.bench.bench_seed [N]``. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import load_seed


def main(n_tasks: int = 100_000) -> None:
    t0 = time.perf_counter()
    data = generate_seed(n_tasks, n_projects=20, n_users=50, documents="adf")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        size_mb = path.stat().st_size / 1e6
        t1 = time.perf_counter()
        print(f"generated {n_tasks} tasks ({size_mb:.1f} MB JSON) in {t1 - t0:.1f} s")
        for flavour in ("jira-cloud", "gitlab"):
            start = time.perf_counter()
            seed = load_seed(path, flavour=flavour)  # type: ignore[arg-type]
            loaded = time.perf_counter()
            print(f"load_seed({flavour}): {len(seed.tasks)} tasks in {loaded - start:.2f} s")
        start = time.perf_counter()
        try:
            from connectors.sandbox.jira.app import create_jira_app
        except ImportError:
            return
        seed = load_seed(path, flavour="jira-cloud")
        app = create_jira_app(seed, "cloud")
        print(f"load_seed + create_jira_app(cloud): {time.perf_counter() - start:.2f} s")
        from connectors.sandbox.jira.jql import JqlContext
        from connectors.sandbox.jira.search import search_cloud

        store = app.state.jira.store
        bot = seed.bot() or seed.users[0]
        ctx = JqlContext(store, bot, store.now(), cloud=True)
        start = time.perf_counter()
        page = search_cloud(
            "project = P1 AND updated >= -15m ORDER BY updated ASC, key ASC",
            ctx,
            token=None,
            max_results=100,
            rich=False,
            short_pages=False,
        )
        elapsed = time.perf_counter() - start
        print(f"one incremental JQL search over {len(seed.tasks)} issues: {elapsed * 1000:.0f} ms")
        del page


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
