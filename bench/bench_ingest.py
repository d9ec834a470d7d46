"""Ingest: host snapshots streamed over gRPC into the collector's DuckDB, beside a bare DuckDB
Arrow insert of the same software rows, measured in the same run.

Default: 200 hosts x 1,500 packages (300,000 software rows) over 8 concurrent agent streams.
Override with NETCENSUS_BENCH_HOSTS / NETCENSUS_BENCH_PACKAGES / NETCENSUS_BENCH_STREAMS.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
from netcensus.v1 import report_pb2

from agent.facts.model import CollectorState, CollectorStatus, HostFacts, Inventory, NetworkInterface, SoftwareItem
from agent.transport.client import IngestClient
from agent.transport.encode import encode_snapshot
from agent.transport.state import NodeState
from collector.config import ServeConfig
from collector.server import BackgroundCollector


def _catalogue(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """A package universe with realistic overlap: a shared base plus a long tail."""
    return [(f"pkg-{i:05d}", f"{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}-{rng.randint(1, 5)}")
            for i in range(n)]


def make_inventories(hosts: int, packages: int, seed: int = 7) -> list[Inventory]:
    """Synthetic hosts: 80 % of each list from a common base, the rest from a 20,000-title tail."""
    rng = random.Random(seed)
    base = _catalogue(packages, rng)
    tail = _catalogue(20_000, rng)
    out = []
    for h in range(hosts):
        common = rng.sample(base, int(packages * 0.8))
        rare = rng.sample(tail, packages - len(common))
        software = tuple(SoftwareItem(name, version, "deb", arch="amd64", vendor="Debian") for name, version in
                         dict(common + rare).items())
        mac = f"00:1b:21:{h >> 16 & 255:02x}:{h >> 8 & 255:02x}:{h & 255:02x}"
        facts = HostFacts(hostname=f"host-{h:05d}", interfaces=(
            NetworkInterface("eth0", mac, (f"10.{h >> 8 & 255}.{h & 255}.10/16",), is_up=True),))
        out.append(Inventory(facts, software, (CollectorStatus("deb", CollectorState.OK, 10, len(software)),)))
    return out


def bench_grpc(inventories: list[Inventory], streams: int, workdir: Path) -> tuple[float, int]:
    """Wall seconds to enrol, encode, send and have every report acked; rows stored."""
    config = ServeConfig(db=workdir / "bench.duckdb", listen="127.0.0.1:0", rules_dirs=(),
                         refresh_interval=timedelta(0))
    with BackgroundCollector(config) as running:
        per_stream = [inventories[i::streams] for i in range(streams)]
        errors: list[str] = []

        def agent(batch: list[Inventory], n: int) -> None:
            # One stream carries several simulated hosts in turn; each host is its own enrolled source.
            for k, inv in enumerate(batch):
                state = NodeState(workdir / f"state-{n}-{k}.json")
                with IngestClient(running.target, state, kind=report_pb2.SOURCE_KIND_AGENT) as client:
                    client.ensure_enrolled()
                    report = encode_snapshot(inv, source_id=state.source_id, seq=state.take_seq(),
                                             now=datetime.now(UTC))
                    ack = client.send([report])[0]
                    if not ack.stored:
                        errors.append(ack.reason)

        threads = [threading.Thread(target=agent, args=(b, n)) for n, b in enumerate(per_stream)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        assert running.collector is not None
        rows = running.collector.store.query("SELECT count(*) AS n FROM software_installs")[0]["n"]
    if errors:
        raise RuntimeError(f"{len(errors)} reports not stored: {errors[0]}")
    return elapsed, int(rows)


def bench_bare_duckdb(inventories: list[Inventory], workdir: Path) -> tuple[float, int]:
    """The floor: one Arrow table of the same rows inserted into a DuckDB file."""
    now = datetime.now(UTC)
    cols: dict[str, list[object]] = {k: [] for k in ("subject", "name", "version", "arch", "pkg_source", "vendor",
                                                     "first_seen")}
    started = time.perf_counter()
    for n, inv in enumerate(inventories):
        for item in inv.software:
            cols["subject"].append(f"agent:{n}")
            cols["name"].append(item.name)
            cols["version"].append(item.version)
            cols["arch"].append(item.arch)
            cols["pkg_source"].append(item.source)
            cols["vendor"].append(item.vendor)
            cols["first_seen"].append(now)
    table = pa.table(cols)
    con = duckdb.connect(str(workdir / "bare.duckdb"))
    con.execute("CREATE TABLE software (subject VARCHAR, name VARCHAR, version VARCHAR, arch VARCHAR, "
                "pkg_source VARCHAR, vendor VARCHAR, first_seen TIMESTAMPTZ)")
    con.register("incoming", table)
    con.execute("INSERT INTO software SELECT * FROM incoming")
    con.close()
    return time.perf_counter() - started, table.num_rows


def main() -> None:
    """Print rows/s for both paths and their ratio."""
    hosts = int(os.environ.get("NETCENSUS_BENCH_HOSTS", "200"))
    packages = int(os.environ.get("NETCENSUS_BENCH_PACKAGES", "1500"))
    streams = int(os.environ.get("NETCENSUS_BENCH_STREAMS", "8"))
    inventories = make_inventories(hosts, packages)
    with tempfile.TemporaryDirectory(prefix="netcensus-bench-") as tmp:
        work = Path(tmp)
        grpc_s, grpc_rows = bench_grpc(inventories, streams, work)
        bare_s, bare_rows = bench_bare_duckdb(inventories, work)
    ours, floor = grpc_rows / grpc_s, bare_rows / bare_s
    print(f"ingest: {hosts} host snapshots x {packages} packages over {streams} gRPC streams")
    print(f"  netcensus  (gRPC -> validate -> DuckDB, acked after commit): {grpc_rows:>9,} rows in {grpc_s:6.2f} s "
          f"= {ours:>10,.0f} rows/s")
    print(f"  bare DuckDB (Arrow insert of the same rows):                 {bare_rows:>9,} rows in {bare_s:6.2f} s "
          f"= {floor:>10,.0f} rows/s")
    print(f"  ratio: netcensus reaches {ours / floor:.0%} of a bare Arrow insert")


if __name__ == "__main__":
    main()
