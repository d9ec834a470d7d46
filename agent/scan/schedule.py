"""Scheduled sweeps from a TOML file: jobs, credentials by reference, interval with jitter.

Example (every key is checked; unknown keys are errors)::

    [defaults]                     # optional; any SweepOptions knob below, for every job
    rate_pps = 300
    time_budget = "10m"

    [[credential]]
    name = "office-v2c"
    type = "community"
    community_env = "NETCENSUS_COMMUNITY"       # or community_file = "/etc/netcensus/community"

    [[credential]]
    name = "core-v3"
    type = "v3"
    user = "netcensus"
    auth_protocol = "sha256"
    auth_key_env = "NETCENSUS_V3_AUTH"          # or auth_key_file
    priv_protocol = "aes256"
    priv_key_file = "/etc/netcensus/v3-priv"    # or priv_key_env

    [[job]]
    name = "office"
    targets = ["192.0.2.0/24"]
    methods = ["arp", "snmp"]
    credentials = ["office-v2c", "core-v3"]
    interval = "1h"
    jitter = "5m"
    exclude = ["192.0.2.1"]
    rate_pps = 200
    snmp_depth = "discovery"       # "inventory" (default): everything SNMP tells; "discovery": a quick
                                   # identity pass (system group, interface MACs, chassis serial/model)
    max_addresses_per_mac = 8      # a MAC answering ARP for more addresses binds none (proxy ARP)

Secrets never sit in the file: a credential names an environment variable or a file, which is
read when the job runs (so rotation needs no restart) and checked once at load time, so a typo
fails at start-up. A secret file must be private to its owner (chmod 600), else it is refused.
Error messages name the variable or file, never its content.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agent.config import env_secret, read_toml
from agent.errors import AgentError, ConfigError
from agent.scan.model import Method, ScanBatch
from agent.scan.options import PROFILES, SNMP_DEPTHS, SnmpV3User, SweepOptions
from agent.scan.registry import method_names, parse_methods
from agent.scan.secrets import check_private
from agent.scan.targets import parse_networks, parse_targets

log = logging.getLogger("netcensus.scan.schedule")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
# Knobs a job (or [defaults]) may set, with the SweepOptions field each maps to.
_OPTION_KEYS = {
    "interface": "interface", "rate_pps": "rate_pps", "retries": "retries", "timeout": "timeout_s",
    "time_budget": "time_budget_s", "profile": "profile", "nmap_args": "nmap_args", "nmap_dns": "nmap_dns",
    "snmp_concurrency": "snmp_concurrency", "snmp_all_addresses": "snmp_all_addresses",
    "snmp_depth": "snmp_depth", "max_addresses_per_mac": "max_addresses_per_mac",
}
_JOB_KEYS = {"name", "targets", "methods", "credentials", "interval", "jitter", "exclude", *_OPTION_KEYS}
_CRED_KEYS = {"name", "type", "community_env", "community_file", "user", "auth_protocol", "auth_key_env",
              "auth_key_file", "priv_protocol", "priv_key_env", "priv_key_file"}


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret lives: an environment variable or a file (first line, stripped)."""

    env: str = ""
    file: str = ""

    def describe(self) -> str:
        """Safe description for messages: the variable or path, never the value."""
        return f"environment variable {self.env}" if self.env else f"file {self.file}"

    def resolve(self) -> str:
        """Read the secret now.

        Raises:
            ConfigError: the variable is unset/empty or the file unreadable/empty.
        """
        if self.env:
            value = env_secret(self.env)
        else:
            try:
                if self.file:
                    check_private(Path(self.file))
                value = Path(self.file).read_text(encoding="utf-8").splitlines()[0] if self.file else ""
            except (OSError, IndexError, UnicodeDecodeError) as exc:
                raise ConfigError(f"cannot read secret {self.describe()}: {type(exc).__name__}") from exc
        value = value.strip()
        if not value:
            raise ConfigError(f"secret {self.describe()} is empty or not set")
        return value


@dataclass(frozen=True, slots=True)
class CredentialRef:
    """A named credential: a community or an SNMPv3 user, its secrets by reference."""

    name: str
    kind: str  # "community" | "v3"
    community: SecretRef | None = None
    user: str = ""
    auth_protocol: str = "none"
    auth_key: SecretRef | None = None
    priv_protocol: str = "none"
    priv_key: SecretRef | None = None


@dataclass(frozen=True, slots=True)
class ScanJob:
    """One scheduled sweep."""

    name: str
    targets: tuple[str, ...]
    methods: tuple[Method, ...]
    credentials: tuple[CredentialRef, ...]
    interval_s: float
    jitter_s: float
    options: SweepOptions  # without credentials; see job_options()


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """Everything a scan config file defines."""

    path: Path
    jobs: tuple[ScanJob, ...] = field(default_factory=tuple)


def parse_duration(value: Any, what: str) -> float:
    """Seconds from 90, 1.5, "90s", "15m", "1h", "1d" (ConfigError naming `what` otherwise)."""
    if isinstance(value, bool):
        raise ConfigError(f"{what}: expected a duration such as 90, \"15m\" or \"1h\", got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ConfigError(f"{what}: expected a duration such as 90, \"15m\" or \"1h\", got {value!r}")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds < 0:
        raise ConfigError(f"{what}: must not be negative")
    return seconds


def _secret(raw: Mapping[str, Any], key: str, where: str) -> SecretRef | None:
    env, file = raw.get(f"{key}_env"), raw.get(f"{key}_file")
    if env and file:
        raise ConfigError(f"{where}: give {key}_env or {key}_file, not both")
    if not env and not file:
        return None
    if not isinstance(env or file, str):
        raise ConfigError(f"{where}: {key}_env/{key}_file must be a string")
    ref = SecretRef(env=str(env or ""), file=str(file or ""))
    ref.resolve()  # fail at start-up, not at 3 a.m.
    return ref


def _credential(raw: Any, where: str) -> CredentialRef:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = set(raw) - _CRED_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: needs a name")
    where = f"credential {name!r}"
    kind = raw.get("type")
    if kind == "community":
        ref = _secret(raw, "community", where)
        if ref is None:
            raise ConfigError(f"{where}: needs community_env or community_file (communities are never inline)")
        return CredentialRef(name=name, kind="community", community=ref)
    if kind == "v3":
        user = raw.get("user")
        if not isinstance(user, str) or not user:
            raise ConfigError(f"{where}: needs a user")
        cred = CredentialRef(name=name, kind="v3", user=user,
                             auth_protocol=str(raw.get("auth_protocol", "none")).lower(),
                             auth_key=_secret(raw, "auth_key", where),
                             priv_protocol=str(raw.get("priv_protocol", "none")).lower(),
                             priv_key=_secret(raw, "priv_key", where))
        try:
            _v3_user(cred)  # validates protocols and key presence
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        return cred
    raise ConfigError(f"{where}: type must be \"community\" or \"v3\", got {kind!r}")


def _v3_user(cred: CredentialRef) -> SnmpV3User:
    return SnmpV3User(
        user=cred.user, auth_protocol=cred.auth_protocol,
        auth_key=cred.auth_key.resolve() if cred.auth_key else "",
        priv_protocol=cred.priv_protocol,
        priv_key=cred.priv_key.resolve() if cred.priv_key else "",
    )


def _options(raw: Mapping[str, Any], base: SweepOptions, where: str) -> SweepOptions:
    kw: dict[str, Any] = {}
    for key, attr in _OPTION_KEYS.items():
        if key not in raw:
            continue
        value = raw[key]
        if key in ("timeout", "time_budget"):
            value = parse_duration(value, f"{where}: {key}")
        elif key == "nmap_args":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: nmap_args must be a list of strings")
            value = tuple(value)
        elif key == "profile" and value not in PROFILES:
            raise ConfigError(f"{where}: profile must be one of {', '.join(sorted(PROFILES))}")
        elif key == "snmp_depth" and value not in SNMP_DEPTHS:
            raise ConfigError(f"{where}: snmp_depth must be \"inventory\" or \"discovery\", got {value!r}")
        elif key in ("rate_pps", "retries", "snmp_concurrency", "max_addresses_per_mac") and (
                not isinstance(value, int) or isinstance(value, bool)):
            raise ConfigError(f"{where}: {key} must be an integer")
        kw[attr] = value
    try:
        return replace(base, **kw)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _job(raw: Any, index: int, creds: Mapping[str, CredentialRef], defaults: SweepOptions) -> ScanJob:
    where = f"job #{index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: needs a name")
    where = f"job {name!r}"
    unknown = set(raw) - _JOB_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    targets = raw.get("targets")
    if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
        raise ConfigError(f"{where}: targets must be a non-empty list of CIDRs/addresses")
    exclude = raw.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise ConfigError(f"{where}: exclude must be a list of addresses/CIDRs")
    try:
        parse_networks(exclude)
        parse_targets(targets, exclude, resolve=False)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    methods_raw = raw.get("methods", ["arp", "snmp"])
    if not isinstance(methods_raw, list):
        raise ConfigError(f"{where}: methods must be a list of {method_names()}")
    try:
        methods = parse_methods(methods_raw)
    except ConfigError as exc:
        raise ConfigError(f"{where}: methods: {exc}") from exc
    cred_names = raw.get("credentials", [])
    if not isinstance(cred_names, list):
        raise ConfigError(f"{where}: credentials must be a list of credential names")
    missing = [c for c in cred_names if c not in creds]
    if missing:
        raise ConfigError(f"{where}: unknown credential(s) {', '.join(map(str, missing))}")
    if Method.SNMP in methods and not cred_names:
        raise ConfigError(f"{where}: the snmp method needs at least one credential")
    interval = parse_duration(raw.get("interval", "1h"), f"{where}: interval")
    if interval < 60:
        raise ConfigError(f"{where}: interval must be at least 60s (sweeps are not a monitoring loop)")
    jitter = parse_duration(raw.get("jitter", 0), f"{where}: jitter")
    if jitter >= interval:
        raise ConfigError(f"{where}: jitter must be shorter than the interval")
    opts = _options(raw, replace(defaults, exclude=tuple(exclude), communities=()), where)
    return ScanJob(name=name, targets=tuple(targets), methods=methods,
                   credentials=tuple(creds[c] for c in cred_names), interval_s=interval, jitter_s=jitter,
                   options=opts)


def _parse_document(doc: dict[str, Any]) -> list[ScanJob]:
    unknown = set(doc) - {"defaults", "credential", "job"}
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {', '.join(sorted(unknown))} (use defaults, credential, job)")
    defaults_raw = doc.get("defaults", {})
    if not isinstance(defaults_raw, dict):
        raise ConfigError("[defaults] must be a table")
    bad = set(defaults_raw) - set(_OPTION_KEYS)
    if bad:
        raise ConfigError(f"[defaults]: unknown key(s) {', '.join(sorted(bad))}")
    defaults = _options(defaults_raw, SweepOptions(), "[defaults]")
    creds: dict[str, CredentialRef] = {}
    for i, raw in enumerate(doc.get("credential", []), 1):
        cred = _credential(raw, f"credential #{i}")
        if cred.name in creds:
            raise ConfigError(f"credential {cred.name!r}: defined twice")
        creds[cred.name] = cred
    jobs_raw = doc.get("job", [])
    if not isinstance(jobs_raw, list) or not jobs_raw:
        raise ConfigError("no [[job]] defined")
    jobs = [_job(raw, i, creds, defaults) for i, raw in enumerate(jobs_raw, 1)]
    names = [j.name for j in jobs]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ConfigError(f"job name(s) used twice: {', '.join(sorted(dup))}")
    return jobs


def load_scan_config(path: Path) -> ScanConfig:
    """Load and validate a scan config file.

    Raises:
        ConfigError: one line, "<file>: <what is wrong>", never containing a secret.
    """
    doc = read_toml(path, "scan config")
    try:
        jobs = _parse_document(doc)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return ScanConfig(path=path, jobs=tuple(jobs))


def job_options(job: ScanJob) -> SweepOptions:
    """The job's SweepOptions with its secrets read now (rotation needs no restart)."""
    communities = tuple(c.community.resolve() for c in job.credentials if c.kind == "community" and c.community)
    users = tuple(_v3_user(c) for c in job.credentials if c.kind == "v3")
    return replace(job.options, communities=communities, v3_users=users)


def run_job(job: ScanJob, sink: Callable[[ScanBatch], None], *, stop: threading.Event,
            progress: Callable[[str], None] | None = None) -> None:
    """Run one sweep of a job, handing every batch to `sink`; stops early if `stop` is set.

    `progress` gets the sweep's one-line progress messages prefixed with the job's name (default: the
    debug log, which is where a scheduled scanner's progress belongs).
    """
    from agent.scan.sweep import sweep

    def report(msg: str) -> None:
        if progress is not None:
            progress(f"job {job.name}: {msg}")
        else:
            log.debug("job %s: %s", job.name, msg)

    batches = sweep(job.targets, methods=job.methods, options=job_options(job), progress=report)
    try:
        for batch in batches:
            sink(batch)
            if stop.is_set():
                break
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def run_schedule(
    config: ScanConfig,
    sink: Callable[[ScanBatch], None],
    *,
    stop: threading.Event,
    once: bool,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    progress: Callable[[str], None] | None = None,
    on_failure: Callable[[str], None] | None = None,
) -> list[str]:
    """Run the config's jobs: each once (once=True), or forever on its interval until `stop`.

    Start times are spread by a random share of each job's jitter so that many scanners with
    the same config do not sweep at the same moment. A failing job (bad secret at run time,
    scanner trouble, a sink error) is logged with its name and retried at its next slot; the
    other jobs go on. `progress` is handed to run_job; `on_failure` gets each failure as one line
    ("scan job NAME: reason"), so the scanner can tell the collector its last error.

    Returns:
        The names of the runs that failed, in order (for the one-line summary of `scan --once`).
    """
    failed: list[str] = []
    rand = rng or random.Random()
    now = clock()
    due = {job.name: now + (0.0 if once else rand.uniform(0, job.jitter_s)) for job in config.jobs}
    jobs = {job.name: job for job in config.jobs}
    while not stop.is_set():
        name = min(due, key=lambda n: due[n]) if due else None
        if name is None:
            return failed
        wait = due[name] - clock()
        if wait > 0 and stop.wait(wait):
            return failed
        job = jobs[name]
        log.info("scan job %s: starting (%s; %s)", name, ", ".join(job.targets),
                 ",".join(m.value for m in job.methods))
        try:
            run_job(job, sink, stop=stop, progress=progress)
        except AgentError as exc:
            log.error("scan job %s: %s", name, exc)
            failed.append(name)
            if on_failure is not None:
                on_failure(f"scan job {name}: {exc}")
        except Exception as exc:  # noqa: BLE001 — a sink or scanner bug must not end the scheduler
            log.error("scan job %s failed: %s: %s", name, type(exc).__name__, exc)
            failed.append(name)
            if on_failure is not None:
                on_failure(f"scan job {name} failed: {type(exc).__name__}: {exc}")
        if once:
            del due[name]
        else:
            due[name] = clock() + job.interval_s + rand.uniform(0, job.jitter_s)
    return failed
