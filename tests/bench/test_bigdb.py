"""bench/bigdb.py at a small size: the generated estate has the shape the benchmarks rely on.

The live benchmark and the dashboard's page benchmark read these tables as a collector leaves them;
a generator that silently produced no software, no history or no findings would make their figures
meaningless, so the shape is checked here on a real file (200 machines: a few seconds).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bigdb import PACKAGES_PER_AGENT, build
from collector.store.duckdb import Store


def test_a_small_estate_has_every_part(tmp_path: Path) -> None:
    path = tmp_path / "big.duckdb"
    build(path, machines=200)
    store = Store.open(path, read_only=True)
    try:
        def count(sql: str) -> int:
            return int(store.query(sql)[0]["n"])  # type: ignore[call-overload]

        assert count("SELECT count(*) AS n FROM assets") == 200  # agent + ARP + SNMP sightings resolve to one each
        agents = count("SELECT count(*) AS n FROM sources WHERE kind = 'agent'")
        assert agents == 160
        installs = count("SELECT count(*) AS n FROM software_installs")
        assert installs == pytest.approx(agents * PACKAGES_PER_AGENT, rel=0.1)
        assert count("SELECT count(*) AS n FROM software_installs WHERE removed_at IS NOT NULL") > 0
        assert count("SELECT count(DISTINCT subject) AS n FROM asset_members WHERE matched_by = 'l2-binding'") > 0
        assert count("SELECT count(*) AS n FROM recorded_assets") == pytest.approx(200, rel=0.1)
        # a year of resolved history beside the open findings the refresh made, of several kinds
        span = store.query("SELECT date_diff('day', min(opened_at), max(opened_at)) AS n FROM findings")[0]["n"]
        assert span > 300  # type: ignore[operator]
        kinds = {r["kind"] for r in store.query("SELECT DISTINCT kind FROM findings WHERE resolved_at IS NULL")}
        assert {"ghost", "zombie", "unauthorised-software"} <= kinds
        assert count("SELECT count(*) AS n FROM finding_days") > 0
    finally:
        store.close()


def test_an_existing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.duckdb"
    path.write_bytes(b"")
    with pytest.raises(SystemExit, match="exists"):
        build(path, machines=10)
