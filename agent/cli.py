"""`netcensus-agent` — endpoint facts, reports to the collector, network sweeps.

Errors a user can cause end as one line on stderr and exit status 1 (NETCENSUS_DEBUG=1 for
tracebacks). Heavy scanner libraries are imported only by the `scan` and `lab` commands.
"""

from __future__ import annotations

import argparse
import enum
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from agent.config import LOG_LEVELS, AgentEnv, Security, quiet_grpc, resolve_agent, resolve_security
from agent.errors import AgentError, ConfigError
from agent.escaping import EscapingFormatter, escape_text, json_safe

if TYPE_CHECKING:
    from agent.facts.model import Record
    from agent.scan.model import ScanBatch
    from agent.transport.scans import ScanSender


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(1, f"{self.prog}: {message} (see --help)\n")


def build_parser(env: AgentEnv) -> argparse.ArgumentParser:
    """The agent's command line; `env` supplies the defaults the environment sets."""
    parser = _Parser(prog="netcensus-agent", description="netcensus endpoint agent and network scanner.")
    parser.add_argument("--log-level", default=env.log_level,
                        choices=LOG_LEVELS)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("facts", help="this machine's facts and software (no collector needed)")
    p.add_argument("--format", default="table", choices=["table", "json"], dest="fmt")
    p.add_argument("--root", type=Path, default=Path("/"), help=argparse.SUPPRESS)

    p = sub.add_parser("report", help="send this machine's inventory to the collector")
    p.add_argument("--collector", metavar="HOST:PORT")
    p.add_argument("--once", action="store_true", help="one report, then exit")
    p.add_argument("--config", type=Path, help="TOML file with an [agent] table")
    p.add_argument("--state-dir", type=Path, help="where the node key, sequence and spool live")
    _add_security(p)

    p = sub.add_parser("status", help="identity, spool depth and delivery counters")
    p.add_argument("--state-dir", type=Path, help="where the node key, sequence and spool live")
    p.add_argument("--format", default="table", choices=["table", "json"], dest="fmt")

    p = sub.add_parser("scan", help="sweep subnets or hosts (ARP, nmap, SNMP)")
    p.add_argument("targets", nargs="*", metavar="CIDR_OR_HOST")
    from agent.scan.registry import SCANNERS, methods_help  # names only: imports no scanner library

    p.add_argument("--methods", default=",".join(m.value for m in SCANNERS), help=methods_help())
    p.add_argument("--community", action="append", default=[], metavar="C",
                   help="refused: a community on the command line is visible to every local user; "
                        "use --snmp-credentials or NETCENSUS_SNMP_COMMUNITIES")
    p.add_argument("--snmp-credentials", type=Path, metavar="FILE",
                   help="TOML file (mode 0600) with SNMP communities and v3 users (default: "
                        "NETCENSUS_SNMP_CREDENTIALS, else NETCENSUS_SNMP_COMMUNITIES / NETCENSUS_SNMP_V3_*, "
                        "else community 'public')")
    p.add_argument("--interface", help="interface for ARP (default: from the route)")
    p.add_argument("--rate", type=int, help="packets per second")
    p.add_argument("--snmp-depth", metavar="{inventory,discovery}",
                   help="SNMP per device: 'inventory' (default) reads everything -- interfaces, addresses, "
                        "ARP/FDB tables, chassis, software, LLDP neighbours; 'discovery' is a quick identity "
                        "pass -- system group, interfaces, addresses, chassis serial/model -- "
                        "enough for vendor and device type (with --config: snmp_depth in the file)")
    p.add_argument("--max-addresses-per-mac", type=int, metavar="N",
                   help="a MAC answering ARP for more than N addresses of the sweep (proxy ARP, a gateway) "
                        "binds none of them to what answered SNMP/nmap there (default 8)")
    p.add_argument("--collector", metavar="HOST:PORT")
    p.add_argument("--format", choices=["json"], dest="fmt", help="print observations instead of sending")
    p.add_argument("--config", type=Path, help="TOML file with scheduled sweeps")
    p.add_argument("--once", action="store_true", help="with --config: run every job once, then exit")
    p.add_argument("--state-dir", type=Path)
    _add_security(p)

    p = sub.add_parser("identity-objects", help="regenerate the registry of vendor MIB objects that hold serial, "
                                               "model and firmware (from vendor MIBs; needs pysmi)")
    p.add_argument("--mibs", type=Path, required=True, metavar="DIR",
                   help="a folder of MIB files, searched recursively (e.g. a checkout of netdisco-mibs)")
    p.add_argument("--fallback-mibs", type=Path, metavar="DIR",
                   help="a folder of MIB files read only for the modules --mibs lacks (a larger, older "
                        "collection, such as the pysnmp project's)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="where to write the registry (identity_objects.tsv.gz; the shipped one lives in "
                        "agent/scan/snmp/mib/registry/)")
    p.add_argument("--source", default="", metavar="TEXT",
                   help="what the header names as the source, e.g. the collection's version and commit")

    p = sub.add_parser("enterprises", help="write the IANA enterprise-number registry the scanner reads "
                                          "(from IANA's enterprise-numbers file)")
    p.add_argument("--from", dest="source", type=Path, required=True, metavar="FILE",
                   help="IANA's enterprise-numbers text file (or a registry in our TSV format)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="where to write the registry; point NETCENSUS_ENTERPRISES at it")

    p = sub.add_parser("products", help="regenerate the product registry (sysObjectID -> product) from vendor "
                                       "MIBs (needs pysmi)")
    p.add_argument("--mibs", type=Path, required=True, metavar="DIR",
                   help="a folder of MIB files, searched recursively (e.g. a checkout of netdisco-mibs)")
    p.add_argument("--fallback-mibs", type=Path, metavar="DIR",
                   help="a folder of MIB files read only for the modules --mibs lacks (a larger, older "
                        "collection, such as the pysnmp project's)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="where to write the registry (products.tsv.gz; the shipped one lives in "
                        "agent/scan/classify/registry/)")
    p.add_argument("--source", default="", metavar="TEXT",
                   help="what the header names as the source, e.g. the collection's version and commit")

    p = sub.add_parser("lab", help="build the namespace lab, sweep it, tear it down (root only)")
    p.add_argument("--collector", metavar="HOST:PORT", help="send the sweep to this collector")
    p.add_argument("--methods", default="arp,snmp,nmap")
    p.add_argument("--state-dir", type=Path)
    _add_security(p)
    return parser


def _add_security(p: argparse.ArgumentParser) -> None:
    """TLS flags shared by every command that talks to the collector."""
    p.add_argument("--ca", type=Path, metavar="FILE", help="CA certificate that signed the collector's (enables TLS)")
    p.add_argument("--cert", type=Path, metavar="FILE", help="client certificate for mutual TLS")
    p.add_argument("--key", type=Path, metavar="FILE", help="private key of --cert")
    p.add_argument("--tls", action="store_true", help="TLS with the system's CA roots")
    p.add_argument("--server-name", metavar="NAME", help="name expected in the collector's certificate")
    p.add_argument("--plaintext", "--insecure", action="store_true", dest="plaintext",
                   help="allow plaintext to a collector that is not on loopback")


def _write_json(value: object, pad: str, out: list[str], record: type[Record]) -> None:
    """Append `value` to `out` exactly as json.dumps(indent=2, ensure_ascii=False) spells it.

    Records become objects of their fields in order, datetimes ISO 8601 UTC strings ("...Z"),
    enums their values. Written by hand because json's indenting encoder is its pure-Python one,
    and it plus a first pass turning the inventory into dicts were a tenth of a `facts` run.
    """
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None or value is True or value is False:
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int) and not isinstance(value, enum.Enum):
        out.append(int.__repr__(value))
    elif isinstance(value, record):
        _write_object([(name, getattr(value, name)) for name in value.__slots__], pad, out, record)
    elif isinstance(value, dict):
        _write_object(list(value.items()), pad, out, record)
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = pad + "  "
        out.append("[")
        for i, item in enumerate(value):
            out.append(("\n" if i == 0 else ",\n") + inner)
            _write_json(item, inner, out, record)
        out.append("\n" + pad + "]")
    elif isinstance(value, datetime):
        out.append(encode_basestring(value.astimezone(UTC).isoformat().replace("+00:00", "Z")))
    elif isinstance(value, date):
        out.append(encode_basestring(value.isoformat()))
    elif isinstance(value, enum.Enum):
        _write_json(value.value, pad, out, record)
    else:
        out.append(json.dumps(value))  # floats (repr, NaN, Infinity); anything else raises TypeError as before


def _write_object(pairs: list[tuple[str, object]], pad: str, out: list[str], record: type[Record]) -> None:
    if not pairs:
        out.append("{}")
        return
    inner = pad + "  "
    out.append("{")
    for i, (key, item) in enumerate(pairs):
        out.append(("\n" if i == 0 else ",\n") + inner + encode_basestring(key) + ": ")
        _write_json(item, inner, out, record)
    out.append("\n" + pad + "}")


def _say(line: str) -> None:
    """Print one line of a human summary: host, package and device names are not ours (agent.escaping)."""
    print(escape_text(line))


def cmd_facts(args: argparse.Namespace, env: AgentEnv) -> int:
    from agent.facts.collect import collect_inventory
    from agent.facts.model import Record

    inv = collect_inventory(args.root)
    if args.fmt == "json":
        out: list[str] = []
        _write_json(inv, "", out, Record)
        print(json_safe("".join(out)))
        return 0
    f = inv.facts
    hw = f.hardware
    _say(f"host       {f.hostname}" + (f" ({f.fqdn})" if f.fqdn else ""))
    _say(f"os         {f.os.name} {f.os.version} · kernel {f.os.kernel} · {f.os.arch}")
    _say(f"hardware   {hw.vendor or '?'} {hw.model or ''} · serial {hw.serial or '-'} · uuid {hw.system_uuid or '-'}"
          + (f" · {f.virtualization}" if f.virtualization else ""))
    _say(f"cpu        {f.cpu.model} · {f.cpu.cores} cores / {f.cpu.threads} threads · "
          f"{f.memory_bytes / 2**30:.1f} GiB")
    for iface in f.interfaces:
        _say(f"interface  {iface.name:<12} {iface.mac or '-':<17}  {', '.join(iface.addresses) or '-'}"
              + ("  (virtual)" if iface.is_virtual else ""))
    by_source: dict[str, int] = {}
    for item in inv.software:
        by_source[item.source] = by_source.get(item.source, 0) + 1
    _say("software   " + (", ".join(f"{n} {s}" for s, n in sorted(by_source.items())) or "none found"))
    _say(f"neighbours {len(inv.neighbours)}")
    sec = f.security
    _say(f"timezone   {f.timezone or '-'} · users {', '.join(sorted({u.name for u in f.users})) or 'none'}")
    _say("protection " + (", ".join(e.product + ("" if e.running else " (not running)")
                                      for e in sec.endpoint_protection) or "none found"))
    _say("firewall   " + (", ".join(f"{fw.name} {'active' if fw.active else 'inactive'}" for fw in sec.firewalls)
                           or "none found"))
    _say(f"encryption root {'encrypted' if sec.disk_encryption.root_encrypted else 'not encrypted'}"
          f" · {len(sec.disk_encryption.volumes)} encrypted volume(s)")
    _say(f"listening  {len(sec.listening)} socket(s) · pending security updates {len(sec.pending_security_updates)}")
    bad = [c for c in inv.collectors if c.state.value not in ("ok", "skipped")]
    for c in bad:
        _say(f"warning    collector {c.name} {c.state.value}: {c.reason}")
    return 0


def _security(args: argparse.Namespace, env: AgentEnv) -> Security:
    return resolve_security(ca=args.ca, cert=args.cert, key=args.key, plaintext=args.plaintext, tls=args.tls,
                            server_name=args.server_name, env=env)


def cmd_report(args: argparse.Namespace, env: AgentEnv) -> int:
    from agent.report import report_once, run_reports

    config = resolve_agent(collector=args.collector, config=args.config, state_dir=args.state_dir, env=env,
                           ca=args.ca, cert=args.cert, key=args.key, plaintext=args.plaintext, tls=args.tls,
                           server_name=args.server_name)
    if args.once:
        _say(report_once(config).summary())
        return 0
    run_reports(config, _stop_on_signals())
    return 0


def _stop_on_signals() -> threading.Event:
    """An event SIGTERM and SIGINT set, so the daemon finishes its cycle and exits cleanly."""
    import signal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def cmd_status(args: argparse.Namespace, env: AgentEnv) -> int:
    from agent.transport.scans import scanner_state_dir

    directory = args.state_dir or env.state_dir
    status = _node_status(directory)
    scanner = scanner_state_dir(directory)
    if scanner != directory and (scanner / "state.json").exists():
        status["scanner"] = _node_status(scanner)  # `scan --collector` is a source of its own
    if args.fmt == "json":
        print(json_safe(json.dumps(status, indent=2, ensure_ascii=False)))
    else:
        _print_status(status, "")
    return 0


def _node_status(directory: Path) -> dict[str, Any]:
    """Identity, spool, counters and the last delivery outcomes of the agent or scanner in `directory`."""
    from agent.transport.spool import Spool
    from agent.transport.state import NodeState

    state = NodeState.load(directory / "state.json")
    with Spool(directory / "spool.sqlite") as spool:
        stats = spool.stats()
    success, error = stats.outcomes.get("success"), stats.outcomes.get("error")
    return {"source_id": state.source_id or None, "collector": state.collector or None,
            "enrolled": bool(state.node_key), "next_seq": state.next_seq, "spool_depth": stats.depth,
            "spool_bytes": stats.bytes, **stats.counters,
            "last_success": _utc(success.at) if success else None,
            "last_success_detail": success.detail if success else None,
            "last_error": error.detail if error else None,
            "last_error_at": _utc(error.at) if error else None}


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _print_status(status: dict[str, Any], indent: str) -> None:
    for name, value in status.items():
        if isinstance(value, dict):
            _say(f"{indent}{name}:")
            _print_status(value, indent + "  ")
        else:
            _say(f"{indent}{name:<20} {'-' if value is None else value}")


def _sender(args: argparse.Namespace, env: AgentEnv) -> ScanSender:
    """A callable that spools and sends one ScanBatch as a scanner report."""
    from agent.transport.scans import ScanSender

    return ScanSender(args.collector, args.state_dir or env.state_dir, secret=env.enrol_secret,
                      security=_security(args, env))


def _progress(message: str) -> None:
    if sys.stderr.isatty():
        # The only control sequence we write on purpose: back to the line start, erase it.
        print(f"\r\033[K{escape_text(message)}", end="", file=sys.stderr, flush=True)
    else:
        print(escape_text(message), file=sys.stderr, flush=True)


class _Tally:
    """What the sweeps of `scan --config --once` found, for its closing line."""

    def __init__(self) -> None:
        self.observations = 0
        self.targets = 0
        self.failed = 0

    def add(self, batch: ScanBatch) -> None:
        self.observations += len(batch.observations)
        if batch.complete:
            self.targets += len(batch.targets)
        self.failed += sum(1 for st in batch.statuses if not st.ok)


def cmd_scan(args: argparse.Namespace, env: AgentEnv) -> int:
    from agent.scan.jsonio import batch_to_dict
    from agent.scan.options import SweepOptions
    from agent.scan.registry import parse_methods
    from agent.scan.secrets import resolve_secrets
    from agent.scan.sweep import sweep

    if args.community:
        # Refused rather than accepted with a warning: by the time a warning is read the community has
        # been in ps and /proc/PID/cmdline for every local user (issue #14).
        raise ConfigError("--community puts an SNMP secret on the command line, visible to every local user; "
                          "put communities in a file only you can read (chmod 600) given with --snmp-credentials "
                          "FILE, or in NETCENSUS_SNMP_COMMUNITIES")
    if bool(args.collector) == bool(args.fmt):
        raise ConfigError("give exactly one of --collector HOST:PORT or --format json")
    if args.config and args.snmp_credentials:
        raise ConfigError("--snmp-credentials applies to targets named on the command line; with --config name "
                          "each credential's file or variable in the [[credential]] tables")
    if args.config and not args.targets:
        from agent.scan.schedule import load_scan_config, run_schedule

        if args.snmp_depth is not None:
            raise ConfigError("--snmp-depth applies to targets named on the command line; with --config set "
                              "snmp_depth in the file ([defaults] or a [[job]])")

        scan_config = load_scan_config(args.config)
        sender = _sender(args, env) if args.collector else None
        deliver = sender if sender is not None else (lambda batch: print(json.dumps(batch_to_dict(batch)), flush=True))
        tally = _Tally()

        def sink(batch: ScanBatch) -> None:
            tally.add(batch)
            deliver(batch)

        # A person running the jobs once sees each sweep's progress; a scheduled scanner logs it at debug.
        failed_jobs = run_schedule(scan_config, sink, stop=threading.Event(), once=args.once,
                                   progress=_progress if args.once else None,
                                   on_failure=sender.note_failure if sender is not None else None)
        if args.once and sys.stderr.isatty():
            print(file=sys.stderr)
        if sender is not None:
            sender.finish()
        if args.once:
            names = [job.name for job in scan_config.jobs]
            line = (f"scan --once: {len(names)} job(s) ({', '.join(names)}): {tally.observations} observations from "
                    f"{tally.targets} target(s)" + (f", {tally.failed} target(s) failed" if tally.failed else "")
                    + (f"; sent to {args.collector}" if args.collector else "")
                    + (f"; job(s) failed: {', '.join(failed_jobs)} (see above)" if failed_jobs else ""))
            print(escape_text(line), file=sys.stderr if sender is None else sys.stdout)
        return 0
    if not args.targets:
        raise ConfigError("name at least one CIDR or host to scan (or --config FILE)")
    try:
        methods = parse_methods(m.strip() for m in args.methods.split(",") if m.strip())
    except ConfigError as exc:
        raise ConfigError(f"--methods {args.methods!r}: {exc}") from exc
    kw: dict[str, Any] = {}
    secrets = resolve_secrets(args.snmp_credentials, env)
    if secrets is not None:
        kw["communities"] = secrets.communities
        kw["v3_users"] = secrets.v3_users
    if args.interface:
        kw["interface"] = args.interface
    if args.rate:
        kw["rate_pps"] = args.rate
    if args.max_addresses_per_mac is not None:
        kw["max_addresses_per_mac"] = args.max_addresses_per_mac
    if args.snmp_depth is not None:
        from agent.scan.options import SNMP_DEPTHS

        if args.snmp_depth not in SNMP_DEPTHS:
            raise ConfigError(f"--snmp-depth {args.snmp_depth!r}: use inventory (everything) or discovery "
                              "(identity only)")
        kw["snmp_depth"] = args.snmp_depth
    options = SweepOptions(**kw)
    send = _sender(args, env) if args.collector else None
    found = 0
    observations: list[dict[str, Any]] = []
    failed: list[str] = []
    for batch in sweep(args.targets, methods=methods, options=options, progress=_progress):
        found += len(batch.observations)
        failed += [f"{st.target} ({st.method.value}): {st.reason}" for st in batch.statuses if not st.ok]
        # Special addresses are never probed; say so (how many, why, a few of them) with the failures.
        failed += [f"skipped {sk.count} {sk.reason} address{'es' if sk.count != 1 else ''} "
                   f"({', '.join(sk.examples)}{', ...' if sk.count > len(sk.examples) else ''}): never a device"
                   for sk in batch.skipped]
        if send is not None:
            send(batch)
        else:
            observations.extend(batch_to_dict(batch)["observations"])
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for line in failed:
        print(escape_text(f"netcensus-agent: scan: {line}"), file=sys.stderr)
    if send is None:
        # One JSON array of observations (ip, mac, method, seen_at, vendor, device_type, snmp, ...).
        print(json.dumps(observations, indent=2))  # ensure_ascii: every non-ASCII character is \uXXXX
    else:
        send.finish()
        print(f"sent {found} observations to {args.collector}")
    return 0


def cmd_lab(args: argparse.Namespace, env: AgentEnv) -> int:
    import subprocess

    from agent.scan.jsonio import batch_from_dict

    if os.geteuid() != 0:
        raise ConfigError("the lab builds network namespaces and needs root")
    send = _sender(args, env) if args.collector else None
    proc = subprocess.Popen([sys.executable, "-m", "agent.lab.namespaces", "--methods", args.methods],
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
        send.finish()
        print(f"lab sweep: sent {found} observations to {args.collector}")
    return 0


def _lines(stream: Iterable[str]) -> Iterable[str]:
    return (line for line in stream if line.startswith("{"))


def cmd_identity_objects(args: argparse.Namespace, env: AgentEnv) -> int:
    """Compile a folder of vendor MIBs into the identity-objects registry the scanner reads (see README)."""
    from agent.scan.mib_build import BuildError
    from agent.scan.snmp import identity_mibs

    try:
        count = identity_mibs.build(args.mibs, args.out, source=args.source, fallback=args.fallback_mibs)
    except BuildError as exc:
        raise AgentError(str(exc)) from exc
    print(f"identity-objects: wrote {count} serial/model/firmware objects to {args.out}")
    return 0


def cmd_enterprises(args: argparse.Namespace, env: AgentEnv) -> int:
    """Convert IANA's enterprise-numbers file into the registry file the scanner reads (see README)."""
    from agent.scan.classify import enterprises

    try:
        count = enterprises.write_registry(args.source, args.out)
    except enterprises.RegistryError as exc:
        raise AgentError(str(exc)) from exc
    print(f"enterprises: wrote {count} enterprise numbers to {args.out}")
    return 0


def cmd_products(args: argparse.Namespace, env: AgentEnv) -> int:
    """Compile a folder of vendor MIBs into the product registry the scanner reads (see README)."""
    from agent.scan.classify import product_mibs
    from agent.scan.mib_build import BuildError

    try:
        count = product_mibs.build(args.mibs, args.out, source=args.source, fallback=args.fallback_mibs)
    except BuildError as exc:
        raise AgentError(str(exc)) from exc
    print(f"products: wrote {count} product OIDs to {args.out}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, AgentEnv], int]] = {
    "identity-objects": cmd_identity_objects,
    "facts": cmd_facts, "report": cmd_report, "status": cmd_status, "scan": cmd_scan, "lab": cmd_lab,
    "enterprises": cmd_enterprises, "products": cmd_products}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `netcensus-agent` console script."""
    quiet_grpc()
    try:
        env = AgentEnv.read()
    except ConfigError as exc:
        print(f"netcensus-agent: {escape_text(str(exc))}", file=sys.stderr)
        return 1
    args = build_parser(env).parse_args(argv)
    if env.enterprises is not None:  # read lazily, on the first device that needs it
        if not env.enterprises.is_file():
            print(f"netcensus-agent: NETCENSUS_ENTERPRISES={escape_text(str(env.enterprises))}: no such file "
                  "(see `netcensus-agent enterprises --help`)", file=sys.stderr)
            return 1
        from agent.scan.classify import enterprises

        enterprises.use_file(env.enterprises)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EscapingFormatter())
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler])
    try:
        return COMMANDS[args.command](args, env)
    except AgentError as exc:
        print(f"netcensus-agent: {escape_text(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("netcensus-agent: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if env.debug:
            raise
        print(f"netcensus-agent: internal error: {type(exc).__name__}: "
              f"{escape_text(str(exc).splitlines()[0]) if str(exc) else ''}"
              " (set NETCENSUS_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
