"""``make bench``: run every benchmark in turn; each prints its own numbers.

Benchmarks measure (request counts, throughput, memory); they assert nothing about time.
Run one alone with ``python -m tests.bench.<module>``, or a few by name:
``python -m tests.bench bench_scale bench_desk``. Each runs in a process of its own.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path


def main() -> None:
    here = Path(__file__).parent
    only = set(sys.argv[1:])
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (only and info.name not in only):
            continue
        print(f"\n=== {info.name} ===", flush=True)
        # Each in a fresh process: a child's peak RSS (read from wait4 by the memory
        # benchmarks) starts at its parent's size, so one benchmark's large heap would
        # show up in the next one's figures.
        code = subprocess.call([sys.executable, "-m", f"tests.bench.{info.name}"])
        if code:
            raise SystemExit(f"{info.name} failed (exit {code})")


if __name__ == "__main__":
    main()
