"""Agent configuration: argv > environment > TOML file > defaults, resolved once into frozen objects.

The only module of the agent that reads the environment. Secrets come from a file or an
environment variable and are never logged or echoed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.IGNORECASE)


def parse_seconds(text: str, what: str) -> float:
    """'15m', '1h', '30s', '1d' or plain seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ConfigError(f"{what}: {text!r} is not a duration (use e.g. 30s, 15m, 1h)")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[(match.group(2) or "s").lower()]


def _default_state_dir(env: Mapping[str, str]) -> Path:
    """/var/lib/netcensus-agent as root, else the user's XDG state directory."""
    if env.get("NETCENSUS_AGENT_STATE"):
        return Path(env["NETCENSUS_AGENT_STATE"])
    if os.geteuid() == 0:
        return Path("/var/lib/netcensus-agent")
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "netcensus-agent"


LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True, slots=True)
class AgentEnv:
    """The environment variables the agent honours, read once at start-up.

    Commands receive this value instead of looking at `os.environ` themselves, so the
    precedence (argv > environment > file > defaults) is decided here and tests pass a plain
    mapping to `read` instead of patching the process environment.
    """

    state_dir: Path                          # NETCENSUS_AGENT_STATE, else the per-user/root default
    log_level: str = "warning"               # NETCENSUS_LOG_LEVEL: default of --log-level
    debug: bool = False                      # NETCENSUS_DEBUG: show tracebacks of internal errors
    collector: str = ""                      # NETCENSUS_COLLECTOR
    enrol_secret: str = field(default="", repr=False)  # NETCENSUS_ENROL_SECRET; never logged
    ca: Path | None = None                   # NETCENSUS_CA
    cert: Path | None = None                 # NETCENSUS_CERT
    key: Path | None = None                  # NETCENSUS_KEY
    # SNMP secrets for `scan` (never on argv, never logged): a credentials file, or the values themselves.
    snmp_credentials: Path | None = None     # NETCENSUS_SNMP_CREDENTIALS: default of --snmp-credentials
    snmp_communities: tuple[str, ...] = field(default=(), repr=False)  # NETCENSUS_SNMP_COMMUNITIES (a,b) /
    #                                                                     NETCENSUS_SNMP_COMMUNITY (one)
    snmp_v3_user: str = ""                   # NETCENSUS_SNMP_V3_USER
    snmp_v3_auth_protocol: str = ""          # NETCENSUS_SNMP_V3_AUTH_PROTOCOL
    snmp_v3_auth_key: str = field(default="", repr=False)  # NETCENSUS_SNMP_V3_AUTH_KEY
    snmp_v3_priv_protocol: str = ""          # NETCENSUS_SNMP_V3_PRIV_PROTOCOL
    snmp_v3_priv_key: str = field(default="", repr=False)  # NETCENSUS_SNMP_V3_PRIV_KEY
    enterprises: Path | None = None          # NETCENSUS_ENTERPRISES: IANA enterprise-number registry file

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> AgentEnv:
        """Capture the agent's variables from `environ` (the process environment by default).

        Raises:
            ConfigError: NETCENSUS_LOG_LEVEL is not one of LOG_LEVELS.
        """
        env = os.environ if environ is None else environ
        level = env.get("NETCENSUS_LOG_LEVEL", "warning").lower()  # INFO worked before; keep it
        if level not in LOG_LEVELS:
            raise ConfigError(f"NETCENSUS_LOG_LEVEL={level!r}: use one of {', '.join(LOG_LEVELS)}")
        return cls(
            state_dir=_default_state_dir(env),
            log_level=level,
            debug=bool(env.get("NETCENSUS_DEBUG")),
            collector=env.get("NETCENSUS_COLLECTOR", ""),
            enrol_secret=env.get("NETCENSUS_ENROL_SECRET", ""),
            ca=_path(env.get("NETCENSUS_CA")),
            cert=_path(env.get("NETCENSUS_CERT")),
            key=_path(env.get("NETCENSUS_KEY")),
            snmp_credentials=_path(env.get("NETCENSUS_SNMP_CREDENTIALS")),
            snmp_communities=_communities(env),
            snmp_v3_user=env.get("NETCENSUS_SNMP_V3_USER", ""),
            snmp_v3_auth_protocol=env.get("NETCENSUS_SNMP_V3_AUTH_PROTOCOL", "").lower(),
            snmp_v3_auth_key=env.get("NETCENSUS_SNMP_V3_AUTH_KEY", ""),
            snmp_v3_priv_protocol=env.get("NETCENSUS_SNMP_V3_PRIV_PROTOCOL", "").lower(),
            snmp_v3_priv_key=env.get("NETCENSUS_SNMP_V3_PRIV_KEY", ""),
            enterprises=_path(env.get("NETCENSUS_ENTERPRISES")),
        )


def _communities(env: Mapping[str, str]) -> tuple[str, ...]:
    """NETCENSUS_SNMP_COMMUNITIES (comma-separated, tried in order), else NETCENSUS_SNMP_COMMUNITY (one).

    A community containing a comma goes in NETCENSUS_SNMP_COMMUNITY or a credentials file.
    """
    many = env.get("NETCENSUS_SNMP_COMMUNITIES", "")
    if many.strip():
        return tuple(c.strip() for c in many.split(",") if c.strip())
    one = env.get("NETCENSUS_SNMP_COMMUNITY", "").strip()
    return (one,) if one else ()


def env_secret(name: str) -> str:
    """The value of the environment variable a scan config names for a secret ("" when unset).

    Read when a sweep needs it, not captured in `AgentEnv`: the variable's name comes from the
    scan config file, and reading at use lets a long-running scanner pick up a rotated secret.
    """
    return os.environ.get(name, "")


def quiet_grpc() -> None:
    """Silence grpc's own stderr logging unless the user set GRPC_VERBOSITY: we report transport errors
    ourselves, in one line. grpc's C core reads the variable, so it must be set before grpc loads."""
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")


@dataclass(frozen=True, slots=True)
class Security:
    """Transport security of one collector connection, resolved from flags and config."""

    ca: Path | None = None          # CA bundle that signed the collector's certificate
    cert: Path | None = None        # our client certificate (mutual TLS)
    key: Path | None = None         # its private key
    tls: bool = False               # TLS with the system's roots even without --ca
    plaintext: bool = False         # explicit consent to plaintext off loopback
    server_name: str = ""           # expected name in the collector's certificate, when not the host dialled

    @property
    def uses_tls(self) -> bool:
        """True when the channel is encrypted."""
        return bool(self.tls or self.ca or self.cert or self.key)


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """What `netcensus-agent report` needs."""

    collector: str
    state_dir: Path
    interval_s: float = 3600.0
    jitter_s: float = 300.0
    timeout_s: float = 20.0
    enrol_secret: str = field(default="", repr=False)
    sources: tuple[str, ...] | None = None
    security: Security = field(default_factory=Security)
    spool_max_bytes: int = 256 * 1024 * 1024
    spool_max_reports: int = 100_000
    # After this many deltas the next host report is a full snapshot again.
    full_snapshot_every: int = 24
    # Above this resident size (MB) the daemon skips the heavy collectors for a cycle.
    memory_ceiling_mb: int = 80


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file as a dict; every failure a one-line ConfigError naming the file.

    The one reader of the agent's TOML files (config, scan schedules, SNMP credentials), so each says
    the same thing for the same fault, and none quotes the file's text (it may hold secrets): tomllib
    says what it expected and where ("at line 2, column 15"), never what it found."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such {what}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what} ({exc.strerror or type(exc).__name__})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc


def load_toml(path: Path | None) -> dict[str, object]:
    """The [agent] table of a TOML file; errors name the file."""
    if path is None:
        return {}
    data = read_toml(path, "config file")
    section = data.get("agent", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [agent] must be a table")
    known = {"collector", "state_dir", "interval", "jitter", "timeout", "enrol_secret_file", "sources",
             "ca", "cert", "key", "tls", "plaintext", "server_name", "spool_max_bytes", "spool_max_reports",
             "full_snapshot_every", "memory_ceiling"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)} in [agent] (known: {', '.join(sorted(known))})")
    return dict(section)


def enrol_secret(env: AgentEnv, file_value: object) -> str:
    """The enrolment secret from NETCENSUS_ENROL_SECRET or a file; "" when none (open enrolment)."""
    if env.enrol_secret:
        return env.enrol_secret
    if file_value:
        try:
            return Path(str(file_value)).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{file_value}: cannot read enrolment secret: {exc.strerror}") from exc
    return ""


def _path(value: object) -> Path | None:
    return Path(str(value)) if value else None


def resolve_security(*, ca: Path | None = None, cert: Path | None = None, key: Path | None = None,
                     plaintext: bool = False, tls: bool = False, server_name: str | None = None,
                     file: Mapping[str, object] | None = None, env: AgentEnv | None = None) -> Security:
    """TLS settings: flags > NETCENSUS_CA/CERT/KEY > [agent] ca/cert/key/tls/plaintext/server_name."""
    env = AgentEnv.read() if env is None else env
    file = file or {}
    return Security(
        ca=ca or env.ca or _path(file.get("ca")),
        cert=cert or env.cert or _path(file.get("cert")),
        key=key or env.key or _path(file.get("key")),
        tls=tls or bool(file.get("tls")),
        plaintext=plaintext or bool(file.get("plaintext")),
        server_name=server_name or str(file.get("server_name") or ""),
    )


def _positive_int(value: object, what: str) -> int:
    try:
        number = int(str(value))
    except ValueError as exc:
        raise ConfigError(f"{what}: {value!r} is not a whole number") from exc
    if number <= 0:
        raise ConfigError(f"{what}: must be positive")
    return number


def resolve_agent(*, collector: str | None, config: Path | None, state_dir: Path | None,
                  env: AgentEnv | None = None, ca: Path | None = None, cert: Path | None = None,
                  key: Path | None = None, plaintext: bool = False, tls: bool = False,
                  server_name: str | None = None) -> AgentConfig:
    """Merge argv, environment and file.

    The state directory is the one exception to argv > env > file: a `state_dir` in the file
    overrides NETCENSUS_AGENT_STATE (packaging/agent.toml.example documents it so).
    """
    env = AgentEnv.read() if env is None else env
    file = load_toml(config)
    target = collector or env.collector or file.get("collector")
    if not target:
        raise ConfigError("--collector HOST:PORT is required (or collector = ... in [agent] of --config)")
    sources = file.get("sources")
    return AgentConfig(
        collector=str(target),
        state_dir=state_dir or _path(file.get("state_dir")) or env.state_dir,
        interval_s=parse_seconds(str(file.get("interval", "1h")), "interval"),
        jitter_s=parse_seconds(str(file.get("jitter", "5m")), "jitter"),
        timeout_s=parse_seconds(str(file.get("timeout", "20s")), "timeout"),
        enrol_secret=enrol_secret(env, file.get("enrol_secret_file")),
        sources=tuple(str(s) for s in sources) if isinstance(sources, list) else None,
        security=resolve_security(ca=ca, cert=cert, key=key, plaintext=plaintext, tls=tls, server_name=server_name,
                                  file=file, env=env),
        spool_max_bytes=_positive_int(file.get("spool_max_bytes", 256 * 1024 * 1024), "spool_max_bytes"),
        spool_max_reports=_positive_int(file.get("spool_max_reports", 100_000), "spool_max_reports"),
        full_snapshot_every=_positive_int(file.get("full_snapshot_every", 24), "full_snapshot_every"),
        memory_ceiling_mb=_positive_int(file.get("memory_ceiling", 80), "memory_ceiling"),
    )
