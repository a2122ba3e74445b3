"""Memory and speed at 100,000 stored tasks (issue 17), each measured in its own process.

Run: ``python -m tests.bench.bench_scale [N] [--profile]``. Builds a store of N generated tasks (ADF
descriptions, comments, a status change each) by writing rows through the store API, then
runs, as subprocesses whose peak RSS is read from ``wait4``'s rusage:

- ``syncd check --no-sync --json`` (stored tasks per second, end to end, imports included),
  cold (nothing kept yet) and warm (a second run, reading the results the first kept);
- ``syncd once`` report-only (``enforce: false``), twice: the first records every finding;
- ``syncd once`` idle, twice: the source enforced, every finding marked as reminded about
  (as if the reminders had been posted), nothing changed — the daemon's steady state. A tiny
  sandbox Jira answers the one incremental search (its full sync ran before the N tasks
  were written, so nothing is forgotten);
- loading the N-task generated seed with ADF documents (``load_for_life``: the seed and the
  Jira Cloud app, as ``syncd sandbox`` builds them).

Prints a table with the issue's "now" figures and goals beside; asserts nothing. With
``--profile``, runs the warm check and the idle ``once`` again under cProfile and prints
their top lines.
"""

from __future__ import annotations

import os
import pstats
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from tests.bench.scale_store import NOW, TOKEN, write_policy

SYNCD = [sys.executable, "-m", "syncd"]


@dataclass
class Run:
    seconds: float
    cpu: float
    """User + system CPU seconds: what the work costs on a machine shared with others."""
    peak_mb: float
    code: int
    lines: int


def measure(argv: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Wall time and peak RSS of one child process (``wait4`` reports that child alone)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = sum(1 for _ in out)
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    cpu = usage.ru_utime + usage.ru_stime
    return Run(elapsed, cpu, usage.ru_maxrss * scale / 1e6, child.returncode, lines)


def _tiny_tracker() -> SandboxServer:
    """A Jira Cloud sandbox with a handful of old tasks (projects Q0…Q3, so their keys are
    not the stored ones'): the idle cycle's one search."""
    data = generate_seed(8, n_projects=4, now=NOW - timedelta(days=30))
    for item in (*data["projects"], *data["tasks"]):
        field = "key" if "key" in item else "project"
        item[field] = item[field].replace("P", "Q", 1)
    seed = load_seed(data)
    server = SandboxServer(create_app("jira-cloud", seed))
    server.start()
    return server


# Run in children so the parent stays small: a child forked from a large parent starts
# with the parent's pages resident, and its ru_maxrss would count them.
STORE_BUILDER = """
import sys
from tests.bench.scale_store import build_store
print(build_store(sys.argv[1], int(sys.argv[2])))
"""
NOTIFY_ALL = """
import sys
from datetime import UTC, datetime
import sqlalchemy as sa
from syncd.store import open_store
from syncd.store import schema as t
store = open_store(sys.argv[1])
with store.engine.begin() as conn:
    conn.execute(
        t.findings.update()
        .where(t.findings.c.state == "open")
        .values(notified_marker="bench", notified_at=datetime.now(UTC), times_notified=1)
    )
store.close()
"""
SEED_WRITER = """
import json, sys
from connectors.sandbox.common.generator import generate_seed
data = generate_seed(int(sys.argv[2]), n_projects=20, n_users=50, documents="adf")
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(data, out, ensure_ascii=False)
"""
SEED_LOADER = """
import sys
from pathlib import Path
from connectors.sandbox.server import load_for_life
load_for_life("jira-cloud", Path(sys.argv[1]), shift=False)  # what `syncd sandbox` runs
"""


def _line(run: Run) -> str:
    return f"{run.seconds:.1f} s ({run.cpu:.1f} s CPU), {run.peak_mb:.0f} MB"


PROFILED = [sys.executable, "-m", "cProfile", "-o"]
PROFILE_LINES = 30


def _profile(name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
    """Run ``syncd *argv`` again under cProfile; print its top lines by own time."""
    out = cwd / f"{name}.prof"
    measure([*PROFILED, str(out), "-m", "syncd", *argv], env, cwd)
    print(f"\n== cProfile, {name} ==", flush=True)
    stats = pstats.Stats(str(out))
    stats.sort_stats("cumulative").print_stats(PROFILE_LINES)
    stats.sort_stats("tottime").print_stats(PROFILE_LINES)


def main(n_tasks: int = 100_000, *, profile: bool = False) -> None:
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "state.db"
        env = {
            **os.environ,
            "SYNCD_STATE_URL": f"sqlite:///{db}",
            "SYNCD_DATA_DIR": str(work),
            "SYNCD_HTTP_PORT": "0",
            "BENCH_JIRA_TOKEN": TOKEN,
            "PYTHONPATH": str(root),
        }
        server = _tiny_tracker()
        try:
            policy = write_policy(work, url=server.url, enforce=False)
            config = ["--config", str(policy)]
            first = measure([*SYNCD, *config, "once"], env, work)  # full sync of the tiny tracker
            t0 = time.perf_counter()
            builder = [sys.executable, "-c", STORE_BUILDER, f"sqlite:///{db}", str(n_tasks)]
            built = subprocess.run(builder, env=env, check=True, capture_output=True, text=True)
            open_tasks = int(built.stdout.split()[-1])
            print(
                f"stored {n_tasks:,} tasks ({open_tasks:,} open) in "
                f"{time.perf_counter() - t0:.1f} s (tiny tracker synced: exit {first.code})",
                flush=True,
            )
            at = ["--at", NOW.isoformat()]
            check_argv = [*config, "check", "--no-sync", "--json", *at]
            # Cold: nothing kept yet, every task evaluated (and its result kept); warm: the
            # same again, reading what the first run kept.
            check = measure([*SYNCD, *check_argv], env, work)
            print(f"check (cold): {check}", flush=True)
            check_warm = measure([*SYNCD, *check_argv], env, work)
            print(f"check (warm): {check_warm}", flush=True)
            if profile:  # now, while what the check kept is current for its --at
                _profile("check-warm", check_argv, env, work)
            report_once = measure([*SYNCD, *config, "once"], env, work)
            print(f"report-only once (records every finding): {report_once}", flush=True)
            report_warm = measure([*SYNCD, *config, "once"], env, work)
            print(f"report-only once (second): {report_warm}", flush=True)
            # The daemon's steady state: every finding already reminded about (as if the
            # reminders had been posted), the source enforced, nothing changed.
            notify = [sys.executable, "-c", NOTIFY_ALL, f"sqlite:///{db}"]
            subprocess.run(notify, env=env, check=True)
            write_policy(work, url=server.url, enforce=True)
            idle_once = measure([*SYNCD, *config, "once"], env, work)
            print(f"idle once (first): {idle_once}", flush=True)
            idle_warm = measure([*SYNCD, *config, "once"], env, work)
            print(f"idle once (second): {idle_warm}", flush=True)
            if profile:
                _profile("idle-once", [*config, "once"], env, work)
        finally:
            server.stop()
        seed_path = work / "seed.json"
        writer = [sys.executable, "-c", SEED_WRITER, str(seed_path), str(n_tasks)]
        subprocess.run(writer, env=env, check=True)
        loader = [sys.executable, "-c", SEED_LOADER, str(seed_path)]
        seed = measure(loader, env, work)
        print(f"seed: {seed}", flush=True)

    rate = n_tasks / check.seconds
    cpu_rate = n_tasks / check.cpu
    warm_rate = n_tasks / check_warm.seconds
    warm_cpu_rate = n_tasks / check_warm.cpu
    rows = [
        (
            f"`check --no-sync` over {n_tasks:,} stored ({open_tasks:,} open), cold",
            f"{check.seconds:.1f} s = {rate:,.0f} tasks/s ({check.cpu:.1f} s CPU = "
            f"{cpu_rate:,.0f} tasks/s), {check.peak_mb:.0f} MB ({check.lines:,} findings)",
            "14 s = 6,000 tasks/s, 828 MB",
            "≥ 50,000 tasks/s, ≤ 300 MB",
        ),
        (
            "the same, warm (results kept by the first run)",
            f"{check_warm.seconds:.1f} s = {warm_rate:,.0f} tasks/s ({check_warm.cpu:.1f} s "
            f"CPU = {warm_cpu_rate:,.0f} tasks/s), {check_warm.peak_mb:.0f} MB "
            f"({check_warm.lines:,} findings)",
            "",
            "≥ 50,000 tasks/s, ≤ 300 MB",
        ),
        (
            f"report-only `once` at {n_tasks:,} (first: records every finding)",
            _line(report_once),
            "27 s, 1,087 MB",
            "≤ 300 MB",
        ),
        ("report-only `once`, second run", _line(report_warm), "", "≤ 300 MB"),
        (
            f"idle `once` at {n_tasks:,} stored (enforced, every finding reminded about)",
            _line(idle_once),
            "19 s, 828 MB",
            "a second or two, ≤ 300 MB",
        ),
        ("idle `once`, second run", _line(idle_warm), "", "a second or two, ≤ 300 MB"),
        (
            f"sandbox: {n_tasks:,}-task seed with ADF documents (process, imports included)",
            f"{seed.seconds:.1f} s ({seed.cpu:.1f} s CPU), {seed.peak_mb:.0f} MB",
            "≈ 47 min",
            "< 30 s",
        ),
    ]
    print()
    print("| measure | syncd now | issue 17: before | goal |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if a != "--profile"]
    main(int(numbers[0]) if numbers else 100_000, profile="--profile" in sys.argv)
