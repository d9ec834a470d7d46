"""Host firewalls on Linux (nftables, iptables, ufw, firewalld) and macOS (the application firewall).

Two questions per mechanism: is it *enabled* (set up to load at boot: its systemd unit is
wanted by a target, or its own config says so) and is it *active* (rules are in the kernel
now, or its daemon runs). The live ruleset is kernel state that only netlink can read, so the
nftables part runs `nft -j list ruleset` (JSON schema in libnftables-json(5)); that needs
CAP_NET_ADMIN, and without it the answer is "enabled per config, activity unknown" with the
reason in `detail`. iptables rules loaded through the legacy x_tables interface are listed by
name in /proc/net/ip_tables_names and dumped by iptables-legacy-save; iptables-nft rules are
already part of the nftables ruleset. A recorded root only ever gives the configured side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.errors import CollectionError
from agent.facts import _exec, _procfs
from agent.facts._fsutil import is_live, read_text
from agent.facts.model import Firewall, Record

SYSTEMD_ETC = Path("etc/systemd/system")
NFT_CONFIGS = (Path("etc/nftables.conf"), Path("etc/sysconfig/nftables.conf"))
IPTABLES_CONFIGS = (Path("etc/iptables/rules.v4"), Path("etc/iptables/rules.v6"), Path("etc/sysconfig/iptables"),
                    Path("etc/sysconfig/ip6tables"))
IPTABLES_UNITS = ("netfilter-persistent.service", "iptables.service", "ip6tables.service")
LEGACY_TABLES = (Path("proc/net/ip_tables_names"), Path("proc/net/ip6_tables_names"))
UFW_CONF = Path("etc/ufw/ufw.conf")
UFW_RULES = (Path("etc/ufw/user.rules"), Path("etc/ufw/user6.rules"))
FIREWALLD_CONFS = (Path("etc/firewalld/firewalld.conf"), Path("usr/lib/firewalld"))
MACOS_ALF = Path("Library/Preferences/com.apple.alf.plist")


class Ruleset(Record):
    """Summary of a live nftables ruleset."""

    __slots__ = ("tables", "base_chains", "rules", "dropping_hooks", "chain_names", "table_names")  # noqa: RUF023
    tables: int
    base_chains: int
    rules: int
    dropping_hooks: tuple[str, ...]
    chain_names: frozenset[str]
    table_names: frozenset[str]

    def __init__(self, tables: int = 0, base_chains: int = 0, rules: int = 0, dropping_hooks: tuple[str, ...] = (),
                 chain_names: frozenset[str] = frozenset(), table_names: frozenset[str] = frozenset()) -> None:
        self._set_fields(tables, base_chains, rules, dropping_hooks, chain_names, table_names)

    @property
    def active(self) -> bool:
        """Rules loaded, or a base chain whose default policy drops (filtering with zero rules)."""
        return self.rules > 0 or bool(self.dropping_hooks)

    def describe(self) -> str:
        """One line such as "2 tables, 3 base chains, 14 rules, policy drop on input"."""
        text = f"{self.tables} tables, {self.base_chains} base chains, {self.rules} rules"
        if self.dropping_hooks:
            text += ", policy drop on " + "/".join(self.dropping_hooks)
        return text


def parse_nft_json(text: str) -> Ruleset:
    """Summarise `nft -j list ruleset` output; raises ValueError when it is not that JSON."""
    data = json.loads(text) if text.strip() else {"nftables": []}
    if not isinstance(data, dict) or not isinstance(data.get("nftables"), list):
        raise ValueError("not an nftables JSON document")  # noqa: TRY004 - callers treat bad input as ValueError
    tables = base = rules = 0
    dropping: list[str] = []
    chains: set[str] = set()
    table_names: set[str] = set()
    for obj in data["nftables"]:
        if not isinstance(obj, dict):
            continue
        if "table" in obj:
            tables += 1
            table_names.add(str(obj["table"].get("name", "")))
        elif "chain" in obj:
            chain: dict[str, Any] = obj["chain"]
            chains.add(str(chain.get("name", "")))
            if "hook" in chain:
                base += 1
                if chain.get("policy") == "drop" and chain.get("type", "filter") == "filter":
                    dropping.append(str(chain["hook"]))
        elif "rule" in obj:
            rules += 1
    return Ruleset(tables, base, rules, tuple(sorted(set(dropping))), frozenset(chains), frozenset(table_names))


def count_save_rules(text: str) -> int:
    """Rules in iptables-save / iptables-restore format: one "-A chain ..." line per rule."""
    return sum(1 for line in text.splitlines() if line.startswith("-A "))


def unit_enabled(root: Path, unit: str) -> bool:
    """True when some target wants the unit (a symlink in etc/systemd/system/*.wants/) and it is not masked."""
    base = root / SYSTEMD_ETC
    if not base.is_dir():
        return False
    masked = base / unit
    if masked.is_symlink():
        try:
            if str(masked.readlink()) == "/dev/null":
                return False
        except OSError:
            pass
    return any(wants.is_dir() and ((wants / unit).is_symlink() or (wants / unit).exists())
               for wants in base.glob("*.wants"))


def _live_nft() -> str:
    return _exec.run(["nft", "-j", "list", "ruleset"]).decode("utf-8", errors="replace")


def _live_legacy_save() -> str:
    tool = "iptables-legacy-save" if _exec.which("iptables-legacy-save") else "iptables-save"
    return _exec.run([tool]).decode("utf-8", errors="replace")


def _conf_value(text: str, key: str) -> str:
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            return value.strip().strip("\"'")
    return ""


class FirewallCollector:
    """One Firewall entry per mechanism that is configured, enabled or active."""

    name = "firewall"

    def __init__(self, nft_ruleset: Callable[[], str] | None = None,
                 legacy_save: Callable[[], str] | None = None) -> None:
        """Readers for the live kernel state; the defaults run nft / iptables-legacy-save.

        They are used only when `root` is the running machine; tests inject recorded output.
        """
        self._nft_ruleset = nft_ruleset or _live_nft
        self._legacy_save = legacy_save or _live_legacy_save

    def is_present(self, root: Path) -> bool:
        """Any Unix-like root: "no firewall" is itself an answer worth reporting."""
        return (root / "etc").is_dir() or (root / MACOS_ALF).is_file()

    def collect(self, root: Path) -> tuple[Firewall, ...]:
        """Check each mechanism; a live ruleset that cannot be read leaves `active` False with the reason."""
        live = is_live(root)
        ruleset: Ruleset | None = None
        ruleset_error = ""
        if live and _exec.which("nft"):
            try:
                ruleset = parse_nft_json(self._nft_ruleset())
            except CollectionError as exc:
                ruleset_error = f"live ruleset unreadable: {exc}"
            except ValueError as exc:
                ruleset_error = f"live ruleset unparsable: {exc}"
        legacy_text = ""
        legacy_tables = [t for rel in LEGACY_TABLES for t in read_text(root / rel).split()]
        if live and legacy_tables:
            try:
                legacy_text = self._legacy_save()
            except CollectionError as exc:
                ruleset_error = ruleset_error or f"legacy iptables unreadable: {exc}"

        result: list[Firewall] = []
        nft_conf = next((root / p for p in NFT_CONFIGS if (root / p).is_file()), None)
        nft_enabled = unit_enabled(root, "nftables.service")
        if ruleset is not None and (ruleset.tables or nft_enabled or nft_conf):
            result.append(Firewall("nftables", enabled=nft_enabled, active=ruleset.active, rules=ruleset.rules,
                                   detail=ruleset.describe()))
        elif nft_conf is not None or nft_enabled:
            result.append(Firewall("nftables", enabled=nft_enabled, active=False, detail=ruleset_error or (
                f"configured in /{nft_conf.relative_to(root)}" if nft_conf else "unit enabled, no config file")))

        ipt_configs = [root / p for p in IPTABLES_CONFIGS if (root / p).is_file()]
        ipt_enabled = any(unit_enabled(root, unit) for unit in IPTABLES_UNITS)
        if legacy_text or legacy_tables or ipt_configs or ipt_enabled:
            loaded = count_save_rules(legacy_text)
            configured = sum(count_save_rules(read_text(p)) for p in ipt_configs)
            detail = (f"legacy tables loaded: {', '.join(sorted(set(legacy_tables)))}" if legacy_tables
                      else "no legacy tables loaded")
            if ipt_configs:
                detail += f"; {configured} rules in " + ", ".join(f"/{p.relative_to(root)}" for p in ipt_configs)
            result.append(Firewall("iptables", enabled=ipt_enabled, active=loaded > 0, rules=loaded or configured,
                                   detail=detail))

        ufw_conf = read_text(root / UFW_CONF)
        if ufw_conf:
            enabled = _conf_value(ufw_conf, "ENABLED").lower() == "yes"
            rules = sum(read_text(root / p).count("### tuple ###") for p in UFW_RULES)
            chains_seen = (any(c.startswith("ufw") for c in ruleset.chain_names) if ruleset else False) or (
                ":ufw-" in legacy_text)
            result.append(Firewall("ufw", enabled=enabled, active=chains_seen, rules=rules,
                                   detail=f"ENABLED={'yes' if enabled else 'no'} in /{UFW_CONF}"))

        fwd_conf = next((root / p for p in FIREWALLD_CONFS if (root / p).exists()), None)
        if fwd_conf is not None:
            zone = _conf_value(read_text(root / FIREWALLD_CONFS[0]), "DefaultZone")
            # The process table is only read here: scanning /proc costs more than the rest of this
            # collector, and only firewalld is recognised by its daemon.
            running = {p.name for p in _procfs.processes(root)} if (root / _procfs.PROC).is_dir() else set()
            active = "firewalld" in running or (ruleset is not None and "firewalld" in ruleset.table_names)
            result.append(Firewall("firewalld", enabled=unit_enabled(root, "firewalld.service"), active=active,
                                   detail=f"default zone {zone}" if zone else ""))

        alf = root / MACOS_ALF
        if alf.is_file():
            import plistlib  # macOS only

            try:
                with alf.open("rb") as fh:
                    state = int(plistlib.load(fh).get("globalstate", 0))
            except (OSError, plistlib.InvalidFileException, ValueError, TypeError, AttributeError) as exc:
                raise CollectionError(f"{alf}: unreadable ({exc})") from exc
            # globalstate: 0 off, 1 on (allow signed/specific services), 2 block all incoming.
            result.append(Firewall("macos-alf", enabled=state > 0, active=state > 0,
                                   detail={0: "off", 1: "on", 2: "block all incoming"}.get(state, str(state))))
        return tuple(result)
