"""Collector configuration: argv > environment > config file > defaults, resolved once.

This is the only module that reads the environment. Secrets (enrolment secret, admin token) are
kept only as hashes after resolution and are never logged.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from collector.errors import UsageError

DEFAULT_GHOST_AFTER = timedelta(days=14)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, what: str = "duration") -> timedelta:
    """'14d', '36h', '90m', '45s', '2w' or plain seconds → timedelta; a UsageError names the value."""
    match = _DURATION.match(str(text))
    if not match:
        raise UsageError(f"{what}: {text!r} is not a duration (use e.g. 14d, 36h, 90m, 0)")
    unit = (match.group(2) or "s").lower()
    return timedelta(seconds=float(match.group(1)) * _UNITS[unit])


def parse_listen(text: str) -> tuple[str, int]:
    """'HOST:PORT' (or '[v6]:PORT') → (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"{text!r} is not HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def default_rules_dir() -> Path:
    """The shipped rule pack: rules/ at the top of the checkout (or NETCENSUS_RULES)."""
    env = os.environ.get("NETCENSUS_RULES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "rules"


MIB = 1024 * 1024


def default_inflight_bytes() -> int:
    """Bytes of reports accepted but not yet committed, when the config leaves it open: 1/16 of the
    machine's memory, from 64 MiB to 512 MiB. Decoded reports take several times their serialized
    size in Python objects, so the budget stays a small share of memory."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = 0
    return int(min(512 * MIB, max(64 * MIB, memory // 16)))


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """Caps on every YAML file the collector reads (rule packs, register mapping files).

    Anchors and aliases are refused outright (collector.safeyaml); these bound what remains. The
    defaults are far above the shipped rule packs (a few hundred nodes, depth under 10) and any
    plausible mapping file, and far below what would hurt a collector.
    """

    max_bytes: int = 4 * 1024 * 1024
    max_nodes: int = 200_000
    max_depth: int = 64


def yaml_limits(env: Mapping[str, str] | None = None) -> YamlLimits:
    """YamlLimits from NETCENSUS_YAML_MAX_BYTES / _MAX_NODES / _MAX_DEPTH, defaults otherwise."""
    env = os.environ if env is None else env
    default = YamlLimits()
    return YamlLimits(
        max_bytes=_whole(env.get("NETCENSUS_YAML_MAX_BYTES", default.max_bytes), "NETCENSUS_YAML_MAX_BYTES",
                         minimum=1),
        max_nodes=_whole(env.get("NETCENSUS_YAML_MAX_NODES", default.max_nodes), "NETCENSUS_YAML_MAX_NODES",
                         minimum=1),
        max_depth=_whole(env.get("NETCENSUS_YAML_MAX_DEPTH", default.max_depth), "NETCENSUS_YAML_MAX_DEPTH",
                         minimum=1),
    )


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Everything `netcensus serve` needs, resolved."""

    db: Path
    listen: str
    rules_dirs: tuple[Path, ...] = ()
    ghost_after: timedelta = DEFAULT_GHOST_AFTER
    enrol_secret: str | None = field(default=None, repr=False)
    admin_token: str | None = field(default=None, repr=False)
    refresh_interval: timedelta = timedelta(minutes=5)
    max_message_bytes: int = 64 * 1024 * 1024
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None         # set: mutual TLS, every client presents a certificate
    plaintext: bool = False                   # explicit consent to plaintext off loopback
    open_enrolment: bool = False              # explicit consent to serve without an enrolment secret
    metrics_listen: str | None = None         # HOST:PORT of the Prometheus endpoint; None: off
    rate_limit: float = 200.0                 # reports per second per source (0: unlimited)
    rate_burst: float = 2000.0                # reports a source may send at once before the limit bites
    max_queue: int = 20_000                   # reports waiting for the writer before pushback
    duckdb_threads: int = 0                   # DuckDB worker threads; 0: DuckDB's default (one per core)
    workers: int = 1                          # gRPC front-end processes; 1: everything in one process
    # Enrolment limits (token buckets; rate 0: unlimited). Per peer address: a site behind one NAT
    # re-enrolling after a rollout; per enrolment secret: the whole fleet at once (10,000 agents in
    # under a minute at the defaults, the rest told when to retry).
    enrol_rate_per_peer: float = 20.0
    enrol_burst_per_peer: float = 200.0
    enrol_rate_per_secret: float = 200.0
    enrol_burst_per_secret: float = 5000.0
    enrol_approval_ttl: timedelta = timedelta(hours=1)  # how long `sources approve ID` stays usable
    # Limits of the public gRPC port (issue #14): silent or idle connections must not pin file
    # descriptors, one sender must not fill memory, queries must not starve enrolment and ingest.
    handshake_timeout: timedelta = timedelta(seconds=10)  # a connection that has not finished TLS/HTTP/2 setup
    idle_timeout: timedelta = timedelta(minutes=5)        # a connection without calls is closed (GOAWAY)
    max_connections: int = 20_000             # incoming connections per serving process; 0: what descriptors allow
    max_connections_per_peer: int = 1000      # per peer address and serving process; 0: no guard (see README)
    # Calls at once on one connection. Not 100: gRPC clients in one process share a connection per
    # target, and the ingest bench's 1,000 agents per process deadlocked waiting for stream slots.
    max_concurrent_streams: int = 4096
    max_inflight_bytes: int = field(default_factory=default_inflight_bytes)
    query_threads: int = 2                    # threads running Query/Admin work, apart from enrolment and ingest
    query_queue: int = 16                     # Query/Admin calls that may wait for a thread; more: refused
    vulns_dir: Path | None = None             # OSV feeds re-imported from here on a schedule; None: off
    vulns_interval: timedelta = timedelta(hours=6)  # how often vulns_dir is looked at (changed entries only)
    ui_listen: str | None = None              # HOST:PORT of the web dashboard (collector/serve/web/); None: off
    ui_poll: timedelta = timedelta(seconds=1)  # how often an open dashboard page asks whether it changed

    @property
    def tls(self) -> bool:
        """True when the gRPC port speaks TLS."""
        return self.tls_cert is not None


def load_file(path: Path | None) -> dict[str, object]:
    """Read a TOML config file; errors name the file and line."""
    if path is None:
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: no such config file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from exc
    section = data.get("collector", data)
    if not isinstance(section, dict):
        raise UsageError(f"{path}: [collector] must be a table")
    known = {"db", "listen", "rules", "ghost_after", "enrol_secret_file", "admin_token_file", "refresh_interval",
             "max_message_bytes", "tls_cert", "tls_key", "tls_client_ca", "plaintext", "open_enrolment",
             "metrics_listen", "rate_limit", "rate_burst", "max_queue", "duckdb_threads", "workers", *ENROLMENT_KEYS,
             *LIMIT_KEYS, "vulns_dir", "vulns_interval", "ui_listen", "ui_poll"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise UsageError(f"{path}: unknown key(s) {', '.join(unknown)} in [collector] "
                         f"(known: {', '.join(sorted(known))})")
    return dict(section)


ENROLMENT_KEYS = ("enrol_rate_per_peer", "enrol_burst_per_peer", "enrol_rate_per_secret", "enrol_burst_per_secret",
                  "enrol_approval_ttl")


def _enrolment(file: Mapping[str, object]) -> dict[str, Any]:
    """The enrolment limits of the [collector] file (collector/ingest/enrolment.py applies them)."""
    defaults = ServeConfig(db=Path(), listen="")
    values: dict[str, Any] = {}
    for name in ENROLMENT_KEYS[:4]:
        minimum = 1 if name.startswith("enrol_burst") else 0
        values[name] = _number(file.get(name, getattr(defaults, name)), name, minimum=minimum)
    ttl = file.get("enrol_approval_ttl")
    values["enrol_approval_ttl"] = (parse_duration(str(ttl), "enrol_approval_ttl") if ttl is not None
                                    else defaults.enrol_approval_ttl)
    if values["enrol_approval_ttl"].total_seconds() <= 0:
        raise UsageError("enrol_approval_ttl: must be longer than 0 (e.g. 1h)")
    return values


def read_secret_file(path: Path, what: str) -> str:
    """A secret kept in a file (enrolment secret, admin or API token): its text without surrounding
    whitespace; unreadable or empty is a UsageError naming the file, never its content."""
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        cause = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"{path}: cannot read {what} file: {cause}") from exc
    if not secret:
        raise UsageError(f"{path}: {what} file is empty")
    return secret


def _secret(env: Mapping[str, str], env_name: str, file_value: object) -> str | None:
    if env.get(env_name):
        return env[env_name]
    if file_value:
        return read_secret_file(Path(str(file_value)), "secret")
    return None


def _number(value: object, what: str, *, minimum: float = 0) -> float:
    try:
        number = float(str(value))
    except ValueError as exc:
        raise UsageError(f"{what}: {value!r} is not a number") from exc
    if not math.isfinite(number):
        raise UsageError(f"{what}: {value!r} is not a finite number")
    if number < minimum:
        raise UsageError(f"{what}: must be at least {minimum:g}")
    return number


def _whole(value: object, what: str, *, minimum: float = 0) -> int:
    number = _number(value, what, minimum=minimum)
    if number != int(number):
        raise UsageError(f"{what}: {value!r} is not a whole number")
    return int(number)


MAX_WORKERS = 64


def _workers(value: object) -> int:
    """Front-end processes: a whole number from 1 to MAX_WORKERS, or "auto" (one per core)."""
    if str(value).strip().lower() == "auto":
        return max(1, min(MAX_WORKERS, os.cpu_count() or 1))
    number = _whole(value, "workers", minimum=-math.inf)
    if not 1 <= number <= MAX_WORKERS:
        raise UsageError(f"workers: must be from 1 to {MAX_WORKERS} (or auto), not {number}")
    return number


def _opt_path(*values: object) -> Path | None:
    for value in values:
        if value:
            return Path(str(value))
    return None


def resolve_serve(*, db: str | None, listen: str | None, rules: list[str] | None, ghost_after: str | None,
                  config: Path | None, env: Mapping[str, str] | None = None, tls_cert: Path | None = None,
                  tls_key: Path | None = None, tls_client_ca: Path | None = None, plaintext: bool = False,
                  metrics_listen: str | None = None, workers: str | int | None = None,
                  open_enrolment: bool = False, ui_listen: str | None = None) -> ServeConfig:
    """Merge argv, environment and file into a ServeConfig."""
    env = os.environ if env is None else env
    file = load_file(config)
    db_value = db or env.get("NETCENSUS_DB") or file.get("db")
    if not db_value:
        raise UsageError("--db FILE is required (or db = ... in the config file)")
    listen_value = str(listen or env.get("NETCENSUS_LISTEN") or file.get("listen") or "127.0.0.1:50051")
    parse_listen(listen_value)
    rules_value = rules or file.get("rules")
    rules_dirs = tuple(Path(str(p)) for p in (rules_value if isinstance(rules_value, list) else [rules_value])) \
        if rules_value else (default_rules_dir(),)
    ghost = parse_duration(str(ghost_after or env.get("NETCENSUS_GHOST_AFTER") or file.get("ghost_after") or "14d"),
                           "--ghost-after")
    return ServeConfig(
        db=Path(str(db_value)), listen=listen_value, rules_dirs=rules_dirs, ghost_after=ghost,
        enrol_secret=_secret(env, "NETCENSUS_ENROL_SECRET", file.get("enrol_secret_file")),
        admin_token=_secret(env, "NETCENSUS_ADMIN_TOKEN", file.get("admin_token_file")),
        open_enrolment=bool(open_enrolment or file.get("open_enrolment")),
        refresh_interval=parse_duration(str(file.get("refresh_interval", "5m")), "refresh_interval"),
        max_message_bytes=int(_number(file.get("max_message_bytes", 64 * 1024 * 1024), "max_message_bytes",
                                      minimum=1024)),
        duckdb_threads=_whole(file.get("duckdb_threads", 0), "duckdb_threads"),
        workers=_workers(workers if workers is not None else env.get("NETCENSUS_WORKERS") or file.get("workers", 1)),
        vulns_dir=Path(str(file["vulns_dir"])) if file.get("vulns_dir") else None,
        vulns_interval=parse_duration(str(file.get("vulns_interval", "6h")), "vulns_interval"),
        ui_listen=_ui_listen(ui_listen or env.get("NETCENSUS_UI_LISTEN") or file.get("ui_listen")),
        ui_poll=_positive_duration(file.get("ui_poll", "1s"), "ui_poll"),
        **_enrolment(file),
        **_limits(file),
        **_transport(env, file, tls_cert=tls_cert, tls_key=tls_key, tls_client_ca=tls_client_ca, plaintext=plaintext,
                     metrics_listen=metrics_listen),
    )


def _ui_listen(value: object) -> str | None:
    """The dashboard's HOST:PORT, checked; None when not asked for."""
    if not value:
        return None
    parse_listen(str(value))
    return str(value)


def _transport(env: Mapping[str, str], file: Mapping[str, object], *, tls_cert: Path | None, tls_key: Path | None,
               tls_client_ca: Path | None, plaintext: bool, metrics_listen: str | None) -> dict[str, Any]:
    """TLS, plaintext consent, metrics endpoint and input limits, checked for consistency."""
    cert = _opt_path(tls_cert, env.get("NETCENSUS_TLS_CERT"), file.get("tls_cert"))
    key = _opt_path(tls_key, env.get("NETCENSUS_TLS_KEY"), file.get("tls_key"))
    client_ca = _opt_path(tls_client_ca, env.get("NETCENSUS_TLS_CLIENT_CA"), file.get("tls_client_ca"))
    if bool(cert) != bool(key):
        raise UsageError("--tls-cert and --tls-key go together")
    if client_ca and not cert:
        raise UsageError("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key")
    metrics = metrics_listen or env.get("NETCENSUS_METRICS_LISTEN") or file.get("metrics_listen")
    if metrics:
        parse_listen(str(metrics))
    return {
        "tls_cert": cert, "tls_key": key, "tls_client_ca": client_ca,
        "plaintext": bool(plaintext or file.get("plaintext")),
        "metrics_listen": str(metrics) if metrics else None,
        "rate_limit": _number(file.get("rate_limit", 200), "rate_limit"),
        "rate_burst": _number(file.get("rate_burst", 2000), "rate_burst", minimum=1),
        "max_queue": int(_number(file.get("max_queue", 20_000), "max_queue", minimum=1)),
    }


def resolve_client_token(token_file: Path | None, env: Mapping[str, str] | None = None) -> str | None:
    """The API token a `--collector HOST:PORT` command presents: --token-file, else NETCENSUS_TOKEN,
    else NETCENSUS_ADMIN_TOKEN (what earlier versions read). Never from argv, where every user of
    the machine could read it in the process list."""
    env = os.environ if env is None else env
    if token_file is not None:
        return read_secret_file(token_file, "token")
    return env.get("NETCENSUS_TOKEN") or env.get("NETCENSUS_ADMIN_TOKEN") or None


LIMIT_KEYS = ("handshake_timeout", "idle_timeout", "max_connections", "max_connections_per_peer",
              "max_concurrent_streams",
              "max_inflight_bytes", "query_threads", "query_queue")


def _positive_duration(value: object, what: str) -> timedelta:
    duration = parse_duration(str(value), what)
    if duration.total_seconds() <= 0:
        raise UsageError(f"{what}: must be more than 0 (e.g. 10s)")
    return duration


def _limits(file: Mapping[str, object]) -> dict[str, Any]:
    """The [collector] limits of the public port and the query pool (see ServeConfig)."""
    defaults = ServeConfig(db=Path(), listen="")
    return {
        "handshake_timeout": _positive_duration(file.get("handshake_timeout", "10s"), "handshake_timeout"),
        "idle_timeout": _positive_duration(file.get("idle_timeout", "5m"), "idle_timeout"),
        "max_connections": _whole(file.get("max_connections", defaults.max_connections), "max_connections"),
        "max_connections_per_peer": _whole(file.get("max_connections_per_peer", defaults.max_connections_per_peer),
                                           "max_connections_per_peer"),
        "max_concurrent_streams": _whole(file.get("max_concurrent_streams", defaults.max_concurrent_streams),
                                         "max_concurrent_streams", minimum=1),
        "max_inflight_bytes": _whole(file.get("max_inflight_bytes", defaults.max_inflight_bytes),
                                     "max_inflight_bytes", minimum=1024),
        "query_threads": _whole(file.get("query_threads", defaults.query_threads), "query_threads", minimum=1),
        "query_queue": _whole(file.get("query_queue", defaults.query_queue), "query_queue"),
    }
