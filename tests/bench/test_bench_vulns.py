"""bench_vulns runs end to end on a tiny estate, so the benchmark cannot rot between `make bench` runs.

A real run (generate a feed and an estate, import, match, build findings, the bare join) with small
numbers; it checks the benchmark's own outcome lines, not any timing.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_the_benchmark_runs_on_a_small_estate() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "bench_vulns.py"), "--hosts", "40",
                           "--advisories", "400", "--runs", "1"],
                          capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "imported 400 advisories" in proc.stdout
    assert "vulnerable-software step" in proc.stdout and "bare DuckDB join" in proc.stdout
