"""The real agent process sends a full snapshot first, then deltas against what the collector acked."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli


def kinds(collector) -> list[str]:
    return [r["kind"] for r in collector.collector.store.query("SELECT kind FROM reports ORDER BY received_at, seq")]


def test_snapshot_then_deltas_then_snapshot_again(collector, tmp_path: Path) -> None:
    state = tmp_path / "agent"
    config = tmp_path / "agent.toml"
    config.write_text("[agent]\nfull_snapshot_every = 2\n", encoding="utf-8")
    outputs = []
    for _ in range(4):
        r = run_cli("netcensus-agent", "report", "--collector", collector.target, "--once", "--state-dir", str(state),
                    "--config", str(config))
        assert r.code == 0, r.err
        outputs.append(r.out)
    assert "full snapshot" in outputs[0] and "delta of" in outputs[1]
    assert kinds(collector) == ["host_snapshot", "host_delta", "host_delta", "host_snapshot"]
    # Deltas keep the software current without rewriting it: one row per package, none removed.
    rows = collector.collector.store.query(
        "SELECT count(*) AS n, count(*) FILTER (WHERE removed_at IS NOT NULL) AS gone FROM software_installs")
    assert rows[0]["gone"] == 0
    assert rows[0]["n"] > 0
