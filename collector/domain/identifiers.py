"""Normalisation and plausibility of identifiers (MACs, serials, UUIDs, host names).

The collector re-checks everything an agent or scanner sends: a misconfigured or hostile node must
not be able to merge unrelated assets by reporting a placeholder serial or a broadcast MAC.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

# Placeholder serials seen in the wild from SMBIOS (DMTF DSP0134 leaves them to the vendor) and from
# asset registers. Compared after upper-casing and squeezing whitespace.
JUNK_SERIALS = frozenset({
    "", "0", "00000000", "0000000000", "000000000000", "1234567890", "123456789", "0123456789",
    "TO BE FILLED BY O.E.M.", "TO BE FILLED BY OEM", "DEFAULT STRING", "SYSTEM SERIAL NUMBER",
    "CHASSIS SERIAL NUMBER", "BASE BOARD SERIAL NUMBER", "NOT SPECIFIED", "NOT APPLICABLE", "NONE",
    "N/A", "NA", "NULL", "UNKNOWN", "INVALID", "SERIAL", "SN", "XXXXXXXXXX", "OEM", "O.E.M.",
    "EMPTY", "NO SERIAL", "SYSTEM SERIAL", "123456", "-", "TBD",
})

JUNK_UUIDS = frozenset({
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "03000200-0400-0500-0006-000700080009",  # common AMI/Gigabyte placeholder
    "12345678-1234-5678-90ab-cddeefaabbcc",
})

# Host names that many unrelated machines carry out of the box; never identity.
JUNK_HOSTNAMES = frozenset({
    "", "localhost", "localhost.localdomain", "ubuntu", "debian", "raspberrypi", "android",
    "iphone", "ipad", "dhcp", "unknown", "none", "host", "computer", "desktop", "laptop",
    "linux", "fedora", "centos", "kali", "user-pc", "admin-pc", "pc", "mac", "macbook", "router",
    "switch", "printer", "workstation", "default",
})

_MAC_HEX = re.compile(r"[0-9a-f]{12}")


def normalise_mac(text: str) -> str:
    """Return a MAC in lower-case colon form, or "" when `text` is not a 48-bit MAC.

    Accepts the notations registers and devices use: 00:1B:21:3A:4F:5C, 00-1b-21-3a-4f-5c,
    001b.213a.4f5c (Cisco) and 001B213A4F5C.
    """
    digits = re.sub(r"[\s:.\-]", "", text.strip().lower())
    if not _MAC_HEX.fullmatch(digits):
        return ""
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def mac_is_identity(mac: str) -> bool:
    """True for a universally administered unicast MAC that is not all-zero.

    IEEE 802-2014 clause 8.2: bit 0x01 of the first octet marks group (multicast/broadcast)
    addresses, bit 0x02 locally administered ones (randomised phone and laptop MACs, VM and
    container bridges) — neither identifies hardware.
    """
    if not mac or mac == "00:00:00:00:00:00":
        return False
    first = int(mac[:2], 16)
    return not first & 0x01 and not first & 0x02


def mac_is_local(mac: str) -> bool:
    """True for a locally administered (often randomised) unicast MAC."""
    return bool(mac) and bool(int(mac[:2], 16) & 0x02) and not int(mac[:2], 16) & 0x01


def normalise_serial(text: str) -> str:
    """Upper-case, whitespace-squeezed serial; "" for placeholders."""
    serial = " ".join(text.split()).upper()
    if serial in JUNK_SERIALS or len(set(serial.replace("-", ""))) <= 1:
        return ""
    return serial


def normalise_uuid(text: str) -> str:
    """Canonical lower-case UUID; "" for placeholders and anything that is not a UUID."""
    value = text.strip().lower().strip("{}")
    if not re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value):
        return ""
    return "" if value in JUNK_UUIDS else value


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
