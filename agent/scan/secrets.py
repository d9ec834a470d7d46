"""Where SNMP secrets come from: a private credentials file or the environment, never argv.

Issue #14: every local user can read a process's command line (ps, /proc/PID/cmdline), so `scan`
refuses `--community` and takes communities and SNMPv3 users from a credentials file
(`--snmp-credentials FILE`, or NETCENSUS_SNMP_CREDENTIALS) or from environment variables (read by
agent.config, the only environment reader); a scheduled sweep names a variable or file per credential
(agent.scan.schedule). Every file holding a secret must be private to its owner: like ssh with a
private key, a group- or world-accessible file is refused, not warned about -- a warning in a scanner's
log is read after the secret has leaked. Messages name the file, variable or key, never a value.
The file format::

    # netcensus SNMP credentials (TOML); chmod 600
    communities = ["office-ro", "lab-ro"]   # v2c then v1, tried in this order

    [[v3]]                                   # zero or more SNMPv3 USM users
    user = "netcensus"
    auth_protocol = "sha256"
    auth_key = "at-least-8-chars"
    priv_protocol = "aes"
    priv_key = "at-least-8-chars"
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from agent.config import AgentEnv, read_toml
from agent.errors import ConfigError
from agent.scan.options import SnmpV3User

__all__ = ["SnmpSecrets", "check_private", "load_secrets_file", "resolve_secrets", "secrets_from_env"]

_V3_KEYS = ("user", "auth_protocol", "auth_key", "priv_protocol", "priv_key")


@dataclass(frozen=True, slots=True)
class SnmpSecrets:
    """Communities and v3 users from one place (a file or the environment); repr hides the communities."""

    communities: tuple[str, ...] = field(default=(), repr=False)
    v3_users: tuple[SnmpV3User, ...] = ()


def check_private(path: Path) -> None:
    """Refuse a secrets file that its group or other users can read or write.

    Raises:
        ConfigError: the file is missing, not a regular file, or its mode grants group/other access;
            the message says how to fix it and never shows the content.
    """
    try:
        st = path.stat()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read secrets file ({exc.strerror or type(exc).__name__})") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{path}: a secrets file must be a regular file")
    if st.st_mode & 0o077:
        raise ConfigError(f"{path}: secrets file is accessible to group or others (mode "
                          f"{stat.S_IMODE(st.st_mode):04o}); make it private with: chmod 600 {path}")


def _text(value: object, what: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {what} must be a non-empty string")
    return value.strip()


def load_secrets_file(path: Path) -> SnmpSecrets:
    """Read a credentials file (format in the module docstring), after `check_private`.

    Raises:
        ConfigError: unsafe mode, unreadable, not TOML, unknown keys or invalid v3 users; messages name
            the file and key, never a secret.
    """
    check_private(path)
    doc = read_toml(path, "secrets file")
    unknown = sorted(set(doc) - {"communities", "v3"})
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)} (allowed: communities, v3)")
    raw_communities = doc.get("communities", [])
    if not isinstance(raw_communities, list):
        raise ConfigError(f"{path}: communities must be a list of strings")
    communities = tuple(_text(c, f"communities[{i}]", str(path)) for i, c in enumerate(raw_communities))
    raw_users = doc.get("v3", [])
    if not isinstance(raw_users, list) or not all(isinstance(u, dict) for u in raw_users):
        raise ConfigError(f"{path}: v3 must be [[v3]] tables")
    users = []
    for i, raw in enumerate(raw_users, 1):
        where = f"{path}: [[v3]] #{i}"
        extra = sorted(set(raw) - set(_V3_KEYS))
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(_V3_KEYS)})")
        try:
            users.append(SnmpV3User(
                user=_text(raw.get("user"), "user", where),
                auth_protocol=str(raw.get("auth_protocol", "none")).lower(),
                auth_key=str(raw.get("auth_key", "")),
                priv_protocol=str(raw.get("priv_protocol", "none")).lower(),
                priv_key=str(raw.get("priv_key", ""))))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
    if not communities and not users:
        raise ConfigError(f"{path}: no credentials (give communities = [...] and/or [[v3]] users)")
    return SnmpSecrets(communities, tuple(users))


def secrets_from_env(env: AgentEnv) -> SnmpSecrets | None:
    """The NETCENSUS_SNMP_* variables as secrets; None when none is set.

    Raises:
        ConfigError: a v3 key or protocol without NETCENSUS_SNMP_V3_USER, or an invalid v3 user.
    """
    v3_parts = (env.snmp_v3_auth_protocol, env.snmp_v3_auth_key, env.snmp_v3_priv_protocol, env.snmp_v3_priv_key)
    users: tuple[SnmpV3User, ...] = ()
    if env.snmp_v3_user:
        try:
            users = (SnmpV3User(env.snmp_v3_user, env.snmp_v3_auth_protocol or "none", env.snmp_v3_auth_key,
                                env.snmp_v3_priv_protocol or "none", env.snmp_v3_priv_key),)
        except ConfigError as exc:
            raise ConfigError(f"NETCENSUS_SNMP_V3_*: {exc}") from exc
    elif any(v3_parts):
        raise ConfigError("NETCENSUS_SNMP_V3_* keys or protocols are set but NETCENSUS_SNMP_V3_USER is not")
    if not env.snmp_communities and not users:
        return None
    return SnmpSecrets(env.snmp_communities, users)


def resolve_secrets(file: Path | None, env: AgentEnv) -> SnmpSecrets | None:
    """argv's --snmp-credentials FILE, else NETCENSUS_SNMP_CREDENTIALS, else the NETCENSUS_SNMP_* values.

    None means nothing was given: the sweep keeps its default (community "public", no v3 user), which
    is no secret. A source that is given is used alone, never merged with another.
    """
    path = file or env.snmp_credentials
    if path is not None:
        return load_secrets_file(path)
    return secrets_from_env(env)
