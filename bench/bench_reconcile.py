"""Reconciliation: 100,000 recorded × 100,000 observed assets (generated, realistic overlap) through
identity resolution and reconciliation, beside a bare DuckDB join of the same data, same run.

Two figures, each printed beside its floor:

1. in memory — `resolve()` + `reconcile()` over the generated subjects and records (what
   `refresh()` does between loading and persisting), beside DuckDB equi-joins of the same data
   held as Arrow tables;
2. over a DuckDB file — the whole `collector.inventory.refresh.refresh()` (load aggregated sightings, resolve,
   reconcile, persist assets and the findings lifecycle) over a store holding the same data as
   sightings rows, beside DuckDB equi-joins of the store's own sightings and recorded_assets.

Overlap: n observed machines and n register rows over n + n/10 machines: 90 % of records are of
machines that are seen (matched by serial, MAC or host name as far as the patchy register
allows), 10 % are never seen (ghost candidates); 10 % of observed machines are unrecorded
(zombies); a tenth of the records are retired/lost/in stock. Half of the machines run an agent
(serial, MAC, host name) and are also seen by ARP; the other half only by ARP; 5 % are also seen by
nmap from another subnet (address only), and another 5 % answer SNMP with interface MACs of their own,
bound to their ARP MAC by the scanner (L2 binding; NETCENSUS_BENCH_L2=0 leaves them out). Override n
with NETCENSUS_BENCH_ASSETS and the repetitions with NETCENSUS_BENCH_REPEAT; each figure is the best
of the repetitions (the machine may be busy), with the median beside it.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from collector.inventory.gc import paused_gc
from collector.inventory.identity import SubjectFacts, resolve
from collector.inventory.reconcile import Coverage, Record, reconcile

NOW = datetime(2026, 11, 25, tzinfo=UTC)
# 1 (default): 5 % of observed machines are network devices whose SNMP sighting is bound to the MAC
# that answered ARP for their address (an L2 binding, issue #15); 0 leaves them out (the data before it).
L2_SHARE = os.environ.get("NETCENSUS_BENCH_L2", "1") != "0"
GHOST_AFTER = timedelta(days=14)


def generate(n: int, seed: int = 11) -> tuple[list[SubjectFacts], list[Record]]:
    """Subjects for n observed machines (agents, ARP and nmap sightings) and n register rows."""
    rng = random.Random(seed)
    facts: list[SubjectFacts] = []
    records: list[Record] = []
    classes = ["in-use"] * 90 + ["in-stock"] * 4 + ["retired"] * 4 + ["lost"] * 2
    unrecorded = n // 10
    for i in range(n + unrecorded):
        mac = f"00:1b:21:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
        serial, host, ip = f"SN{i:08d}", f"host-{i:06d}", f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
        seen_at = NOW - timedelta(hours=rng.randint(1, 300))
        if i < n:  # observed
            if i % 2:  # an agent that knows its serial, and an ARP sighting of its MAC
                facts.append(SubjectFacts(f"agent:{i}", seen_at - timedelta(days=30), seen_at, hostnames=(host,),
                                          ips=(ip,), macs=(mac,), serials=(serial,), sources=(f"a{i}:agent",),
                                          evidence=((f"a{i}", "agent", seen_at, "agent report"),)))
            facts.append(SubjectFacts(f"mac:{mac}", seen_at - timedelta(days=10), seen_at, ips=(ip,), macs=(mac,),
                                      hostnames=() if i % 2 else (host,),
                                      sources=("scanner:arp",), evidence=(("scanner", "arp", seen_at, "arp"),)))
            if i % 20 == 3 and L2_SHARE:  # a network device: its SNMP sighting, bound to the ARP MAC (L2 binding)
                own = f"00:25:{mac[6:]}"  # an interface MAC of its own, unrelated to the one that answered ARP
                facts.append(SubjectFacts(f"mac:{own}", seen_at - timedelta(days=10), seen_at,
                                          hostnames=(f"sw-{i:06d}",), ips=(ip,), macs=(own,), sources=("scanner:snmp",),
                                          evidence=(("scanner", "snmp", seen_at, "snmp"),), bound_macs=(mac,)))
            if i % 20 == 7:  # nmap from another subnet: the address and nothing else
                facts.append(SubjectFacts(f"ip:{ip}", seen_at - timedelta(minutes=5), seen_at - timedelta(minutes=5),
                                          ips=(ip,), sources=("scanner:nmap",),
                                          evidence=(("scanner", "nmap", seen_at - timedelta(minutes=5), "nmap"),)))
        if i >= unrecorded:  # recorded (the first tenth are unrecorded zombies; the last tenth unseen)
            key = rng.random()  # registers are patchy: some rows lack a serial, a MAC or a host name
            records.append(Record(
                register="snipeit", record_key=f"NC-{i:06d}", line=i + 2, asset_tag=f"NC-{i:06d}", name=host,
                serial=serial if key < 0.6 else "", hostname=host if key >= 0.3 else "",
                macs=(mac,) if key >= 0.2 else (), ips=(ip,), model="", status="s",
                status_class=rng.choice(classes), assigned_to="", filename="r.csv", imported_at=NOW))
    return facts, records


COVERAGE = [Coverage("scanner", "scan:arp", NOW - timedelta(hours=3), ("10.0.0.0/8",), "sweep of 10.0.0.0/8")]

_BARE_JOIN = """
    WITH m AS (
        SELECT r.record_key, o.subject FROM recorded r JOIN observed o ON r.serial = o.serial
        UNION ALL SELECT r.record_key, o.subject FROM recorded r JOIN observed o ON r.mac = o.mac
        UNION ALL SELECT r.record_key, o.subject FROM recorded r JOIN observed o ON r.hostname = o.hostname)
    SELECT count(DISTINCT record_key), count(DISTINCT subject) FROM m"""


def bare_duckdb_join(facts: list[SubjectFacts], records: list[Record]) -> Callable[[], object]:
    """The floor: the same data as two Arrow tables, joined on each key in DuckDB."""
    observed = pa.table({"subject": [f.subject for f in facts],
                         "serial": [f.serials[0] if f.serials else None for f in facts],
                         "mac": [f.macs[0] if f.macs else None for f in facts],
                         "hostname": [f.hostnames[0] if f.hostnames else None for f in facts]})
    recorded = pa.table({"record_key": [r.record_key for r in records], "serial": [r.serial or None for r in records],
                         "mac": [r.macs[0] if r.macs else None for r in records],
                         "hostname": [r.hostname or None for r in records]})
    con = duckdb.connect()
    con.register("observed", observed)
    con.register("recorded", recorded)
    return lambda: con.execute(_BARE_JOIN).fetchall()


def bare_store_join(con: duckdb.DuckDBPyConnection) -> Callable[[], object]:
    """The floor over the file: the same equi-joins between the sightings and recorded_assets tables."""
    con.execute("""CREATE OR REPLACE TEMP VIEW observed AS
                   SELECT subject, serial, macs[1] AS mac, hostname FROM sightings""")
    con.execute("""CREATE OR REPLACE TEMP VIEW recorded AS
                   SELECT record_key, serial, macs[1] AS mac, hostname FROM recorded_assets""")
    return lambda: con.execute(_BARE_JOIN).fetchall()


def write_store(path: Path, facts: list[SubjectFacts], records: list[Record]) -> None:
    """A netcensus DuckDB file holding the generated data: two sightings per subject (its first and
    last), the register, and one complete ARP sweep; bulk-inserted through Arrow."""
    from collector.store.duckdb import Store

    rows: dict[str, list[object]] = {c: [] for c in (
        "report_id", "source_id", "method", "seen_at", "subject", "hostname", "ips", "macs", "networks", "serial",
        "bound_mac")}
    for f in facts:
        source, method = f.evidence[0][0], f.evidence[0][1]
        agent = f.subject.startswith("agent:")
        for at in dict.fromkeys((f.first_seen, f.last_seen)):
            rows["report_id"].append(f"r-{source}-{at.timestamp():.0f}")
            rows["source_id"].append(source)
            rows["method"].append(method)
            rows["seen_at"].append(at)
            rows["subject"].append(f.subject)
            rows["hostname"].append(f.hostnames[0] if f.hostnames else None)
            rows["ips"].append(list(f.ips))
            rows["macs"].append(list(f.macs))
            rows["networks"].append([f.ips[0].rsplit(".", 1)[0] + ".0/24"] if agent else [])
            rows["serial"].append(f.serials[0] if f.serials else None)
            rows["bound_mac"].append(f.bound_macs[0] if f.bound_macs else None)
    sightings = pa.table(rows)
    register = pa.table({
        "register": [r.register for r in records], "record_key": [r.record_key for r in records],
        "line": [r.line for r in records], "asset_tag": [r.asset_tag for r in records],
        "name": [r.name for r in records], "serial": [r.serial or None for r in records],
        "hostname": [r.hostname or None for r in records], "macs": [list(r.macs) for r in records],
        "ips": [list(r.ips) for r in records], "model": [r.model or None for r in records],
        "status": [r.status for r in records], "status_class": [r.status_class for r in records]})
    store = Store.open(path)
    try:
        store.write(
            [("""INSERT INTO sightings BY NAME
                 SELECT * REPLACE (seen_at::TIMESTAMPTZ AS seen_at) FROM gen_sightings""", []),
             ("""INSERT INTO register_imports VALUES ('imp-1', 'snipeit', 'r.csv', 'snipeit', '', ?,
                 ?, ?, 0, 0, 0)""", [NOW, len(records), len(records)]),
             ("""INSERT INTO recorded_assets BY NAME
                 SELECT *, 'imp-1' AS import_id, '' AS content_hash, ?::TIMESTAMPTZ AS first_imported_at,
                        ?::TIMESTAMPTZ AS updated_at FROM gen_register""", [NOW, NOW]),
             *[("""INSERT INTO scan_runs VALUES ('r-sweep', 'sweep-1', ?, ?, ['arp'], ?, ?, true)""",
                [c.source, list(c.networks), c.at, c.at]) for c in COVERAGE]],
            tables={"gen_sightings": sightings, "gen_register": register})
    finally:
        store.close()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(best, median) wall time and best CPU time of `repeat` runs; a collection before each so runs start alike.

    CPU time is printed too because this may run beside other work: wall time then includes waiting
    for a core (DuckDB's own threads count in CPU time, so it can exceed wall time).
    """
    times, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(times), statistics.median(times), min(cpu)


def main() -> None:
    """Print both figures, each beside its bare DuckDB join measured in the same run, with the ratio."""
    from collector.inventory.refresh import refresh
    from collector.store.duckdb import Store

    n = int(os.environ.get("NETCENSUS_BENCH_ASSETS", "100000"))
    repeat = int(os.environ.get("NETCENSUS_BENCH_REPEAT", "3"))
    facts, records = generate(n)
    split: list[float] = []

    def in_memory() -> None:
        split.clear()
        with paused_gc():  # as refresh() runs them: the pause is refresh()'s, not the core's
            started = time.perf_counter()
            assets = resolve(facts)
            split.append(time.perf_counter() - started)
            started = time.perf_counter()
            findings, _ = reconcile(assets, records, COVERAGE, now=NOW, ghost_after=GHOST_AFTER)
            split.append(time.perf_counter() - started)
        kinds.clear()
        kinds["assets"] = len(assets)
        for f in findings:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1

    kinds: dict[str, int] = {}
    ours, ours_median, ours_cpu = timed(in_memory, repeat)
    bare, _, _ = timed(bare_duckdb_join(facts, records), repeat)
    assets = kinds.pop("assets")
    print(f"reconcile: {len(records):,} recorded x {assets:,} observed assets ({len(facts):,} subjects); "
          f"best of {repeat}")
    print("in memory (resolve + reconcile, as refresh() runs them):")
    print(f"  netcensus identity resolution:      {split[0]:6.2f} s   (last run)")
    print(f"  netcensus reconciliation:           {split[1]:6.2f} s   (last run) -> "
          + ", ".join(f"{v:,} {k}" for k, v in sorted(kinds.items())))
    print(f"  netcensus total:                    {ours:6.2f} s   "
          f"(median {ours_median:.2f} s, best CPU {ours_cpu:.2f} s)")
    print(f"  bare DuckDB join (serial, mac, host equi-joins over Arrow): {bare:6.2f} s")
    print(f"  ratio: {ours / bare:.1f}x the bare join")

    with tempfile.TemporaryDirectory(prefix="nc-bench-") as tmp:
        path = Path(tmp) / "bench.duckdb"
        write_store(path, facts, records)
        store = Store.open(path)
        try:
            loads = {"load_subjects": store.load_subjects, "load_records": store.load_records,
                     "load_coverage": store.load_coverage}
            load_times = {name: timed(fn, 1)[0] for name, fn in loads.items()}
            result: dict[str, int] = {}

            def full() -> None:
                snapshot = refresh(store, now=NOW, ghost_after=GHOST_AFTER)
                result.clear()
                result["assets"] = len(snapshot.assets)
                for row in snapshot.findings:
                    result[row.kind] = result.get(row.kind, 0) + 1

            first_refresh = timed(full, 1)[0]  # writes every asset and finding; later ones write what changed
            total, total_median, total_cpu = timed(full, repeat)
            sightings = store.query("SELECT count(*) AS n FROM sightings")[0]["n"]
        finally:
            store.close()
        # A plain connection of its own, once the store's is closed: DuckDB refuses a second
        # in-process connection to one file with a different configuration (the store locks its own).
        floor, _, _ = timed(bare_store_join(duckdb.connect(str(path))), repeat)
    assets = result.pop("assets")
    print(f"over a DuckDB file ({sightings:,} sightings, {len(records):,} recorded assets):")
    print("  " + ", ".join(f"{name} {t:.2f} s" for name, t in load_times.items()))
    print(f"  netcensus refresh() (load, resolve, reconcile, persist): {total:6.2f} s   (median {total_median:.2f} s,"
          f" best CPU {total_cpu:.2f} s; first refresh into empty tables {first_refresh:.2f} s)"
          f" -> {assets:,} assets, " + ", ".join(f"{v:,} {k}" for k, v in sorted(result.items())))
    print(f"  bare DuckDB join (the same equi-joins over sightings x recorded_assets): {floor:6.2f} s")
    print(f"  ratio: {total / floor:.1f}x the bare join")


if __name__ == "__main__":
    main()
