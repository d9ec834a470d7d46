"""Sweep options: one frozen value resolved once by the caller (CLI or schedule).

Credentials live here as plain values because the sweep needs them; they are never part of a
ScanBatch, never logged, and `repr()` hides them so an accidental log line cannot leak them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.errors import ConfigError

# SNMPv3 USM protocol names we accept, spelled the way net-snmp's `snmpbulkwalk -a/-x` spells them
# (lower-cased), so an operator can copy them from a working net-snmp command line.
AUTH_PROTOCOLS = frozenset({"none", "md5", "sha", "sha224", "sha256", "sha384", "sha512"})
# "aes192"/"aes256" use the Blumenthal key extension (draft-blumenthal-aes-usm-04, what net-snmp
# calls AES192/AES256); "aes192c"/"aes256c" use the Reeder key extension borrowed from the 3DES
# draft (draft-reeder-snmpv3-usm-3desede-00), which Cisco IOS implements (net-snmp "AES256C").
PRIV_PROTOCOLS = frozenset({"none", "des", "3des", "aes", "aes128", "aes192", "aes256", "aes192c", "aes256c"})
PROFILES = frozenset({"discovery", "ports", "os"})
# A MAC answering ARP for more than this many addresses of one sweep binds none of them (proxy ARP
# or a gateway answering for what is behind it); see agent/scan/binding.py.
MAX_ADDRESSES_PER_MAC = 8
# How much an SNMP sweep reads from each device (SweepOptions.snmp_depth).
SNMP_DEPTHS = ("inventory", "discovery")


@dataclass(frozen=True, slots=True)
class SnmpV3User:
    """One SNMPv3 USM user (RFC 3414). Keys are pass phrases; empty means that level is unused."""

    user: str
    auth_protocol: str = "none"
    auth_key: str = field(default="", repr=False)
    priv_protocol: str = "none"
    priv_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        """Reject unknown protocol names early, with a message that names the allowed ones."""
        if not self.user:
            raise ConfigError("snmp v3 user: empty user name")
        if self.auth_protocol not in AUTH_PROTOCOLS:
            raise ConfigError(
                f"snmp v3 user {self.user}: unknown auth protocol {self.auth_protocol!r} "
                f"(use one of {', '.join(sorted(AUTH_PROTOCOLS))})"
            )
        if self.priv_protocol not in PRIV_PROTOCOLS:
            raise ConfigError(
                f"snmp v3 user {self.user}: unknown priv protocol {self.priv_protocol!r} "
                f"(use one of {', '.join(sorted(PRIV_PROTOCOLS))})"
            )
        if self.priv_protocol != "none" and self.auth_protocol == "none":
            # RFC 3414 §3.1.2.1: privacy without authentication is not a valid security level.
            raise ConfigError(f"snmp v3 user {self.user}: privacy needs an auth protocol too")
        # RFC 3414 §11.2: pass phrases shorter than 8 octets are refused by compliant agents.
        for what, proto, key in (("auth", self.auth_protocol, self.auth_key),
                                 ("priv", self.priv_protocol, self.priv_key)):
            if proto != "none" and len(key) < 8:
                raise ConfigError(f"snmp v3 user {self.user}: {what} key must be at least 8 characters")

    @property
    def level(self) -> str:
        """The USM security level name (noAuthNoPriv, authNoPriv, authPriv)."""
        if self.priv_protocol != "none":
            return "authPriv"
        if self.auth_protocol != "none":
            return "authNoPriv"
        return "noAuthNoPriv"


@dataclass(frozen=True, slots=True)
class SweepOptions:
    """Everything a sweep needs besides its targets and methods.

    Attributes:
        communities: SNMPv1/v2c communities, tried in order (fast pass, then patient pass).
        v3_users: SNMPv3 users, tried after the communities.
        interface: interface for ARP; None means "the one the route to the target uses".
        rate_pps: packet rate ceiling for ARP and nmap (`--max-rate`). The default, 2000/s, is
            about 1 Mbit/s of 60-octet ARP broadcasts; an ARP sweep asks every silent address
            1 + retries times, so a /24 takes ~0.4 s, a /20 ~6 s (nmap -sn -PR: ~13 s in the lab)
            and the largest accepted target, a /16, ~100 s -- within the default time budget,
            which 500/s (~400 s for a /16) was not.
        retries: extra attempts for unanswered probes (ARP requests, SNMP requests).
        timeout_s: how long to wait for one answer.
        time_budget_s: the whole sweep's wall-clock budget; unfinished targets get a status.
        exclude: addresses/CIDRs never probed.
        nmap_args: extra nmap arguments appended to the profile's.
        profile: "discovery" (ping sweep), "ports" (top ports + versions) or "os" (adds -O).
        nmap_dns: let nmap reverse-resolve names (sends DNS queries to the system's resolvers).
        snmp_concurrency: how many devices are queried over SNMP at once.
        snmp_max_rows: cap on varbinds read from one subtree, so an endless table cannot stall us.
        snmp_all_addresses: with discovery methods present, SNMP normally queries only live hosts
            plus single-host targets; True queries every address (finds ICMP/ARP-silent devices).
        snmp_depth: how much SNMP reads from each device. "inventory" (the default) reads
            everything: system group, interfaces with speed and state, IP addresses, ARP caches,
            bridge forwarding tables, ENTITY-MIB chassis, HOST-RESOURCES system and installed
            software, LLDP neighbours. "discovery" is a quick identity pass, like FusionInventory's
            netdiscovery: system group, interfaces' names, types and MACs, IP addresses, and the
            chassis' serial/model/manufacturer -- enough for identity, vendor and device type
            (classified as in an inventory), without the tables that say what a device sees or runs.
        max_addresses_per_mac: a MAC that answered ARP for more than this many addresses of the
            sweep binds none of them to what answered SNMP/nmap there (proxy ARP; binding.py).
    """

    communities: tuple[str, ...] = field(default=("public",), repr=False)
    v3_users: tuple[SnmpV3User, ...] = ()
    interface: str | None = None
    rate_pps: int = 2000
    retries: int = 2
    timeout_s: float = 1.0
    time_budget_s: float = 300.0
    exclude: tuple[str, ...] = ()
    nmap_args: tuple[str, ...] = ()
    profile: str = "discovery"
    nmap_dns: bool = False
    snmp_concurrency: int = 64
    snmp_max_rows: int = 20000
    snmp_all_addresses: bool = False
    snmp_depth: str = "inventory"
    max_addresses_per_mac: int = MAX_ADDRESSES_PER_MAC

    def __post_init__(self) -> None:
        """Validate ranges once, so the scanners can trust their inputs."""
        if self.rate_pps <= 0:
            raise ConfigError(f"rate_pps must be positive, got {self.rate_pps}")
        if self.retries < 0:
            raise ConfigError(f"retries must be >= 0, got {self.retries}")
        if self.timeout_s <= 0:
            raise ConfigError(f"timeout_s must be positive, got {self.timeout_s}")
        if self.time_budget_s <= 0:
            raise ConfigError(f"time_budget_s must be positive, got {self.time_budget_s}")
        if self.profile not in PROFILES:
            raise ConfigError(f"unknown nmap profile {self.profile!r} (use discovery, ports or os)")
        if self.snmp_concurrency <= 0:
            raise ConfigError(f"snmp_concurrency must be positive, got {self.snmp_concurrency}")
        if self.max_addresses_per_mac <= 0:
            raise ConfigError(f"max_addresses_per_mac must be positive, got {self.max_addresses_per_mac}")
        if self.snmp_depth not in SNMP_DEPTHS:
            raise ConfigError(f"snmp_depth must be \"inventory\" or \"discovery\", got {self.snmp_depth!r}")
