"""Load benchmark: simulated agents in separate processes stream reports over loopback to one
collector process; printed beside a bare DuckDB Arrow insert of the same rows, measured in the same run.

Two phases against one `netcensus serve` process on a fresh DuckDB file:

* throughput - a few dozen agents stream large host snapshots (software-heavy) as fast as acks come
  back; prints end-to-end software rows/s (gRPC -> validate -> group commit -> ack);
* concurrency - 2,000 agents each hold one Report stream open at the same time and send small
  reports one at a time; prints p50/p99 ack latency (send -> ack, commit included).

In both phases every agent first opens its stream with a heartbeat report and waits for its ack;
only then does the clock start (stream set-up is printed on its own: it is a connection cost, paid
once per agent, not part of a report's ack latency). The collector's and the simulators' CPU time
while measured are printed too: on a 2-core machine they share the cores.

Afterwards the database is checked: every acked report present exactly once (lost = sent but not
stored, duplicated = stored software rows beyond one set per report).

Run: ``.venv/bin/python bench/bench_ingest_load.py [--agents 2000] [--procs 2] ...``.
Goals on a 2-core machine: >= 300,000 software rows/s; 2,000 streams with p99 <= 1 s; 0 lost, 0 doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _heartbeat(source_id: str, seq: int) -> bytes:
    from google.protobuf.timestamp_pb2 import Timestamp
    from netcensus.v1 import report_pb2

    ts = Timestamp()
    ts.FromDatetime(datetime.now(UTC))
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=source_id, seq=seq, created_at=ts,
                          software_version="bench")
    r.heartbeat.hostname = f"bench-{source_id[:8]}"
    return r.SerializeToString()


def _report(source_id: str, seq: int, items: int, churn: bool = True) -> bytes:
    """A host snapshot of `items` packages; with churn every package differs from the previous
    snapshot's (the worst case: all rows closed and all inserted again), without it every
    snapshot of an agent lists the same packages (an agent checking in, nothing changed)."""
    from google.protobuf.timestamp_pb2 import Timestamp
    from netcensus.v1 import report_pb2

    ts = Timestamp()
    ts.FromDatetime(datetime.now(UTC))
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id=source_id, seq=seq, created_at=ts,
                          software_version="bench")
    snap = r.host_snapshot
    snap.facts.hostname = f"bench-{source_id[:8]}"
    snap.facts.os.family = "linux"
    nic = snap.facts.interfaces.add(name="eth0", mac=f"00:1b:21:{seq % 256:02x}:{uuid.uuid4().hex[:2]}:"
                                                     f"{uuid.uuid4().hex[:2]}")
    nic.addresses.append("192.0.2.10/24")
    gen = seq if churn else 0
    for j in range(items):  # one SoftwareItem message per package, as netcensus-agent sends it
        snap.software.add(name=f"package-{j}-s{gen}", version=f"1.{j % 50}.{gen}", arch="amd64", source="deb",
                          vendor="Debian")
    snap.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK, items=items)
    return r.SerializeToString()


async def _agents(target: str, agents: int, reports: int, items: int, window: int, start: Any,
                  ready: Any, churn: bool, pace: float) -> dict[str, Any]:
    import grpc
    from netcensus.v1 import ingest_pb2, report_pb2

    channels = [grpc.aio.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)])
                for _ in range(max(1, agents // 25))]
    enrol_sem = asyncio.Semaphore(32)

    async def enrol(n: int) -> tuple[grpc.aio.Channel, str, str]:
        ch = channels[n % len(channels)]
        stub = ch.unary_unary("/netcensus.v1.Ingest/Enroll",
                              request_serializer=ingest_pb2.EnrollRequest.SerializeToString,
                              response_deserializer=ingest_pb2.EnrollResponse.FromString)
        async with enrol_sem:
            resp = await stub(ingest_pb2.EnrollRequest(source_id=str(uuid.uuid4()), kind=report_pb2.SOURCE_KIND_AGENT,
                                                       hostname="bench"), timeout=120)
        return ch, resp.source_id, resp.node_key

    enrolled = await asyncio.gather(*(enrol(n) for n in range(agents)))
    # Report 1 of every agent is a heartbeat that opens its stream before the clock starts; reports
    # 2.. are the measured ones. Stream set-up (HTTP/2 stream, authentication, the collector's
    # per-stream tasks) is timed on its own: it is a connection cost, not a report's ack latency.
    payloads = [[_report(src, s + 2, items, churn) for s in range(reports)] for _, src, _ in enrolled]
    latencies: list[float] = []
    open_times: list[float] = []
    codes: dict[str, int] = {}
    details: list[str] = []
    acked = 0  # every ack that says stored or duplicate, heartbeats included (for the lost count)
    acked_reports = 0  # the measured reports among them
    errors = 0
    go = asyncio.Event()

    def failed(exc: grpc.RpcError, sent: int) -> None:
        nonlocal errors
        errors += 1
        codes[exc.code().name] = codes.get(exc.code().name, 0) + 1
        if len(details) < 5:
            details.append(f"{exc.code().name}: {exc.details()} (after {sent} sent)")

    t0 = 0.0

    async def agent(index: int, ch: grpc.aio.Channel, source: str, key: str, batch: list[bytes],
                    opened: asyncio.Future[None]) -> None:
        nonlocal acked, acked_reports
        call = ch.stream_stream("/netcensus.v1.Ingest/Report", request_serializer=lambda b: b,
                                response_deserializer=ingest_pb2.Ack.FromString)(
            metadata=[("x-netcensus-node-key", key)], timeout=900)
        sent = 0
        try:
            started = time.perf_counter()
            await call.write(_heartbeat(source, 1))
            sent += 1
            await call.read()
            open_times.append(time.perf_counter() - started)
            acked += 1
            opened.set_result(None)
            await go.wait()
            sent_at: dict[int, float] = {}
            for i in range(0, len(batch), window):
                chunk = batch[i:i + window]
                if pace:  # this process's agents take turns: report k of agent n at (k * agents + n) / pace
                    await asyncio.sleep(max(0.0, t0 + (i * agents + index) / pace - time.perf_counter()))
                for j, payload in enumerate(chunk):
                    sent_at[i + j + 2] = time.perf_counter()
                    await call.write(payload)
                    sent += 1
                for _ in chunk:
                    ack = await call.read()
                    latencies.append(time.perf_counter() - sent_at[int(ack.seq)])
                    if ack.status in (1, 2):
                        acked += 1
                        acked_reports += 1
            await call.done_writing()
        except grpc.RpcError as exc:
            failed(exc, sent)
            if not opened.done():
                opened.set_result(None)

    loop = asyncio.get_running_loop()
    opened = [loop.create_future() for _ in enrolled]
    tasks = [asyncio.ensure_future(agent(n, ch, src, key, batch, fut))
             for n, ((ch, src, key), batch, fut) in enumerate(zip(enrolled, payloads, opened, strict=True))]
    await asyncio.gather(*opened)
    ready.set()
    await loop.run_in_executor(None, start.wait)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    go.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    for ch in channels:
        await ch.close()
    return {"latencies": latencies, "open_times": open_times, "acked": acked, "acked_reports": acked_reports,
            "cpu": cpu, "errors": errors, "elapsed": elapsed,
            "codes": codes, "sent": agents * (reports + 1), "started": t0, "details": details}


def _worker(target: str, agents: int, reports: int, items: int, window: int, start: Any, ready: Any,
            out: Any, churn: bool, pace: float) -> None:
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    out.put(asyncio.run(_agents(target, agents, reports, items, window, start, ready, churn, pace)))


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User+system CPU seconds used so far by a process (all its threads) and by its children
    still running (the collector's front-end processes with --workers)."""
    import psutil

    def used(p: psutil.Process) -> float:
        try:
            times = p.cpu_times()
        except psutil.Error:
            return 0.0
        return float(times.user + times.system)

    parent = psutil.Process(pid)
    return used(parent), sum(used(child) for child in parent.children(recursive=True))


def _phase(target: str, *, collector_pid: int, agents: int, procs: int, reports: int, items: int,
           window: int, churn: bool = True, pace: float = 0.0) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    readies = [ctx.Event() for _ in range(procs)]
    share = [agents // procs + (1 if n < agents % procs else 0) for n in range(procs)]
    workers = [ctx.Process(target=_worker, args=(target, share[n], reports, items, window, start, readies[n], out,
                                                  churn, pace / procs))
               for n in range(procs)]
    for w in workers:
        w.start()
    for r in readies:
        r.wait(timeout=600)
    t0 = time.perf_counter()
    writer0, frontends0 = _cpu_seconds(collector_pid)
    start.set()
    results = [out.get(timeout=1200) for _ in workers]
    wall = time.perf_counter() - t0
    writer1, frontends1 = _cpu_seconds(collector_pid)
    collector_cpu = (writer1 - writer0, frontends1 - frontends0)
    for w in workers:
        w.join(timeout=60)
    latencies = sorted(x for r in results for x in r["latencies"])
    open_times = sorted(x for r in results for x in r["open_times"])
    return {"wall": wall, "open_times": open_times, "collector_cpu": collector_cpu,
            "agents_cpu": sum(r["cpu"] for r in results), "acked": sum(r["acked"] for r in results),
            "acked_reports": sum(r["acked_reports"] for r in results), "sent": sum(r["sent"] for r in results),
            "errors": sum(r["errors"] for r in results), "latencies": latencies,
            "codes": {k: sum(r["codes"].get(k, 0) for r in results) for r in results for k in r["codes"]},
            "details": [d for r in results for d in r["details"]]}


def _bare_duckdb(rows: int) -> float:
    """Seconds for DuckDB to insert `rows` software rows from one Arrow table (same columns)."""
    import duckdb
    import pyarrow as pa

    now = datetime.now(UTC)
    table = pa.table({
        "subject": [f"agent:s{n // 1000}" for n in range(rows)], "source_id": [f"s{n // 1000}" for n in range(rows)],
        "name": [f"package-{n % 1000}" for n in range(rows)], "version": ["1.0"] * rows, "arch": ["amd64"] * rows,
        "pkg_source": ["deb"] * rows, "vendor": ["Debian"] * rows, "source_package": [None] * rows,
        "purl": [None] * rows, "installed_at": pa.array([None] * rows, pa.timestamp("us", tz="UTC")),
        "first_seen": pa.array([now] * rows, pa.timestamp("us", tz="UTC")),
        "report_id": [str(n // 1000) for n in range(rows)],
    })
    with tempfile.TemporaryDirectory() as d:
        con = duckdb.connect(str(Path(d) / "bare.duckdb"))
        con.execute("CREATE TABLE t (subject VARCHAR, source_id VARCHAR, name VARCHAR, version VARCHAR, arch VARCHAR, "
                    "pkg_source VARCHAR, vendor VARCHAR, source_package VARCHAR, purl VARCHAR, "
                    "installed_at TIMESTAMPTZ, first_seen TIMESTAMPTZ, report_id VARCHAR)")
        con.register("incoming", table)
        t0 = time.perf_counter()
        con.execute("BEGIN")
        con.execute("INSERT INTO t SELECT * FROM incoming")
        con.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        con.close()
    return elapsed


def _check(db: Path, *, churn: bool) -> tuple[int, int, int]:
    """(stored reports, doubled reports, reports with missing software rows).

    With churn every snapshot brings its own rows (first_report_id is that report); without it
    only an agent's first snapshot does, and the later ones must leave them as they are.
    """
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        stored, distinct = con.execute("SELECT count(*), count(DISTINCT report_id) FROM reports").fetchone()
        if churn:
            per = con.execute("""
                SELECT r.items, coalesce(s.n, 0) FROM reports r
                LEFT JOIN (SELECT first_report_id, count(*) AS n FROM software_installs GROUP BY 1) s
                  ON s.first_report_id = r.report_id
                WHERE r.kind <> 'heartbeat'""").fetchall()
        else:  # per agent: its largest snapshot's items vs its open rows
            per = con.execute("""
                SELECT r.items, coalesce(s.n, 0) FROM
                  (SELECT source_id, max(items) AS items FROM reports WHERE kind <> 'heartbeat' GROUP BY 1) r
                LEFT JOIN (SELECT source_id, count(*) AS n FROM software_installs WHERE removed_at IS NULL
                           GROUP BY 1) s USING (source_id)""").fetchall()
    finally:
        con.close()
    doubled = stored - distinct + sum(1 for items, n in per if n > items - 1)
    short = sum(1 for items, n in per if n < items - 1)
    return int(stored), int(doubled), int(short)


def _collector_cpu(cpu: tuple[float, float]) -> str:
    writer, frontends = cpu
    if not frontends:
        return f"{writer:.2f} s"
    return f"{writer + frontends:.2f} s (writer process {writer:.2f} s, front-ends {frontends:.2f} s)"


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p))]


def main() -> None:
    """Run both phases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=2, help="agent-simulator processes")
    parser.add_argument("--tp-agents", type=int, default=32, help="throughput phase: agents")
    parser.add_argument("--tp-reports", type=int, default=6, help="throughput phase: reports per agent")
    parser.add_argument("--tp-items", type=int, default=1500, help="throughput phase: software items per report")
    parser.add_argument("--agents", type=int, default=2000, help="concurrency phase: concurrent agent streams")
    parser.add_argument("--reports", type=int, default=3, help="concurrency phase: reports per agent")
    parser.add_argument("--items", type=int, default=50, help="concurrency phase: software items per report")
    parser.add_argument("--collector-log", type=Path, default=None,
                        help="keep the collector's log (warnings and up) in this file")
    parser.add_argument("--churn", choices=("all", "none"), default="all",
                        help="concurrency phase: every report replaces all its packages (worst case), or every "
                             "report of an agent lists the same packages (agents checking in)")
    parser.add_argument("--pace", type=float, default=1000.0,
                        help="then the same again with the reports offered at this many per second in total "
                             "(agents take turns) instead of all at once; 0 skips it")
    parser.add_argument("--duckdb-threads", type=int, default=0,
                        help="the collector's duckdb_threads setting (0: DuckDB's default, one per core)")
    parser.add_argument("--workers", default="auto",
                        help="the collector's workers setting: gRPC front-end processes sharing its port, a number "
                             "or auto (one per core); 1 runs the collector as one process")
    parser.add_argument("--warmup", type=int, default=8,
                        help="before the throughput phase, this many agents send one snapshot each, not counted: "
                             "the collector's first software batch pays one-time costs (lazy imports, DuckDB's "
                             "first allocations) that a running collector has paid long ago; 0 skips it")
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                        help="one more [collector] line for the collector's config file (TOML value), e.g. "
                             "max_connections_per_peer=1000 to compare a limit on and off; repeatable")
    parser.add_argument("--skip", choices=("throughput", "concurrency"), default=None, help="skip one phase")
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "load.duckdb"
        rules = Path(d) / "rules"
        rules.mkdir()
        (rules / "none.yaml").write_text("rules: []\n")
        config = Path(d) / "collector.toml"
        # Every simulated agent enrols from loopback, one peer address: the per-peer enrolment limit is
        # for fleets, not for this bench (it measures ingest); a loopback-only bench needs no secret.
        config.write_text("[collector]\nrate_limit = 0\nmax_queue = 200000\nrefresh_interval = \"0\"\n"
                          "enrol_rate_per_peer = 0\nopen_enrolment = true\n"
                          f"duckdb_threads = {args.duckdb_threads}\nworkers = \"{args.workers}\"\n"
                          + "".join(f"{key.strip()} = {value.strip()}\n"
                                    for key, _, value in (s.partition("=") for s in args.setting)))
        port = _free_port()
        log = (args.collector_log or Path(d) / "collector.log").open("w")
        proc = subprocess.Popen([str(BIN / "netcensus"), "--log-level", "warning", "serve", "--db", str(db),
                                 "--listen", f"127.0.0.1:{port}", "--rules", str(rules), "--config", str(config)],
                                stdout=subprocess.PIPE, stderr=log, text=True)
        assert proc.stdout is not None
        if "listening" not in proc.stdout.readline():
            raise SystemExit("collector did not start")
        target = f"127.0.0.1:{port}"
        try:
            empty: dict[str, Any] = {"wall": float("nan"), "acked": 0, "acked_reports": 0, "sent": 0, "errors": 0,
                                     "latencies": [], "open_times": [],
                                     "codes": {}}
            warm = empty if args.skip == "throughput" or not args.warmup else _phase(
                target, collector_pid=proc.pid, agents=args.warmup, procs=1, reports=1, items=args.tp_items,
                window=1)
            tp = empty if args.skip == "throughput" else _phase(
                target, collector_pid=proc.pid, agents=args.tp_agents, procs=args.procs, reports=args.tp_reports,
                items=args.tp_items, window=args.tp_reports)
            cc = empty if args.skip == "concurrency" else _phase(
                target, collector_pid=proc.pid, agents=args.agents, procs=args.procs, reports=args.reports,
                items=args.items, window=1, churn=args.churn == "all")
            paced = empty if args.skip == "concurrency" or not args.pace else _phase(
                target, collector_pid=proc.pid, agents=args.agents, procs=args.procs, reports=args.reports,
                items=args.items, window=1, churn=args.churn == "all",
                pace=args.pace)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=300)
        stored, doubled, short = _check(db, churn=args.churn == "all")
    tp_rows = tp["acked_reports"] * args.tp_items
    bare_s = _bare_duckdb(tp_rows) if tp_rows else float("nan")
    phases = (warm, tp, cc, paced)
    codes: dict[str, int] = {}
    for phase in phases:
        for code, n in phase["codes"].items():
            codes[code] = codes.get(code, 0) + n
    sent = sum(p["sent"] for p in phases)
    acked = sum(p["acked"] for p in phases)
    lost = max(0, acked - stored)  # acked but not in the database
    unacked = sent - acked
    print(f"ingest load on {os.cpu_count()} cores, collector and {args.procs} agent processes on loopback; "
          f"software lists sent as SoftwareItem messages; collector workers = {args.workers}"
          f"{f', duckdb_threads = {args.duckdb_threads}' if args.duckdb_threads else ''}")
    if tp_rows:
        print(f"  throughput: {args.tp_agents} agents x {args.tp_reports} snapshots x {args.tp_items} packages"
              f"{f' (after a warm-up of {args.warmup} snapshots, not counted)' if warm['acked'] else ''}")
        print(f"    netcensus  (gRPC -> validate -> group commit -> ack): {tp_rows:>10,} rows in {tp['wall']:6.2f} s "
              f"= {tp_rows / tp['wall']:>10,.0f} rows/s")
        print(f"    bare DuckDB (one Arrow insert of the same rows):      {tp_rows:>10,} rows in {bare_s:6.2f} s "
              f"= {tp_rows / bare_s:>10,.0f} rows/s")
        print(f"    ratio: {bare_s / tp['wall']:.0%} of a bare insert   (goal: >= 300,000 rows/s)")
        print(f"    CPU while measured: collector {_collector_cpu(tp['collector_cpu'])}, "
              f"agent simulators {tp['agents_cpu']:.2f} s "
              f"(of {os.cpu_count() or 2} x {tp['wall']:.2f} s)")
    churn = "every package new in every report" if args.churn == "all" else "unchanged between reports"
    for phase, title in ((cc, "all at once"), (paced, f"offered at {args.pace:,.0f} reports/s in total")):
        lat = phase["latencies"]
        if not lat:
            continue
        print(f"  concurrency, {title}: {args.agents} concurrent agent streams x {args.reports} reports x "
              f"{args.items} packages ({churn})")
        print(f"    ack latency p50 {_pct(lat, 0.5) * 1000:,.0f} ms, p99 {_pct(lat, 0.99) * 1000:,.0f} ms, "
              f"max {lat[-1] * 1000:,.0f} ms over {len(lat):,} acks in {phase['wall']:.1f} s "
              f"(goal: p99 <= 1,000 ms); mean {statistics.fmean(lat) * 1000:,.0f} ms")
        opened = phase["open_times"]
        print(f"    stream set-up before the clock (open + first heartbeat acked), all {len(opened):,} at once: "
              f"p50 {_pct(opened, 0.5) * 1000:,.0f} ms, p99 {_pct(opened, 0.99) * 1000:,.0f} ms")
        print(f"    CPU while measured: collector {_collector_cpu(phase['collector_cpu'])}, "
              f"agent simulators {phase['agents_cpu']:.2f} s "
              f"(of {os.cpu_count() or 2} x {phase['wall']:.2f} s)")
    print(f"  reports sent {sent:,}, acked {acked:,}, stored {stored:,}: lost {lost:,}, duplicated {doubled:,}, "
          f"short {short:,}; unacked (stream ended, a real agent re-sends from its spool) {unacked:,}, "
          f"stream errors {sum(p['errors'] for p in phases)} {codes}")
    for detail in [d for p in phases for d in (p.get("details") or [])]:
        print(f"    stream error: {detail}")


if __name__ == "__main__":
    main()
