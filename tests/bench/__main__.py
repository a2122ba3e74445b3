"""``make bench``: run every benchmark in turn; each prints its own numbers.

Benchmarks measure (request counts, throughput, memory); they assert nothing about time.
Run one alone with ``python -m tests.bench.<module>``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> None:
    here = Path(__file__).parent
    only = set(sys.argv[1:])
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (only and info.name not in only):
            continue
        print(f"\n=== {info.name} ===", flush=True)
        module = importlib.import_module(f"tests.bench.{info.name}")
        module.main()


if __name__ == "__main__":
    main()
