"""`netcensus-agent` — endpoint facts, reports to the collector, network sweeps.

Errors a user can cause end as one line on stderr and exit status 1 (NETCENSUS_DEBUG=1 for
tracebacks). Heavy scanner libraries are imported only by the `scan` and `lab` commands.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

from agent.errors import AgentError, ConfigError, TransportError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(1, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The agent's command line."""
    parser = _Parser(prog="netcensus-agent", description="netcensus endpoint agent and network scanner.")
    parser.add_argument("--log-level", default=os.environ.get("NETCENSUS_LOG_LEVEL", "warning"),
                        choices=["debug", "info", "warning", "error"])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("facts", help="this machine's facts and software (no collector needed)")
    p.add_argument("--format", default="table", choices=["table", "json"], dest="fmt")
    p.add_argument("--root", type=Path, default=Path("/"), help=argparse.SUPPRESS)

    p = sub.add_parser("report", help="send this machine's inventory to the collector")
    p.add_argument("--collector", metavar="HOST:PORT")
    p.add_argument("--once", action="store_true", help="one report, then exit")
    p.add_argument("--config", type=Path, help="TOML file with an [agent] table")
    p.add_argument("--state-dir", type=Path, help="where the node key and sequence live")

    p = sub.add_parser("scan", help="sweep subnets or hosts (ARP, nmap, SNMP)")
    p.add_argument("targets", nargs="*", metavar="CIDR_OR_HOST")
    p.add_argument("--methods", default="arp,nmap,snmp", help="comma-separated: arp,nmap,snmp")
    p.add_argument("--community", action="append", default=[], metavar="C", help="SNMP community (repeatable)")
    p.add_argument("--interface", help="interface for ARP (default: from the route)")
    p.add_argument("--rate", type=int, help="packets per second")
    p.add_argument("--collector", metavar="HOST:PORT")
    p.add_argument("--format", choices=["json"], dest="fmt", help="print observations instead of sending")
    p.add_argument("--config", type=Path, help="TOML file with scheduled sweeps")
    p.add_argument("--once", action="store_true", help="with --config: run every job once, then exit")
    p.add_argument("--state-dir", type=Path)

    p = sub.add_parser("lab", help="build the namespace lab, sweep it, tear it down (root only)")
    p.add_argument("--collector", metavar="HOST:PORT", help="send the sweep to this collector")
    p.add_argument("--methods", default="arp,snmp,nmap")
    p.add_argument("--state-dir", type=Path)
    return parser


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def cmd_facts(args: argparse.Namespace) -> int:
    from agent.facts.collect import collect_inventory

    inv = collect_inventory(args.root)
    if args.fmt == "json":
        print(json.dumps(_plain(inv), indent=2, ensure_ascii=False))
        return 0
    f = inv.facts
    hw = f.hardware
    print(f"host       {f.hostname}" + (f" ({f.fqdn})" if f.fqdn else ""))
    print(f"os         {f.os.name} {f.os.version} · kernel {f.os.kernel} · {f.os.arch}")
    print(f"hardware   {hw.vendor or '?'} {hw.model or ''} · serial {hw.serial or '-'} · uuid {hw.system_uuid or '-'}"
          + (f" · {f.virtualization}" if f.virtualization else ""))
    print(f"cpu        {f.cpu.model} · {f.cpu.cores} cores / {f.cpu.threads} threads · "
          f"{f.memory_bytes / 2**30:.1f} GiB")
    for iface in f.interfaces:
        print(f"interface  {iface.name:<12} {iface.mac or '-':<17}  {', '.join(iface.addresses) or '-'}"
              + ("  (virtual)" if iface.is_virtual else ""))
    by_source: dict[str, int] = {}
    for item in inv.software:
        by_source[item.source] = by_source.get(item.source, 0) + 1
    print("software   " + (", ".join(f"{n} {s}" for s, n in sorted(by_source.items())) or "none found"))
    print(f"neighbours {len(inv.neighbours)}")
    bad = [c for c in inv.collectors if c.state.value not in ("ok", "skipped")]
    for c in bad:
        print(f"warning    collector {c.name} {c.state.value}: {c.reason}")
    return 0


def _state(state_dir: Path | None) -> Any:
    from agent.config import default_state_dir
    from agent.transport.state import NodeState

    directory = state_dir or default_state_dir(os.environ)
    return NodeState.load(directory / "state.json")


def _report_once(config: Any) -> str:
    from netcensus.v1 import report_pb2

    from agent.facts.collect import collect_inventory
    from agent.transport.client import IngestClient
    from agent.transport.encode import encode_snapshot
    from agent.transport.state import NodeState

    inventory = collect_inventory(timeout_s=config.timeout_s, sources=config.sources)
    state = NodeState.load(config.state_dir / "state.json")
    with IngestClient(config.collector, state, kind=report_pb2.SOURCE_KIND_AGENT,
                      enrol_secret=config.enrol_secret) as client:
        client.ensure_enrolled()
        report = encode_snapshot(inventory, source_id=state.source_id, seq=state.take_seq(), now=datetime.now(UTC))
        (ack,) = client.send([report])
    if not (ack.stored or ack.duplicate):
        raise AgentError(f"collector {config.collector} rejected the report: {ack.reason}")
    return (f"reported {inventory.facts.hostname} to {config.collector}: {len(inventory.software)} packages, "
            f"{len(inventory.facts.interfaces)} interfaces, {len(inventory.neighbours)} neighbours "
            f"(source {state.source_id}, report {ack.report_id})")


def cmd_report(args: argparse.Namespace) -> int:
    from agent.config import resolve_agent

    config = resolve_agent(collector=args.collector, config=args.config, state_dir=args.state_dir)
    if args.once:
        print(_report_once(config))
        return 0
    log = logging.getLogger("netcensus.agent")
    while True:
        try:
            log.warning("%s", _report_once(config))
        except TransportError as exc:
            log.warning("%s; retrying at the next interval", exc)
        delay = config.interval_s + random.uniform(0, config.jitter_s)
        time.sleep(delay)


def _sender(target: str, state_dir: Path | None) -> Any:
    """A function that sends one ScanBatch to the collector as a scanner report."""
    from netcensus.v1 import report_pb2

    from agent.transport.client import IngestClient
    from agent.transport.encode import encode_scan

    from agent.config import enrol_secret

    state = _state(state_dir)
    client = IngestClient(target, state, kind=report_pb2.SOURCE_KIND_SCANNER,
                          enrol_secret=enrol_secret(os.environ, None))
    client.ensure_enrolled()
    lock = threading.Lock()

    def send(batch: Any) -> None:
        with lock:
            report = encode_scan(batch, source_id=state.source_id, seq=state.take_seq(), now=datetime.now(UTC))
            (ack,) = client.send([report])
            if not (ack.stored or ack.duplicate):
                raise AgentError(f"collector {target} rejected a scan batch: {ack.reason}")

    return send


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)
    else:
        print(message, file=sys.stderr, flush=True)


def cmd_scan(args: argparse.Namespace) -> int:
    from agent.scan.jsonio import batch_to_dict
    from agent.scan.model import Method
    from agent.scan.options import SweepOptions
    from agent.scan.sweep import sweep

    if bool(args.collector) == bool(args.fmt):
        raise ConfigError("give exactly one of --collector HOST:PORT or --format json")
    if args.config and not args.targets:
        from agent.scan.schedule import load_scan_config, run_schedule

        scan_config = load_scan_config(args.config)
        sink = _sender(args.collector, args.state_dir) if args.collector else (
            lambda batch: print(json.dumps(batch_to_dict(batch)), flush=True))
        run_schedule(scan_config, sink, stop=threading.Event(), once=args.once)
        return 0
    if not args.targets:
        raise ConfigError("name at least one CIDR or host to scan (or --config FILE)")
    try:
        methods = [Method(m.strip()) for m in args.methods.split(",") if m.strip()]
    except ValueError as exc:
        raise ConfigError(f"--methods {args.methods!r}: use a comma list of arp, nmap, snmp") from exc
    kw: dict[str, Any] = {}
    if args.community:
        kw["communities"] = tuple(args.community)
    if args.interface:
        kw["interface"] = args.interface
    if args.rate:
        kw["rate_pps"] = args.rate
    options = SweepOptions(**kw)
    send = _sender(args.collector, args.state_dir) if args.collector else None
    found = 0
    batches: list[dict[str, Any]] = []
    for batch in sweep(args.targets, methods=methods, options=options, progress=_progress):
        found += len(batch.observations)
        if send is not None:
            send(batch)
        else:
            batches.append(batch_to_dict(batch))
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if send is None:
        print(json.dumps(batches, indent=2))
    else:
        print(f"sent {found} observations to {args.collector}")
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from agent.scan.jsonio import batch_from_dict

    if os.geteuid() != 0:
        raise ConfigError("the lab builds network namespaces and needs root")
    send = _sender(args.collector, args.state_dir) if args.collector else None
    proc = subprocess.Popen([sys.executable, "-m", "agent.scan.lab", "--methods", args.methods],
                            stdout=subprocess.PIPE, text=True)
    found = 0
    assert proc.stdout is not None
    for line in _lines(proc.stdout):
        batch = batch_from_dict(json.loads(line))
        found += len(batch.observations)
        if send is not None:
            send(batch)
        else:
            print(line, flush=True)
    if proc.wait() != 0:
        raise AgentError(f"lab sweep failed (exit {proc.returncode})")
    if send is not None:
        print(f"lab sweep: sent {found} observations to {args.collector}")
    return 0


def _lines(stream: Iterable[str]) -> Iterable[str]:
    return (line for line in stream if line.startswith("{"))


COMMANDS = {"facts": cmd_facts, "report": cmd_report, "scan": cmd_scan, "lab": cmd_lab}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `netcensus-agent` console script."""
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # we report transport errors ourselves, in one line
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](args)
    except AgentError as exc:
        print(f"netcensus-agent: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("netcensus-agent: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("NETCENSUS_DEBUG"):
            raise
        print(f"netcensus-agent: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
              " (set NETCENSUS_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
