"""`netcensus vulns import|status|accept|exceptions|unaccept`: the command-line edge of vulnerabilities.

Kept apart from collector/cli.py so that the vulnerability commands are one file; like the rest of
the CLI, heavy modules (the store with duckdb and pyarrow) are imported inside the commands. These
commands open the database file (``--db``); a running collector holds its file, so they say so in one
line, and the collector imports a feed itself from its ``vulns_dir`` (README, "Vulnerabilities").
"""

from __future__ import annotations

import argparse
import os
import pwd
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.errors import DatabaseLockedError, UsageError
from collector.escaping import escape_text
from collector.output import emit

if TYPE_CHECKING:
    from collector.store.duckdb import Store

__all__ = ["add_vulns_parser", "cmd_vulns"]

STATUS_COLUMNS = ("source", "records", "withdrawn", "rejected", "newest_modified", "imported_at", "ecosystems",
                  "path")
EXCEPTION_COLUMNS = ("exception_id", "advisory", "package", "hostname", "asset_id", "reason", "until", "state",
                     "created_by", "created_at", "revoked_at")
#: Problems printed one per line before the rest are only counted (all are in the summary line).
_MAX_PROBLEM_LINES = 50


def add_vulns_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `vulns` and its subcommands to the top-level subparsers ``sub``."""
    p = sub.add_parser("vulns", help="vulnerable software from an offline OSV feed: import, status, accept risk")
    vsub = p.add_subparsers(dest="vulns_command", required=True, parser_class=parser_class)
    c = vsub.add_parser("import", help="import OSV records: a JSON file, a directory, or OSV's per-ecosystem "
                                       "zip archives; replaces the previous import of the same source atomically")
    c.add_argument("path", type=Path, metavar="PATH")
    c.add_argument("--db", type=Path, required=True, help="DuckDB file (created if missing)")
    c.add_argument("--source", help="name of this feed (default: the file or directory name; Debian/all.zip "
                                    "is Debian)")
    c = vsub.add_parser("status", help="loaded sources, ecosystems, record counts, newest modified date")
    c.add_argument("--db", type=Path, required=True)
    c.add_argument("--format", default="table", choices=("table", "json", "csv"), dest="fmt")
    c = vsub.add_parser("accept", help="accept the risk of an advisory on some assets until a date "
                                       "(its findings stay, suppressed)")
    c.add_argument("advisory", metavar="ID", help="advisory id or alias, e.g. CVE-2014-0160")
    c.add_argument("--reason", required=True)
    c.add_argument("--until", required=True, metavar="YYYY-MM-DD", help="last day the acceptance holds (UTC)")
    c.add_argument("--host", metavar="GLOB", help="host name glob (default: any)")
    c.add_argument("--asset", metavar="ASSET_ID", help="one asset id (default: any)")
    c.add_argument("--package", metavar="GLOB", help="package name glob (default: any)")
    c.add_argument("--db", type=Path, required=True)
    c = vsub.add_parser("exceptions", help="accepted risks, active, expired and revoked")
    c.add_argument("--db", type=Path, required=True)
    c.add_argument("--format", default="table", choices=("table", "json", "csv"), dest="fmt")
    c = vsub.add_parser("unaccept", help="revoke an accepted risk (it stays listed as revoked)")
    c.add_argument("exception_id", type=int, metavar="EXCEPTION_ID")
    c.add_argument("--db", type=Path, required=True)


def _who() -> str:
    """The local account, for the audit log and the exception's author (the account, not an environment variable)."""
    try:
        return f"local:{pwd.getpwuid(os.getuid()).pw_name}"
    except KeyError:
        return f"local:uid{os.getuid()}"


def _audit(store: Store, action: str, target: str, outcome: str) -> None:
    """An audit row for a change made with --db (as `tokens` and `assets` do)."""
    store.record_audit({"at": datetime.now(UTC), "who": _who(), "role": None, "action": action,
                        "target": target[:128], "peer": "local", "outcome": outcome})


def _open(db: Path, *, create: bool) -> Store:
    from collector.store.duckdb import Store

    try:
        return Store.open(db, create=create)
    except DatabaseLockedError as exc:
        raise UsageError(f"{db}: the database is held by a running collector; stop it, or put the feed in the "
                         "collector's vulns_dir (config file) and it imports it on its schedule") from exc


def _import(args: argparse.Namespace) -> int:
    from collector.store.vulns_sql import VulnStore
    from collector.vulns.importing import import_feed

    store = _open(args.db, create=True)
    try:
        outcome = import_feed(VulnStore(store), args.path, source=args.source, now=datetime.now(UTC),
                              progress=lambda n: print(f"... {n} records read", file=sys.stderr))
        _audit(store, "vulns import", outcome.source,
               f"ok: {outcome.records} advisories, {len(outcome.problems)} rejected")
    finally:
        store.close()
    for problem in outcome.problems[:_MAX_PROBLEM_LINES]:
        print(f"netcensus: vulns import: {escape_text(str(problem))}", file=sys.stderr)
    if len(outcome.problems) > _MAX_PROBLEM_LINES:
        print(f"netcensus: vulns import: ... and {len(outcome.problems) - _MAX_PROBLEM_LINES} more problems",
              file=sys.stderr)
    ecos = ", ".join(f"{escape_text(e)} {n}" for e, n in outcome.ecosystems[:8])
    print(f"imported {outcome.records} advisories as source {escape_text(outcome.source)} "
          f"({outcome.withdrawn} withdrawn, not matched; {len(outcome.problems)} rejected)"
          + (f"; ecosystems: {ecos}" if ecos else ""))
    return 0


def _status(args: argparse.Namespace) -> int:
    from collector.store.vulns_sql import VulnStore

    store = _open(args.db, create=False)
    try:
        vulns = VulnStore(store)
        sources = vulns.status()
        unmatched = vulns.unmatched_sources()
    finally:
        store.close()
    rows = [{"source": s.source, "records": s.records, "withdrawn": s.withdrawn, "rejected": s.rejected,
             "newest_modified": s.newest_modified, "imported_at": s.imported_at,
             "ecosystems": ", ".join(f"{e} {n}" for e, n in s.ecosystems) if args.fmt != "json"
             else [{"ecosystem": e, "advisories": n} for e, n in s.ecosystems],
             "path": s.path} for s in sources]
    emit(rows, args.fmt, columns=STATUS_COLUMNS, table_columns=[(c, c.upper()) for c in STATUS_COLUMNS[:-1]],
         out=sys.stdout, output=None, empty="no OSV feed imported (netcensus vulns import PATH --db FILE)")
    if args.fmt == "table" and unmatched:
        text = ", ".join(f"{n} {s}" for s, n in unmatched)
        print(f"\nnot checked (no OSV ecosystem; the rule packs cover them): {escape_text(text)} installs")
    return 0


def _accept(args: argparse.Namespace) -> int:
    from collector.store.vulns_sql import VulnStore
    from collector.vulns.accept import accept_risk, parse_until

    until = parse_until(args.until, "--until")
    store = _open(args.db, create=False)
    try:
        exception_id = accept_risk(VulnStore(store), advisory=args.advisory, reason=args.reason, until=until,
                                   host=args.host, asset=args.asset, package=args.package, who=_who(),
                                   now=datetime.now(UTC))
        _audit(store, "vulns accept", args.advisory, f"ok: exception #{exception_id} until {until}")
    finally:
        store.close()
    print(f"exception #{exception_id}: {escape_text(args.advisory)} accepted until {until} "
          "(findings stay, suppressed; `netcensus vulns unaccept` revokes it)")
    return 0


def _exceptions(args: argparse.Namespace) -> int:
    from collector.store.vulns_sql import VulnStore

    store = _open(args.db, create=False)
    try:
        found = VulnStore(store).exceptions()
    finally:
        store.close()
    today = datetime.now(UTC).date()
    rows = [{"exception_id": e.exception_id, "advisory": e.advisory, "package": e.package, "hostname": e.hostname,
             "asset_id": e.asset_id, "reason": e.reason, "until": e.until,
             "state": "revoked" if e.revoked_at else "expired" if e.until < today else "active",
             "created_by": e.created_by, "created_at": e.created_at, "revoked_at": e.revoked_at} for e in found]
    emit(rows, args.fmt, columns=EXCEPTION_COLUMNS, table_columns=[(c, c.upper()) for c in EXCEPTION_COLUMNS[:8]],
         out=sys.stdout, output=None, empty="no accepted risks")
    return 0


def _unaccept(args: argparse.Namespace) -> int:
    from collector.store.vulns_sql import VulnStore
    from collector.vulns.accept import end_risk

    store = _open(args.db, create=False)
    try:
        try:
            end_risk(VulnStore(store), args.exception_id, datetime.now(UTC))
        except UsageError:
            _audit(store, "vulns unaccept", str(args.exception_id), "ok: no such exception")
            raise
        _audit(store, "vulns unaccept", str(args.exception_id), "ok")
    finally:
        store.close()
    print(f"exception #{args.exception_id} revoked")
    return 0


def cmd_vulns(args: argparse.Namespace) -> int:
    """Run one `vulns` subcommand."""
    handlers = {"import": _import, "status": _status, "accept": _accept, "exceptions": _exceptions,
                "unaccept": _unaccept}
    return handlers[args.vulns_command](args)
