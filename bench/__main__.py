"""`make bench`: run every benchmark in turn (python -m bench [NAME ...])."""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Root-only benchmarks build network namespaces; they say so and are skipped otherwise.
ROOT_ONLY = {"bench_scan", "bench_assets_per_device", "bench_identify"}


def main(argv: list[str]) -> int:
    """Run the named benchmarks (default: all bench_*.py), reporting failures without stopping."""
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    failed = []
    for name in names:
        if name in ROOT_ONLY and os.geteuid() != 0:
            print(f"\n### {name}: skipped (needs root for network namespaces)")
            continue
        print(f"\n### {name}", flush=True)
        started = time.monotonic()
        sys.argv = [name]  # each benchmark parses its own options; run them with their defaults
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            failed.append(name)
            print(f"{name} failed: {type(exc).__name__}: {exc}")
        print(f"### {name} took {time.monotonic() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
