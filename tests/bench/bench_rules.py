"""Rule-evaluation throughput: 100,000 tasks read from a SQLite store and evaluated.

Run: ``python -m tests.bench.bench_rules [N]``. Prints tasks/second for reading
(``Store.iter_tasks``, i.e. JSON → Task), for ``Engine.evaluate`` alone and for both
together, plus peak RSS; asserts nothing. The tasks are a realistic mix: most are fine,
some lack sections, an owner, a priority or a due date, some are overdue, stale or past
their checkpoint, and every task carries a few comments and field changes.
"""

from __future__ import annotations

import gc
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rules.engine import Engine
from syncd.core.models import Activity, Comment, Person, Section, StatusCategory, Task
from syncd.policy_file import read_policy_text
from syncd.source_cycle import evaluate_source
from syncd.store import open_store

POLICY = """\
sources:
  - name: agency-jira
    type: jira
    url: https://jira.example
    auth: {kind: bearer, secret: JIRA_TOKEN}
    scope: {jql: "project in (SHOP, BLOG)"}
    calendar: {country: RU, timezone: Europe/Moscow}
"""
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PEOPLE = [Person(id=f"u{i}", name=f"Person {i}", username=f"p{i}") for i in range(50)]
BOT = Person(id="bot", name="syncd")
GOAL = Section(name="goal", title="Цель", text="Увеличить открываемость рассылки до 25 %")
AC = Section(
    name="acceptance", title="Критерии приёмки", text="Макет согласован", checklist_items=2
)
BODIES = ["Статус: всё по плану", "Жду правки от клиента", "Checkpoint: 50% done", "ok"]


def make_task(i: int) -> Task:
    created = NOW - timedelta(days=5 + i % 40, hours=i % 24)
    person = PEOPLE[i % len(PEOPLE)]
    comments = tuple(
        Comment(
            id=f"{i}-{k}",
            author=BOT if k == 2 else PEOPLE[(i + k) % len(PEOPLE)],
            created=created + timedelta(days=k + 1),
            body=BODIES[(i + k) % len(BODIES)] if k != 2 else "Напоминание syncd",
            is_bot=k == 2,
        )
        for k in range(i % 4)
    )
    activity = tuple(
        Activity(author=person, at=created + timedelta(hours=k * 7), field="status")
        for k in range(i % 3)
    )
    return Task(
        source="agency-jira",
        key=f"{'SHOP' if i % 2 else 'BLOG'}-{i}",
        id=str(100_000 + i),
        url=f"https://jira.example/browse/SHOP-{i}",
        project="SHOP" if i % 2 else "BLOG",
        title=f"Задача {i}",
        description_format="adf",
        sections=(GOAL, AC) if i % 7 else (GOAL,),
        status="In Progress" if i % 3 else "To Do",
        status_category=StatusCategory.IN_PROGRESS if i % 3 else StatusCategory.NEW,
        assignees=(person,) if i % 11 else (),
        priority="High" if i % 13 else None,
        labels=("client-a", "design") if i % 5 == 0 else ("client-b",),
        created=created,
        updated=created + timedelta(days=1),
        start=created + timedelta(hours=3) if i % 3 else None,
        due=date(2026, 11, 10) + timedelta(days=i % 45) if i % 17 else None,
        comments=comments,
        activity=activity,
    )


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def main(n_tasks: int = 100_000) -> None:
    engine = Engine.from_policy(read_policy_text(POLICY), bot_ids={"agency-jira": {"bot"}})
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'state.db'}")
        try:
            t0 = time.perf_counter()
            for start in range(0, n_tasks, 5_000):
                store.upsert_tasks(make_task(i) for i in range(start, min(n_tasks, start + 5_000)))
            print(f"stored {n_tasks} tasks in {time.perf_counter() - t0:.1f} s")
            print(f"peak RSS after storing: {peak_rss_mb():.0f} MB")

            # Streamed first, so the peak RSS printed next is that of the daemon's way:
            # tasks and findings flow through, counted, never all held.
            t0 = time.perf_counter()
            streamed = Counter(
                f.rule for f in engine.iter_findings(store.iter_tasks(open_only=True), NOW)
            )
            t_both = time.perf_counter() - t0
            rss_streamed = peak_rss_mb()

            # What a daemon cycle does: stream, keep only the tasks that have findings.
            t0 = time.perf_counter()
            ev = evaluate_source(store, engine, "agency-jira", NOW)
            t_cycle = time.perf_counter() - t0
            rss_cycle = peak_rss_mb()
            flagged = len(ev.tasks)
            del ev

            t0 = time.perf_counter()
            read = sum(1 for _ in store.iter_tasks(open_only=True))
            t_read = time.perf_counter() - t0

            tasks = list(store.iter_tasks(open_only=True))
            gc.collect()  # do not bill the list's allocation to evaluate
            t0 = time.perf_counter()
            findings = engine.evaluate(tasks, NOW)
            t_eval = time.perf_counter() - t0
            del tasks
        finally:
            store.close()
    assert sum(streamed.values()) == len(findings)
    print(f"iter_tasks only:        {read / t_read:>9,.0f} tasks/s ({t_read:.2f} s)")
    print(f"Engine.evaluate only:   {read / t_eval:>9,.0f} tasks/s ({t_eval:.2f} s)")
    print(f"iter_tasks + iter_findings: {read / t_both:>9,.0f} tasks/s ({t_both:.2f} s)")
    print(
        f"findings: {len(findings)} — "
        + ", ".join(
            f"{rule} {count}" for rule, count in sorted(Counter(f.rule for f in findings).items())
        )
    )
    print(
        f"evaluate_source (cycle): {read / t_cycle:>9,.0f} tasks/s ({t_cycle:.2f} s), "
        f"{flagged} flagged tasks kept"
    )
    print(f"peak RSS streaming iter_tasks → iter_findings: {rss_streamed:.0f} MB")
    print(f"peak RSS after evaluate_source (the daemon's cycle): {rss_cycle:.0f} MB")
    print(f"peak RSS with all tasks and findings in lists: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
