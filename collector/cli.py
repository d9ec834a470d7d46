"""`netcensus` — the collector and the commands people use to query it.

Every failure a user can cause (bad file, bad row, unreachable collector, port in use, a database
held by a running collector) ends as one line on stderr and exit status 1; no tracebacks unless
NETCENSUS_DEBUG=1.

Heavy modules (the store with duckdb and pyarrow, the inventory core, the rules, the servicers)
are imported inside the commands that use them: a `--collector HOST:PORT` command loads only
the gRPC client (tests/collector/test_light_client.py keeps it so).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from collector.config import (
    DEFAULT_GHOST_AFTER,
    default_rules_dir,
    parse_duration,
    parse_listen,
    resolve_client_token,
    resolve_serve,
)
from collector.domain.asset_filter import AssetFilter
from collector.domain.findings import SEVERITY_ORDER, FindingRow
from collector.errors import NetcensusError, QueryError, UsageError
from collector.escaping import escape_text
from collector.output import FORMATS, Progress, emit
from collector.pages import SOFTWARE_SHOWN
from collector.vulns.commands import add_vulns_parser, cmd_vulns

if TYPE_CHECKING:
    from collector.client import CollectorClient
    from collector.domain.decisions import Decision
    from collector.domain.model import StatusClass
    from collector.inventory.refresh import Snapshot
    from collector.rules.bridge import SoftwareRules
    from collector.store.duckdb import Store

FINDING_KINDS = ("ghost", "zombie", "mismatch", "possible-duplicate", "identity-conflict", "unauthorised-software",
                 "missing-software", "licence", "unpatched", "disk-unencrypted", "firewall-off",
                 "endpoint-protection-missing", "remote-access-port-open", "vulnerable-software")
# Earlier releases called possible duplicates 'duplicate': --kind duplicate still selects them.
KIND_ALIASES = {"duplicate": "possible-duplicate"}
FINDING_COLUMNS = (
    "kind", "severity", "asset_id", "hostname", "ip", "mac", "serial", "asset_tag", "status", "rule_id",
    "software_name", "software_version", "first_seen", "last_seen", "evidence", "summary", "finding_id",
    "status_class", "opened_at", "resolved_at", "suppressed", "suppression", "first_seen_installed",
)
FINDING_TABLE = (("severity", "SEVERITY"), ("kind", "KIND"), ("hostname", "HOST"), ("ip", "IP"),
                 ("asset_tag", "TAG"), ("status", "RECORDED"), ("summary", "SUMMARY"))
ASSET_COLUMNS = ("asset_id", "hostnames", "ips", "macs", "vendor", "serial", "model", "device_type", "os",
                 "firmware", "first_seen", "last_seen", "sources", "asset_tag", "status", "matched_by", "system_uuid",
                 "random_mac")
# Most telling first: a narrow terminal hides columns from the right (collector.output.to_table).
ASSET_TABLE = (("asset_id", "ASSET"), ("hostnames", "HOST"), ("ips", "IP"), ("device_type", "TYPE"),
               ("vendor", "VENDOR"), ("asset_tag", "TAG"), ("status", "RECORDED"), ("last_seen", "LAST SEEN"),
               ("macs", "MAC"), ("os", "OS"), ("firmware", "FIRMWARE"), ("random_mac", "RANDOM MAC"))


class _Parser(argparse.ArgumentParser):
    """argparse that exits 1 with one line, per the command-line contract."""

    def error(self, message: str) -> NoReturn:
        self.exit(1, f"{self.prog}: {message} (see --help)\n")

    def format_help(self) -> str:
        """The help; a parser with an `epilog_from` builds its epilog now, not when every command starts."""
        build = getattr(self, "epilog_from", None)
        if build is not None and self.epilog is None:
            self.epilog = build()
        return super().format_help()


def _packed(items: Sequence[str], indent: str, width: int) -> list[str]:
    """Items joined by ', ' into lines of at most `width` characters, never breaking inside an item."""
    lines: list[str] = []
    line = ""
    for item in items:
        if line and len(indent) + len(line) + len(item) + 2 > width:
            lines.append(indent + line + ",")
            line = ""
        line = f"{line}, {item}" if line else item
    return [*lines, indent + line] if line else lines


def _sql_type(duckdb_type: str) -> str:
    """A column type as people write it in SQL: lower case, and the time zone type by its short name."""
    return duckdb_type.lower().replace("timestamp with time zone", "timestamptz")


def _sql_relations() -> str:
    """The relations `sql` reads, with their columns: from the schema itself (collector/store/catalogue.py)."""
    from collector.store.catalogue import documented_relations

    documented, others = documented_relations()
    lines = ["relations (from the schema; see README, \"SQL views\"):"]
    for name, comment, columns in documented:
        lines.append(f"  {name} — {comment}")
        lines.extend(_packed([f"{c} {_sql_type(t)}" for c, t in columns], "      ", 100))
    if others:
        lines.extend(textwrap.wrap("internal (may change between versions): " + ", ".join(others), 100,
                                   initial_indent="  ", subsequent_indent="    "))
    return "\n".join(lines)


def _target(args: argparse.Namespace) -> None:
    if bool(args.db) == bool(args.collector):
        raise UsageError("give exactly one of --db FILE or --collector HOST:PORT")


def _add_target(p: argparse.ArgumentParser, *, db: bool = True) -> None:
    if db:
        p.add_argument("--db", type=Path, help="DuckDB file (opened directly)")
    p.add_argument("--collector", metavar="HOST:PORT", help="ask a running collector over gRPC")
    p.add_argument("--ca", type=Path, metavar="FILE", help="with --collector: CA of the collector's certificate (TLS)")
    p.add_argument("--cert", type=Path, metavar="FILE", help="with --collector: client certificate (mutual TLS)")
    p.add_argument("--key", type=Path, metavar="FILE", help="with --collector: key of --cert")
    p.add_argument("--token-file", type=Path, metavar="FILE",
                   help="with --collector: file holding the API token (default: $NETCENSUS_TOKEN)")
    # Declared only to refuse it: a token in argv is readable by every user in the process list
    # (and without this, argparse would take --token as an abbreviation of --token-file).
    p.add_argument("--token", dest="token_in_argv", help=argparse.SUPPRESS)


def _client(args: argparse.Namespace) -> CollectorClient:
    from collector.client import CollectorClient

    if getattr(args, "token_in_argv", None) is not None:
        raise UsageError("--token: a token on the command line is visible to every user of this machine; "
                         "use NETCENSUS_TOKEN or --token-file FILE")
    return CollectorClient(args.collector, ca=args.ca, cert=args.cert, key=args.key,
                           token=resolve_client_token(args.token_file))


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = _Parser(prog="netcensus", description="netcensus collector: inventory, ghosts, zombies, findings.")
    parser.add_argument("--log-level", default=os.environ.get("NETCENSUS_LOG_LEVEL"),
                        choices=["debug", "info", "warning", "error"])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("serve", help="run the collector (gRPC ingest, query and admin services)")
    p.add_argument("--db", help="DuckDB file; created if missing")
    p.add_argument("--listen", metavar="HOST:PORT", help="default 127.0.0.1:50051")
    p.add_argument("--rules", action="append", metavar="DIR", help="rule pack directory (repeatable)")
    p.add_argument("--ghost-after", metavar="DURATION", help="default 14d")
    p.add_argument("--config", type=Path, help="TOML file with a [collector] table")
    p.add_argument("--tls-cert", type=Path, metavar="FILE", help="server certificate (PEM); enables TLS")
    p.add_argument("--tls-key", type=Path, metavar="FILE", help="private key of --tls-cert")
    p.add_argument("--tls-client-ca", type=Path, metavar="FILE",
                   help="require client certificates signed by this CA (mutual TLS)")
    p.add_argument("--plaintext", "--insecure", action="store_true", dest="plaintext",
                   help="allow plaintext on a non-loopback address (logged as a warning)")
    p.add_argument("--open-enrolment", action="store_true",
                   help="serve without an enrolment secret: any node may enrol (logged as a warning)")
    p.add_argument("--metrics", metavar="HOST:PORT", dest="metrics_listen",
                   help="serve Prometheus metrics at http://HOST:PORT/metrics")
    p.add_argument("--log-format", choices=["text", "json"], default=None,
                   help="json: one JSON object per log line (default text)")
    p.add_argument("--workers", metavar="N",
                   help="gRPC front-end processes sharing the port (authenticate and decode reports; this "
                        "process keeps the database): a number, or auto for one per core (default 1: one process)")
    p.add_argument("--ui", metavar="HOST:PORT", dest="ui_listen",
                   help="serve the web dashboard here too (TLS with --tls-cert off loopback; default off)")

    p = sub.add_parser("ui", help="a read-only web dashboard over a database file no collector is serving")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8080", help="default 127.0.0.1:8080")
    p.add_argument("--tls-cert", type=Path, metavar="FILE", help="certificate (PEM); required off loopback")
    p.add_argument("--tls-key", type=Path, metavar="FILE", help="private key of --tls-cert")

    p = sub.add_parser("users", help="dashboard users (log in with a password; roles reader, admin)")
    usub = p.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
    c = usub.add_parser("add", help="create a user; the password is read from the terminal or stdin, never argv")
    c.add_argument("name")
    c.add_argument("--role", required=True, choices=("reader", "admin"))
    c.add_argument("--db", type=Path, required=True, help="the collector's database (collector stopped)")
    c = usub.add_parser("passwd", help="set a user's password (read from the terminal or stdin)")
    c.add_argument("name")
    c.add_argument("--db", type=Path, required=True)
    c = usub.add_parser("disable", help="disable a user; their sessions end at the next restart")
    c.add_argument("name")
    c.add_argument("--db", type=Path, required=True)
    c = usub.add_parser("list", help="every user: name, role, created, disabled")
    c.add_argument("--db", type=Path, required=True)

    p = sub.add_parser("certs", help="create a CA and certificates for TLS (tests and small deployments)")
    csub = p.add_subparsers(dest="certs_command", required=True, parser_class=_Parser)
    c = csub.add_parser("ca", help="create DIR/ca.pem and DIR/ca-key.pem (kept if present)")
    c.add_argument("--dir", type=Path, required=True)
    c = csub.add_parser("server", help="server certificate DIR/NAME.pem for the collector")
    c.add_argument("--dir", type=Path, required=True)
    c.add_argument("--name", default="server")
    c.add_argument("--host", action="append", default=[], metavar="NAME_OR_IP",
                   help="host name or address agents dial (repeatable; localhost and 127.0.0.1 always included)")
    c = csub.add_parser("client", help="client certificate DIR/NAME.pem for mutual TLS")
    c.add_argument("--dir", type=Path, required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--kind", choices=("agent", "scanner", "user"), default="agent",
                   help="who it is for (default agent); Query and Admin accept only a user certificate whose "
                        "name is the API token's name")

    p = sub.add_parser("tokens", help="named API tokens for Query (reader) and Admin (admin)")
    tsub = p.add_subparsers(dest="tokens_command", required=True, parser_class=_Parser)
    c = tsub.add_parser("create", help="create a token; it is printed once and stored only as a hash")
    c.add_argument("name", help="the person or integration it is for, e.g. alice, siem-export")
    c.add_argument("--role", required=True, choices=("reader", "admin"))
    _add_target(c)
    c = tsub.add_parser("list", help="every token: name, role, created, last used, revoked")
    _add_target(c)
    c.add_argument("--format", default="table", choices=FORMATS, dest="fmt")
    c.add_argument("--output", type=Path)
    c = tsub.add_parser("revoke", help="revoke a token; it stops working at once")
    c.add_argument("name")
    _add_target(c)

    p = sub.add_parser("audit", help="the audit log: who read, imported, revoked or changed what")
    _add_target(p)
    p.add_argument("--limit", type=int, default=1000, help="newest N entries (default 1000)")
    p.add_argument("--format", default="table", choices=FORMATS, dest="fmt")
    p.add_argument("--output", type=Path)

    p = sub.add_parser("sources", help="enrolled agents and scanners")
    ssub = p.add_subparsers(dest="sources_command", required=True, parser_class=_Parser)
    c = ssub.add_parser("list", help="every enrolled source, with the spool backlog and last error it last reported")
    _add_target(c)
    c.add_argument("--format", default="table", choices=FORMATS, dest="fmt")
    c.add_argument("--output", type=Path)
    c = ssub.add_parser("revoke", help="revoke a source's node key (it cannot enrol again under that id)")
    c.add_argument("source_id")
    _add_target(c)
    c = ssub.add_parser("approve", help="let an enrolled source re-enrol once without its node key "
                        "(a reinstalled machine); the approval expires (enrol_approval_ttl)")
    c.add_argument("source_id")
    _add_target(c, db=False)

    p = sub.add_parser("import", help="import the asset register (atomic; re-importing changes nothing)")
    p.add_argument("file", type=Path)
    from collector.register.registry import format_help, format_names

    # No argparse choices: the registry also takes aliases and any case, and names the formats itself.
    p.add_argument("--format", required=True, dest="fmt", metavar="{" + ",".join(format_names()) + "}",
                   help=format_help().replace("%", "%%"))
    p.add_argument("--mapping", type=Path, help="column mapping (YAML/JSON) for csv/json")
    p.add_argument("--status-map", action="append", default=[], metavar="LABEL=CLASS",
                   help="map a status label to in-use | in-stock | retired | lost (repeatable)")
    p.add_argument("--register", help="register name this file replaces (default: the format)")
    _add_target(p)

    p = sub.add_parser("findings", help="ghosts, zombies, mismatches and software findings")
    _add_target(p)
    p.add_argument("--rules", action="append", metavar="DIR",
                   help="with --db: rule pack directory (default: shipped rules/); a collector applies its own")
    p.add_argument("--kind", action="append", default=[], help=f"one of {', '.join(FINDING_KINDS)} (repeatable)")
    p.add_argument("--format", default="table", choices=FORMATS, dest="fmt")
    p.add_argument("--output", type=Path, help="file for --format parquet")
    p.add_argument("--since", metavar="DURATION", help="only findings opened within this long")
    p.add_argument("--ghost-after", metavar="DURATION", help="unseen this long = ghost (default 14d; 0 = any)")
    p.add_argument("--severity", choices=SEVERITY_ORDER, help="minimum severity")
    p.add_argument("--host", action="append", default=[], help="host name glob (repeatable)")
    p.add_argument("--rule", action="append", default=[], help="rule id (repeatable)")
    p.add_argument("--hide-suppressed", action="store_true", help="leave out findings under a rule exception")
    p.add_argument("--subnet", action="append", default=[], metavar="CIDR", help="only findings with an IP in it")
    p.add_argument("--source", action="append", default=[],
                   help="only findings with evidence from this source id or method (e.g. arp, agent)")
    p.add_argument("--include-resolved", action="store_true",
                   help="also list findings that were open and have been resolved (with --since: resolved since)")

    p = sub.add_parser("assets", help="resolved assets with what was seen and what is recorded; duplicates, "
                       "explanations and manual merge/split decisions")
    _add_target(p)
    p.add_argument("--format", default="table", choices=FORMATS, dest="fmt")
    p.add_argument("--output", type=Path, help="file for --format parquet")
    p.add_argument("--duplicates", action="store_true",
                   help="list asset pairs that may be one device (possible-duplicate), each with why")
    _add_asset_filters(p)
    _add_assets_commands(p)

    p = sub.add_parser("asset", help="everything about one asset: identity and how it was matched, register beside "
                       "observed, identifiers per source, software with install dates and findings, finding timeline")
    p.add_argument("ref", metavar="REF",
                   help="asset id, asset tag, host name, IP address, MAC address, serial number or subject")
    _add_target(p)
    p.add_argument("--format", default="table", choices=("table", "json"), dest="fmt",
                   help="table: a readable page (default); json: the same as one object")
    p.add_argument("--all", action="store_true", dest="all_software",
                   help=f"list every installed package (default: those with findings and {SOFTWARE_SHOWN} more)")

    p = sub.add_parser("changes", help="what changed in a window: assets appeared, disappeared, came back or changed "
                       "identity; software installed, removed, upgraded; findings opened and resolved")
    _add_target(p)
    p.add_argument("--since", default="1d", metavar="DURATION", help="the window, ending now (default 1d)")
    p.add_argument("--format", default="table", choices=("table", "json", "csv"), dest="fmt",
                   help="table (default); json: one object; csv: one flat row per change")

    p = sub.add_parser("rules", help="rule packs")
    rsub = p.add_subparsers(dest="rules_command", required=True, parser_class=_Parser)
    rc = rsub.add_parser("check", help="validate rule files; every error as file:line")
    rc.add_argument("dirs", nargs="*", type=Path)

    add_vulns_parser(sub, _Parser)

    p = sub.add_parser("sql", help="read-only SQL over the documented views",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.epilog_from = _sql_relations  # type: ignore[attr-defined]  # built only when --help is asked for
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("query")
    p.add_argument("--format", default="table", choices=FORMATS, dest="fmt")
    p.add_argument("--output", type=Path)

    p = sub.add_parser("demo", help="the main job end to end on an embedded default")
    p.add_argument("--dir", type=Path, help="where to keep the demo database (default: a new temp dir)")
    p.add_argument("--no-lab", action="store_true", help="skip the namespace lab sweep even as root")
    p.add_argument("--keep", action="store_true",
                   help="keep the demo's collector and its dashboard serving until interrupted (Ctrl-C)")
    return parser


def _add_asset_filters(p: argparse.ArgumentParser) -> None:
    """`assets` filters (collector.domain.asset_filter): repeatable or comma-separated; all must hold."""
    p.add_argument("--host", action="append", default=[], metavar="GLOB",
                   help="host name glob, any case (e.g. 'web-*'; repeatable)")
    p.add_argument("--subnet", action="append", default=[], metavar="CIDR", help="only assets with an IP in it")
    p.add_argument("--type", action="append", default=[], dest="device_type", metavar="TYPE",
                   help="device type, e.g. server, switch, printer (repeatable)")
    p.add_argument("--vendor", action="append", default=[], metavar="GLOB", help="vendor glob, any case")
    p.add_argument("--unrecorded", action="store_true", help="only assets no register record matches")


def _asset_filter(args: argparse.Namespace) -> AssetFilter:
    return AssetFilter.parse(hosts=args.host, subnets=args.subnet, types=args.device_type, vendors=args.vendor,
                             unrecorded=args.unrecorded)


def _add_assets_commands(p: argparse.ArgumentParser) -> None:
    """`assets explain|merge|split|apart|decisions|undo` (REF: asset id, asset tag, host name, IP, MAC or subject).

    Their options default to nothing of their own (SUPPRESS), so `assets --db F explain REF` and
    `assets explain REF --db F` both work: argparse would otherwise let the subcommand's defaults
    overwrite what was given before it.
    """
    asub = p.add_subparsers(dest="assets_command", parser_class=_Parser,
                            metavar="{explain,merge,split,apart,decisions,undo}")

    def add(name: str, **kw: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = asub.add_parser(name, argument_default=argparse.SUPPRESS, **kw)
        return parser

    c = add("explain", help="which subjects and sources make an asset, which key joined each, its record")
    c.add_argument("ref", metavar="REF", help="asset id, asset tag, host name, IP, MAC or subject")
    _add_target(c)
    c.add_argument("--format", choices=("table", "json"), dest="fmt", help="default table")
    c = add("merge", help="record that two assets are one device (admin; undo with `assets undo ID`)")
    c.add_argument("refs", nargs=2, metavar="REF", help="the two assets (REF as for explain)")
    c.add_argument("--reason", required=True, help="why, for whoever reads the decision later")
    _add_target(c)
    c = add("split", help="record that a subject is not part of an asset (admin; wins over every key)")
    c.add_argument("refs", nargs=1, metavar="REF", help="the asset (REF as for explain)")
    c.add_argument("--subject", required=True, help="the subject to take out, as `assets explain` lists it")
    c.add_argument("--reason", required=True, help="why, for whoever reads the decision later")
    _add_target(c)
    c = add("apart", help="record that two assets are two devices: kept apart and never listed as "
                        "possible duplicates (admin)")
    c.add_argument("refs", nargs=2, metavar="REF", help="the two assets (REF as for explain)")
    c.add_argument("--reason", required=True, help="why, for whoever reads the decision later")
    _add_target(c)
    c = add("decisions", help="every manual decision: who, when, why, and whether it still applies")
    _add_target(c)
    c.add_argument("--format", choices=FORMATS, dest="fmt", help="default table")
    c.add_argument("--output", type=Path, help="file for --format parquet")
    c = add("undo", help="undo a manual decision (admin); it stays listed as undone")
    c.add_argument("decision_id", type=int, metavar="ID")
    _add_target(c)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _open_for_query(db: Path) -> Store:
    from collector.store.duckdb import Store

    return Store.open(db, create=False)


def _rules(dirs: Sequence[str] | None) -> SoftwareRules | None:
    from collector.rules.bridge import load_software_rules

    return load_software_rules([Path(d) for d in dirs] if dirs else [default_rules_dir()])


def cmd_serve(args: argparse.Namespace) -> int:
    from collector.serve.server import serve

    config = resolve_serve(db=args.db, listen=args.listen, rules=args.rules, ghost_after=args.ghost_after,
                           config=args.config, tls_cert=args.tls_cert, tls_key=args.tls_key,
                           tls_client_ca=args.tls_client_ca, plaintext=args.plaintext,
                           metrics_listen=args.metrics_listen, workers=args.workers,
                           open_enrolment=args.open_enrolment, ui_listen=args.ui_listen)
    _rules([str(d) for d in config.rules_dirs])  # fail fast on a broken rule pack, before binding
    return serve(config, ready=lambda port: print(
        f"netcensus collector listening on {config.listen.rsplit(':', 1)[0]}:{port} (database {config.db})",
        flush=True))


def cmd_ui(args: argparse.Namespace) -> int:
    """`netcensus ui`: a read-only dashboard over a file (collector/serve/web/serving.py)."""
    from collector.serve.web.serving import run_over_file

    parse_listen(args.listen)
    return run_over_file(args.db, args.listen, tls_cert=args.tls_cert, tls_key=args.tls_key)


def cmd_users(args: argparse.Namespace) -> int:
    """`netcensus users add|passwd|disable|list` over the database file."""
    from collector.serve.web.users import users_command

    return users_command(args.users_command, args.name if args.users_command != "list" else "", db=args.db,
                         role=getattr(args, "role", None), now=_utcnow())


def cmd_import(args: argparse.Namespace) -> int:
    from collector.register.importing import parse_status_map

    _target(args)
    try:
        data = args.file.read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(f"{args.file}: no such file") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{args.file}: is a directory") from exc
    except OSError as exc:
        raise UsageError(f"{args.file}: cannot read: {exc.strerror}") from exc
    status_map = parse_status_map(args.status_map)
    with Progress() as progress:  # a 100,000-row register takes seconds in each phase; say which
        return _import(args, data, status_map, progress)


def _import(args: argparse.Namespace, data: bytes, status_map: dict[str, StatusClass], progress: Progress) -> int:
    from collector.register import load_mapping
    from collector.register.importing import read_register, save_register

    size = f"{len(data) / 2**20:.1f} MB" if len(data) >= 2**20 else f"{len(data) / 2**10:.0f} kB"
    if args.collector:
        mapping_text = ""
        if args.mapping:
            load_mapping(args.mapping)  # validate locally: errors name the local file
            mapping_text = args.mapping.read_text(encoding="utf-8")
        with _client(args) as client:
            progress.phase(f"import: {args.file.name} ({size}) sent to {args.collector}; it checks and stores it")
            r = client.import_register(data, args.fmt, args.file.name, mapping_text,
                                       {k: v.value for k, v in status_map.items()}, args.register or "")
        progress.close()
        print(f"imported {args.file}: {r.rows} records ({r.added} added, {r.changed} changed, "
              f"{r.unchanged} unchanged, {r.removed} removed)")
        return 0
    from collector.store.duckdb import Store

    mapping = load_mapping(args.mapping) if args.mapping else None
    progress.phase(f"import: checking every row of {args.file.name} ({size})")
    parsed = read_register(data, args.fmt, filename=str(args.file), mapping=mapping, status_map=status_map)
    store = Store.open(args.db)  # only once the file is known to be good: a bad one creates no database
    try:
        progress.phase(f"import: {len(parsed.records):,} records checked; replacing the register in {args.db.name}")
        outcome = save_register(store, parsed, now=_utcnow(), register=args.register)
        c = outcome.counts
        store.record_audit(_local_audit("import", f"{args.fmt}:{args.file.name}",
                                        f"ok: {c.rows} rows, {c.added} added, {c.changed} changed, "
                                        f"{c.removed} removed"))
    finally:
        store.close()
    progress.close()
    print(f"imported {args.file} into register {outcome.register!r}: {c.rows} records ({c.added} added, "
          f"{c.changed} changed, {c.unchanged} unchanged, {c.removed} removed)")
    return 0


def _filter_findings(rows: list[FindingRow], args: argparse.Namespace, now: datetime) -> list[FindingRow]:
    import fnmatch

    kinds = {KIND_ALIASES.get(k.strip(), k.strip()) for spec in args.kind for k in spec.split(",") if k.strip()}
    unknown = kinds - set(FINDING_KINDS)
    if unknown:
        raise UsageError(f"--kind {', '.join(sorted(unknown))}: not a finding kind (use {', '.join(FINDING_KINDS)})")
    since = now - parse_duration(args.since, "--since") if args.since else None
    floor = SEVERITY_ORDER.index(args.severity) if args.severity else 0
    networks = [_network_arg(n) for n in args.subnet]
    out = []
    for row in rows:
        if kinds and row.kind not in kinds:
            continue
        if since is not None and (row.resolved_at or row.opened_at or now) < since:
            continue
        if SEVERITY_ORDER.index(row.severity) < floor:
            continue
        if args.host and not any(fnmatch.fnmatch((row.hostname or "").lower(), g.lower()) for g in args.host):
            continue
        if args.rule and row.rule_id not in args.rule:
            continue
        if args.hide_suppressed and row.suppressed:
            continue
        if networks and not _in_networks(row.ip, networks):
            continue
        if args.source and not any(ev.source in args.source or ev.method in args.source for ev in row.evidence):
            continue
        out.append(row)
    return out


def _network_arg(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise UsageError(f"--subnet {text!r} is not a CIDR") from exc


def _in_networks(ip: str | None, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        addr = ipaddress.ip_address(str(ip))
    except ValueError:
        return False
    return any(addr.version == n.version and addr in n for n in networks)


def cmd_findings(args: argparse.Namespace) -> int:
    _target(args)
    if args.collector and args.rules:
        # The collector's findings (and their opened_at) are those of the rules it was started with;
        # other rules would be another set of answers for the same database.
        raise UsageError("--rules applies to --db only: a collector applies the rules it was started with "
                         "(netcensus serve --rules DIR); drop --rules, or stop the collector and use --db FILE")
    now = _utcnow()
    ghost_after = parse_duration(args.ghost_after, "--ghost-after") if args.ghost_after else None
    _filter_findings([], args, now)  # validate filters before any work
    if args.collector:
        with _client(args) as client:
            rows = client.findings(kinds=[], since=None, ghost_after=ghost_after,
                                  include_resolved=args.include_resolved)
    else:
        from collector.inventory.refresh import refresh
        from collector.vulns.bridge import with_vulnerabilities

        rules = _rules(args.rules)
        store = _open_for_query(args.db)
        try:
            # The window of the collector that serves this file, as `--collector` would use it.
            own = store.ghost_after() or DEFAULT_GHOST_AFTER
            window = own if ghost_after is None else ghost_after
            steps = with_vulnerabilities(store, rules.evaluator(store) if rules else None)
            rows = refresh(store, now=now, ghost_after=window, rules=steps, persist=window == own).findings
            if args.include_resolved:
                rows += store.resolved_findings()
        finally:
            store.close()
    rows = _filter_findings(rows, args, now)
    table: tuple[tuple[str, str], ...] = FINDING_TABLE
    if any(row.first_seen_installed for row in rows):  # "since when" for software findings
        table = (*FINDING_TABLE[:-1], ("first_seen_installed", "FIRST SEEN INSTALLED"), FINDING_TABLE[-1])
    emit(rows, args.fmt, columns=FINDING_COLUMNS, table_columns=table, out=sys.stdout, output=args.output,
         empty="no findings")
    if args.fmt == "table" and rows:
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.kind] = counts.get(row.kind, 0) + 1
        print(f"\n{len(rows)} findings: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return 0


DUPLICATE_COLUMNS = ("asset_id", "other_asset_id", "signals", "why", "hostname", "other_hostname", "records",
                     "first_seen", "last_seen", "finding_id")
DUPLICATE_TABLE = (("asset_id", "ASSET"), ("other_asset_id", "OTHER"), ("signals", "SIGNALS"), ("why", "WHY"))
DECISION_COLUMNS = ("decision_id", "action", "state", "asset_ids", "subject", "others", "reason", "decided_by",
                    "decided_at", "undone_by", "undone_at")
DECISION_TABLE = (("decision_id", "ID"), ("action", "ACTION"), ("asset_ids", "ASSETS"), ("decided_by", "BY"),
                  ("decided_at", "AT"), ("state", "STATE"), ("reason", "REASON"))


def _snapshot(store: Store) -> Snapshot:
    """One refresh of a --db file for the assets commands (findings lifecycle left alone)."""
    from collector.inventory.refresh import refresh

    return refresh(store, now=_utcnow(), ghost_after=DEFAULT_GHOST_AFTER, rules=None, persist=False)


def _assets_command(args: argparse.Namespace) -> int:
    """explain, merge, split, decisions, undo: with --db on the file, with --collector over gRPC."""
    from collector.output import explanation_json, explanation_text

    command = args.assets_command
    if command == "undo" and not 0 < args.decision_id < 2**31:
        raise UsageError(f"no standing decision #{args.decision_id} (see `netcensus assets decisions`)")
    if args.collector:
        with _client(args) as client:
            if command == "explain":
                explained = client.explain(args.ref)
            elif command in ("merge", "split", "apart"):
                decision = client.decide(command, args.refs, getattr(args, "subject", "") or "", args.reason)
            elif command == "undo":
                decision = client.undo_decision(args.decision_id)
            else:
                decisions = client.decisions()
    else:
        from collector.inventory import refs
        from collector.inventory.explain import explain

        store = _open_for_query(args.db)
        try:
            if command == "explain":
                explained = explain(args.ref, _snapshot(store))
            elif command in ("merge", "split", "apart"):
                decision = refs.record_decision(
                    store, _snapshot(store), action=command, refs=args.refs, subject=getattr(args, "subject", "") or "",
                    reason=args.reason, who=_local_user(), now=_utcnow())
                decision = next((d for d in _snapshot(store).decisions if d.decision_id == decision.decision_id),
                                decision)
                store.record_audit(_local_audit(f"assets {command}", _decision_target(decision), "ok"))
            elif command == "undo":
                decision = refs.undo_decision(store, args.decision_id, who=_local_user(), now=_utcnow())
                store.record_audit(_local_audit("assets undo", _decision_target(decision), "ok"))
            else:
                decisions = _snapshot(store).decisions
        finally:
            store.close()
    if command == "explain":
        print(explanation_json(explained) if args.fmt == "json" else explanation_text(explained))
    elif command == "decisions":
        emit(decisions, args.fmt, columns=DECISION_COLUMNS, table_columns=DECISION_TABLE, out=sys.stdout,
             output=args.output, empty="no manual decisions")
    elif command == "undo":
        print(f"undid decision #{decision.decision_id} ({decision.action} of {', '.join(decision.asset_ids)}); "
              "the next refresh resolves without it")
    else:
        print(escape_text(f"decision #{decision.decision_id}: {decision.action} of {', '.join(decision.asset_ids)}"
                          + (f" (subject {decision.subject})" if decision.action == "split" else "")
                          + f": {decision.state}; undo with `netcensus assets undo {decision.decision_id}`"))
    return 0


def _decision_target(d: Decision) -> str:
    """The audit target of a decision: its number, action and assets (never more than 200 characters)."""
    return f"#{d.decision_id} {d.action} {' '.join(d.asset_ids)}"[:200]


def cmd_assets(args: argparse.Namespace) -> int:
    if args.assets_command:
        _target(args)
        return _assets_command(args)
    _target(args)
    if args.duplicates:
        return _duplicates(args)
    wanted = _asset_filter(args)  # a bad --subnet fails before any work
    if args.collector:
        with _client(args) as client:
            rows = list(client.assets())
    else:
        from collector.inventory.refresh import asset_rows, refresh

        store = _open_for_query(args.db)
        try:
            rows = asset_rows(refresh(store, now=_utcnow(), ghost_after=DEFAULT_GHOST_AFTER, rules=None,
                                      persist=False))
        finally:
            store.close()
    everything = len(rows)
    rows = wanted.apply(rows)
    emit(rows, args.fmt, columns=ASSET_COLUMNS, table_columns=ASSET_TABLE, out=sys.stdout, output=args.output,
         empty="no assets" + (f" match the filters (of {everything})" if wanted != AssetFilter() else ""))
    if args.fmt == "table" and rows:
        print(f"\n{len(rows)} assets" + (f" of {everything}" if len(rows) != everything else ""))
    return 0


def _duplicates(args: argparse.Namespace) -> int:
    if args.collector:
        with _client(args) as client:
            rows = client.duplicates()
    else:
        store = _open_for_query(args.db)
        try:
            rows = _snapshot(store).duplicates
        finally:
            store.close()
    emit(rows, args.fmt, columns=DUPLICATE_COLUMNS, table_columns=DUPLICATE_TABLE, out=sys.stdout, output=args.output,
         empty="no possible duplicates")
    if args.fmt == "table" and rows:
        print(f"\n{len(rows)} possible duplicates; merge one with `netcensus assets merge A B --reason TEXT`")
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from collector.rules.schema import check_rules, rule_files

    dirs = args.dirs or [default_rules_dir()]
    errors = check_rules(dirs)
    for line in errors:
        print(escape_text(line), file=sys.stderr)  # a rule file's own text is quoted in some errors
    if errors:
        print(f"{len(errors)} error(s)", file=sys.stderr)
        return 1
    files, _ = rule_files(dirs)
    print(f"ok: {len(files)} rule file(s) valid")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from collector.store.sandbox import read_only_select

    try:
        rows = read_only_select(args.db, args.query)  # one SELECT, read-only, no file or URL but the db
    except QueryError as exc:
        raise UsageError(f"sql: {exc}") from exc
    columns = list(rows[0].keys()) if rows else []
    emit(rows, args.fmt, columns=columns, table_columns=[(c, c.upper()) for c in columns], out=sys.stdout,
         output=args.output, empty="(no rows)")
    return 0


def cmd_certs(args: argparse.Namespace) -> int:
    from collector.tools.certs import ensure_ca, issue

    if args.certs_command == "ca":
        cert, _ = ensure_ca(args.dir)
        print(f"CA certificate {cert} (key beside it, mode 0600)")
    elif args.certs_command == "server":
        hosts = list(dict.fromkeys(["localhost", "127.0.0.1", "::1", *args.host]))
        cert, key = issue(args.dir, args.name, hosts=hosts)
        print(f"server certificate {cert}, key {key} for {', '.join(hosts)}")
        print(f"  netcensus serve ... --tls-cert {cert} --tls-key {key}"
              f"  [--tls-client-ca {args.dir / 'ca.pem'}]")
    else:
        cert, key = issue(args.dir, args.name, client=True, kind=args.kind)
        print(f"client certificate {cert}, key {key} ({args.kind} {args.name})")
        if args.kind == "user":
            print(f"  netcensus findings --collector HOST:PORT --ca {args.dir / 'ca.pem'} --cert {cert} --key {key}"
                  f"  (with the API token named {args.name})")
        else:
            print(f"  netcensus-agent report ... --ca {args.dir / 'ca.pem'} --cert {cert} --key {key}")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    if args.sources_command == "approve":
        return _approve(args)
    _target(args)
    if args.sources_command == "revoke":
        if args.collector:
            with _client(args) as client:
                found = client.revoke_source(args.source_id)
        else:
            from collector.store.duckdb import Store

            store = Store.open(args.db, create=False)
            try:
                found = store.revoke_source(args.source_id, _utcnow())
                store.record_audit(_local_audit("sources revoke", args.source_id[:128],
                                                "ok" if found else "ok: no such source"))
            finally:
                store.close()
        if not found:
            raise UsageError(f"no source {args.source_id!r} is enrolled")
        print(f"revoked {args.source_id}")
        return 0
    if args.collector:
        with _client(args) as client:
            rows = client.sources()
    else:
        store = _open_for_query(args.db)
        try:
            rows = store.sources()
        finally:
            store.close()
    emit(rows, args.fmt, columns=SOURCE_COLUMNS, table_columns=SOURCE_TABLE_COLUMNS, out=sys.stdout,
         output=args.output, empty="no sources")
    return 0


# `sources`: the backlog and last error are what each source last said of itself (Report.sender_state);
# empty for a source too old to say. The table leaves out the bytes and times the other formats carry.
SOURCE_COLUMNS = ("source_id", "kind", "hostname", "enrolled_at", "revoked_at", "last_report_at", "last_seq",
                  "backlog_reports", "backlog_bytes", "backlog_oldest", "backlog_at", "last_error", "last_error_at")
SOURCE_TABLE_COLUMNS = [(c, c.upper()) for c in SOURCE_COLUMNS[:7]] + [
    ("backlog_reports", "BACKLOG"), ("backlog_oldest", "OLDEST_QUEUED"), ("last_error", "LAST_ERROR")]
TOKEN_COLUMNS = ("name", "role", "created_at", "last_used_at", "revoked_at")
AUDIT_COLUMNS = ("happened_at", "who", "role", "action", "target", "peer", "outcome")


def _local_user() -> str:
    """Who ran an offline token command, for the audit log (the account, not an environment variable)."""
    import pwd

    try:
        return f"local:{pwd.getpwuid(os.getuid()).pw_name}"
    except KeyError:
        return f"local:uid {os.getuid()}"


def _local_audit(action: str, target: str, outcome: str) -> dict[str, object]:
    """An audit row for a change made with --db on this machine (the collector is not running)."""
    return {"at": _utcnow(), "who": _local_user(), "role": None, "action": action, "target": target,
            "peer": "local", "outcome": outcome}


def _tokens_offline(args: argparse.Namespace) -> int:
    from collector.serve.access import check_name, check_role, hash_secret, new_token
    from collector.store.duckdb import Store

    store = Store.open(args.db, create=args.tokens_command == "create")
    try:
        now = _utcnow()
        if args.tokens_command == "list":
            rows = store.tokens()
            emit(rows, args.fmt, columns=TOKEN_COLUMNS, table_columns=[(c, c.upper()) for c in TOKEN_COLUMNS],
                 out=sys.stdout, output=args.output, empty="no tokens")
            return 0
        if args.tokens_command == "create":
            name, role = check_name(args.name), check_role(args.role)
            token = new_token()
            if not store.create_token(name, role, hash_secret(token), now):
                raise UsageError(f"a token named {name!r} exists already (names are never reused; pick another)")
            store.record_audit(_local_audit("tokens create", f"{name} ({role})", "ok"))
            _print_token(name, role, token)
            return 0
        found = store.revoke_token(args.name, now)
        store.record_audit(_local_audit("tokens revoke", args.name[:64], "ok" if found else "ok: no such token"))
    finally:
        store.close()
    if not found:
        raise UsageError(f"no valid token named {args.name!r}")
    print(f"revoked token {args.name}")
    return 0


def _print_token(name: str, role: str, token: str) -> None:
    print(token)
    print(f"token {name!r} ({role}) created; it is shown only this once. Give it to its user as "
          "NETCENSUS_TOKEN or in a --token-file (mode 0600).", file=sys.stderr)


def cmd_tokens(args: argparse.Namespace) -> int:
    _target(args)
    if args.db:
        return _tokens_offline(args)
    with _client(args) as client:
        if args.tokens_command == "create":
            _print_token(args.name, args.role, client.create_token(args.name, args.role))
            return 0
        if args.tokens_command == "list":
            rows = client.tokens()
            emit(rows, args.fmt, columns=TOKEN_COLUMNS, table_columns=[(c, c.upper()) for c in TOKEN_COLUMNS],
                 out=sys.stdout, output=args.output, empty="no tokens")
            return 0
        if not client.revoke_token(args.name):
            raise UsageError(f"no valid token named {args.name!r}")
    print(f"revoked token {args.name}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    _target(args)
    if not 1 <= args.limit <= 100_000:
        raise UsageError("--limit: from 1 to 100000")
    if args.db:
        store = _open_for_query(args.db)
        try:
            rows = store.audit_entries(args.limit)
        finally:
            store.close()
    else:
        with _client(args) as client:
            rows = client.audit(args.limit)
    emit(rows, args.fmt, columns=AUDIT_COLUMNS, table_columns=[(c, c.upper()) for c in AUDIT_COLUMNS],
         out=sys.stdout, output=args.output, empty="no audit entries")
    return 0


def _approve(args: argparse.Namespace) -> int:
    """Approvals live in the running collector (it alone sees the next enrolment), so --collector only."""
    if not args.collector:
        raise UsageError("sources approve needs --collector HOST:PORT (the running collector keeps the approval)")
    with _client(args) as client:
        expires = client.approve_enrolment(args.source_id)
    if expires is None:
        raise UsageError(f"source {args.source_id!r} has no live key (never enrolled: it needs no approval; "
                         "revoked: it cannot enrol again under that id)")
    print(f"approved one re-enrolment of {args.source_id} until {expires.isoformat(timespec='seconds')}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from collector.tools.demo import run_demo

    return run_demo(workdir=args.dir, lab=not args.no_lab, keep=args.keep)


def cmd_asset(args: argparse.Namespace) -> int:
    """`netcensus asset REF`: the asset's page (or its JSON object), from the file or the collector."""
    from collector.pages import asset_page

    _target(args)
    if args.collector:
        with _client(args) as client:
            doc = client.asset_detail(args.ref)
    else:
        from collector.inventory.detail import asset_detail
        from collector.pages import document

        store = _open_for_query(args.db)
        try:
            doc = document(asset_detail(args.ref, _snapshot(store), store))
        finally:
            store.close()
    print(_json_text(doc) if args.fmt == "json" else asset_page(doc, all_software=args.all_software))
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    """`netcensus changes --since DURATION`: assets, software and findings that changed in the window."""
    from collector.pages import changes_csv, changes_page

    _target(args)
    now = _utcnow()
    window = parse_duration(args.since, "--since")
    if window.total_seconds() <= 0:
        raise UsageError("--since: give a window longer than 0, e.g. 1d or 12h")
    try:
        since = now - window
    except OverflowError as exc:
        raise UsageError(f"--since {args.since}: reaches back before the year 1; give a shorter window") from exc
    if args.collector:
        with _client(args) as client:
            doc = client.changes(since)
    else:
        from collector.inventory.changes import changes
        from collector.pages import document
        from collector.rules.order import package_order

        store = _open_for_query(args.db)
        try:
            doc = document(changes(_snapshot(store), store, since=since, now=now, order=package_order))
        finally:
            store.close()
    if args.fmt == "json":
        print(_json_text(doc))
    elif args.fmt == "csv":
        sys.stdout.write(changes_csv(doc))
    else:
        print(changes_page(doc))
    return 0


def _json_text(doc: dict[str, Any]) -> str:
    """A document as one JSON object, escaped as every JSON we print is (collector/escaping.py)."""
    import json

    from collector.escaping import json_safe

    return json_safe(json.dumps(doc, ensure_ascii=False, indent=2))


COMMANDS = {"serve": cmd_serve, "certs": cmd_certs, "sources": cmd_sources, "import": cmd_import,
            "findings": cmd_findings, "assets": cmd_assets, "asset": cmd_asset, "changes": cmd_changes,
            "rules": cmd_rules, "sql": cmd_sql, "demo": cmd_demo, "tokens": cmd_tokens, "audit": cmd_audit,
            "vulns": cmd_vulns, "ui": cmd_ui, "users": cmd_users}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `netcensus` console script."""
    # gRPC's C core logs its own copy of errors we already report in one line (bind failures,
    # unreachable peers); keep its voice for those who ask for it.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    args = build_parser().parse_args(argv)
    level = args.log_level or ("info" if args.command in ("serve", "ui") else "warning")
    from collector.logs import configure_logging

    configure_logging(level, getattr(args, "log_format", None) or os.environ.get("NETCENSUS_LOG_FORMAT", "text"))
    try:
        return COMMANDS[args.command](args)
    except NetcensusError as exc:
        print(f"netcensus: {escape_text(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("netcensus: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("NETCENSUS_DEBUG"):
            raise
        print(f"netcensus: internal error: {type(exc).__name__}: "
              f"{escape_text(str(exc).splitlines()[0]) if str(exc) else ''} "
              "(set NETCENSUS_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
