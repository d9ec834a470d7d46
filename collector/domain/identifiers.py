"""Normalisation and plausibility of identifiers (MACs, serials, UUIDs, host names).

The collector re-checks everything an agent or scanner sends: a misconfigured or hostile node must
not be able to merge unrelated assets by reporting a placeholder serial or a broadcast MAC.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

# Placeholder serials seen in the wild in SMBIOS type 1/2/3 strings (DMTF DSP0134 leaves them to the
# vendor: AMI/Insyde BIOS defaults, dmidecode bug reports, fwupd and systemd-hostnamed quirk lists, the
# GLPI/FusionInventory "invalid serial" list) and in asset registers. Compared after upper-casing and
# squeezing whitespace. The agent blanks the same values (agent/facts/identifiers.py): both lists are
# kept equal by tests/data/identity/vectors.json, which each side's tests read.
JUNK_SERIALS = frozenset({
    "", "0", "1", "123456", "12345678", "123456789", "1234567890", "0123456789", "SN12345678", "SERNUM0",
    "TO BE FILLED BY O.E.M.", "TO BE FILLED BY OEM", "DEFAULT STRING", "DEFAULT", "SYSTEM SERIAL NUMBER",
    "SYSTEM SERIAL", "SYSTEM PRODUCT NAME", "SYSTEM MANUFACTURER", "SYSTEM VERSION", "CHASSIS SERIAL NUMBER",
    "BASE BOARD SERIAL NUMBER", "SERIAL NUMBER", "SERIAL", "SN", "NO SERIAL", "NOT SPECIFIED", "NOT APPLICABLE",
    "NOT AVAILABLE", "NOT PRESENT", "NO ASSET INFORMATION", "TYPE1PRODUCTCONFIGID", "NONE", "N/A", "NA", "NULL",
    "UNKNOWN", "INVALID", "EMPTY", "OEM", "O.E.M.", "TBD", "TO BE FILLED", "NOT SET", "UNDEFINED",
})

# Separators ignored when deciding whether a value is one character repeated
# ("00000000", "FFFF-FFFF", "........", "xxxx xxxx"): such a value is never a real serial or UUID.
_SEPARATORS = re.compile(r"[\s\-_.:]")
# Values in angle brackets ("<private>", "<empty>": a device hiding or lacking the value) and dates
# ("2018-10-07", "10/07/2018": a manufacturing date where the serial belongs) are placeholders too;
# the agent applies the same patterns (agent/facts/identifiers.py).
_BRACKETED = re.compile(r"^<[^<>]*>$")
_DATE = re.compile(r"^(?:(?:19|20)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
                   r"|(?:0?[1-9]|[12]\d|3[01])([-/.])(?:0?[1-9]|[12]\d|3[01])\2(?:19|20)\d\d"
                   r"|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/\d\d)(?:[ T][\d:.]+)?$")

# System UUIDs firmware ships unfilled (besides one digit repeated, such as all-zero and all-F).
JUNK_UUIDS = frozenset({
    # AMI Aptio boards: the 16 bytes count 0x00..0x09. SMBIOS 2.6 and later read the first three
    # fields little-endian (dmidecode, Windows); older readers print the big-endian form below it.
    "03000200-0400-0500-0006-000700080009",
    "00020003-0004-0005-0006-000700080009",
    "12345678-1234-5678-90ab-cddeefaabbcc",  # a filler some OEM images carry
})

# Host names that many unrelated machines carry out of the box; never identity.
JUNK_HOSTNAMES = frozenset({
    "", "localhost", "localhost.localdomain", "ubuntu", "debian", "raspberrypi", "android",
    "iphone", "ipad", "dhcp", "unknown", "none", "host", "computer", "desktop", "laptop",
    "linux", "fedora", "centos", "kali", "user-pc", "admin-pc", "pc", "mac", "macbook", "router",
    "switch", "printer", "workstation", "default",
})

_MAC_HEX = re.compile(r"[0-9a-f]{12}")
_UUID_HEX = re.compile(r"[0-9a-f]{32}")


def normalise_mac(text: str) -> str:
    """Return a MAC in lower-case colon form, or "" when `text` is not a 48-bit MAC.

    Accepts the notations registers and devices use: 00:1B:21:3A:4F:5C, 00-1b-21-3a-4f-5c,
    001b.213a.4f5c (Cisco) and 001B213A4F5C.
    """
    digits = re.sub(r"[\s:.\-]", "", text.strip().lower())
    if not _MAC_HEX.fullmatch(digits):
        return ""
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def mac_class(mac: str) -> str:
    """The IEEE 802 class of a MAC as `normalise_mac` returns it ("" is "invalid").

    One of "global" (universally administered unicast: burnt into hardware), "local" (locally
    administered unicast: randomised phone and laptop MACs, VM and container bridges), "multicast",
    "broadcast", "zero" and "invalid". IEEE 802-2014 clause 8.2: bit 0x01 of the first octet marks
    group addresses (multicast, and broadcast as the all-ones group), bit 0x02 locally administered
    ones; a group address is "multicast" whatever its 0x02 bit says (33:33:… carries IPv6 multicast).
    The agent classifies the same way (agent/scan/classify.py); tests/data/identity/vectors.json
    holds both to it.
    """
    if not mac:
        return "invalid"
    if mac == "00:00:00:00:00:00":
        return "zero"
    if mac == "ff:ff:ff:ff:ff:ff":
        return "broadcast"
    first = int(mac[:2], 16)
    if first & 0x01:
        return "multicast"
    return "local" if first & 0x02 else "global"


def mac_is_identity(mac: str) -> bool:
    """True for a "global" MAC (see `mac_class`): the only class that identifies hardware."""
    return mac_class(mac) == "global"


# MACs that routers share for a virtual gateway: VRRP RFC 5798 section 7.3 (00-00-5E-00-01-{VRID} IPv4,
# 00-00-5E-00-02-{VRID} IPv6; OpenBSD's CARP uses the same), Cisco HSRP v1 0000.0c07.acXX and v2
# 0000.0c9f.fXXX, Cisco GLBP 0007.b400.XXYY. Two routers answer with one of them, so it never binds an
# address to one machine. The scanner refuses the same prefixes (agent/scan/binding.py; both are held to
# tests/data/identity/vectors.json).
_VIRTUAL_ROUTER_PREFIXES = ("00:00:5e:00:01:", "00:00:5e:00:02:", "00:00:0c:07:ac:", "00:00:0c:9f:f", "00:07:b4:00:")


def mac_is_virtual_router(mac: str) -> bool:
    """True for a MAC that first-hop redundancy protocols share between routers (see above)."""
    return mac.startswith(_VIRTUAL_ROUTER_PREFIXES)


def mac_binds(mac: str) -> bool:
    """True when a scanner's L2 binding to `mac` may join an observation to that MAC's machine."""
    return mac_is_identity(mac) and not mac_is_virtual_router(mac)


@lru_cache(maxsize=65_536)
def address_is_special(ip: str) -> bool:
    """Loopback, link-local, multicast, unspecified or the limited broadcast: never a device's address.

    Such an address is answered by the scanner itself, by every host that picked it (RFC 3927), or by
    many hosts at once; an observation of it names no machine and a sweep of it covers nothing.
    """
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return (addr.is_loopback or addr.is_link_local or addr.is_multicast or addr.is_unspecified
            or (addr.version == 4 and int(addr) == 0xFFFFFFFF))


def mac_is_local(mac: str) -> bool:
    """True for a locally administered (often randomised) unicast MAC."""
    return mac_class(mac) == "local"


def normalise_serial(text: str) -> str:
    """Upper-case, whitespace-squeezed serial; "" for placeholders and one character repeated."""
    serial = " ".join(text.split()).upper()
    if serial in JUNK_SERIALS or len(set(_SEPARATORS.sub("", serial))) <= 1 or _BRACKETED.match(serial) \
            or _DATE.match(serial):
        return ""
    return serial


def normalise_uuid(text: str) -> str:
    """Canonical lower-case 8-4-4-4-12 UUID; "" for placeholders and anything that is not a UUID.

    Accepts the spellings the agent accepts: braces, upper case, a "urn:uuid:" prefix, no hyphens
    (Windows and macOS spell UUIDs differently from the Linux kernel).
    """
    value = text.strip().lower().removeprefix("urn:").removeprefix("uuid:").strip("{}").replace("-", "")
    if not _UUID_HEX.fullmatch(value):
        return ""
    canonical = f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return "" if canonical in JUNK_UUIDS or len(set(value)) <= 1 else canonical


def normalise_hostname(text: str) -> str:
    """Lower-case short host name (the part before the first dot); "" for junk names."""
    name = text.strip().lower().rstrip(".")
    if not name:
        return ""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return ""  # an address where a name should be is not a name
    short = name.split(".", 1)[0]
    return "" if short in JUNK_HOSTNAMES or name in JUNK_HOSTNAMES else short


@lru_cache(maxsize=65_536)
def normalise_ip(text: str) -> str:
    """Canonical IP text (no prefix length); "" when invalid.

    Cached: every report of an agent repeats its addresses, and parsing one costs more than the
    rest of its handling."""
    value = text.strip().split("/", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""
