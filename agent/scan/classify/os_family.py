"""Which operating system family a device runs, from its sysObjectID and sysDescr.

An OS family is not a device type (a Linux box may be an access point, a PDU or a NAS); it is kept
apart so that nothing mistakes one for the other.
"""

from __future__ import annotations

import re

# NET-SNMP-TC netSnmpAgentOIDs: the agent's build platform (1.3.6.1.4.1.8072.3.2.<n>), and the
# LanMgr-Mib-II-MIB subtree Microsoft's SNMP service answers with.
_OID_FAMILY: tuple[tuple[str, str], ...] = (
    ("1.3.6.1.4.1.8072.3.2.10", "linux"),
    ("1.3.6.1.4.1.8072.3.2.8", "bsd"),
    ("1.3.6.1.4.1.8072.3.2.3", "solaris"),
    ("1.3.6.1.4.1.8072.3.2.16", "macos"),
    ("1.3.6.1.4.1.2021.250.10", "linux"),  # UCD-SNMP-MIB ucdSnmpAgent linux
    ("1.3.6.1.4.1.311", "windows"),
    ("1.3.6.1.4.1.6876", "esxi"),          # VMWARE-ROOT-MIB
)

# sysDescr words, first match wins.
_DESCR_FAMILY: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.IGNORECASE), f) for p, f in (
    (r"adaptive security appliance|\bfirepower\b", "asa"),
    (r"\bnx-os\b", "nx-os"),
    (r"\bios[ -]?xr\b", "ios-xr"),
    (r"\bcisco ios\b|\bios[ -]?xe\b|\bios \(tm\)", "cisco-ios"),
    (r"\bjunos\b", "junos"),
    (r"\bscreenos\b", "screenos"),
    (r"\bfortios\b|\bfortigate\b", "fortios"),
    (r"\bpan-os\b", "pan-os"),
    (r"\brouteros\b", "routeros"),
    (r"\b(arista|eos)\b.*\bversion\b|\barista networks eos\b", "eos"),
    (r"\bvmware esxi?\b", "esxi"),
    (r"\bwindows\b", "windows"),
    (r"\bdarwin\b|\bmac ?os\b", "macos"),
    (r"\bvyatta\b|\bvyos\b", "vyatta"),
    (r"\blinux\b", "linux"),
    (r"\b(freebsd|openbsd|netbsd)\b", "bsd"),
    (r"\b(sunos|solaris)\b", "solaris"),
    (r"\baix\b", "aix"),
))


def os_family(sys_object_id: str = "", sys_descr: str = "") -> str:
    """The OS family the device's own words name ("" when they name none); sysDescr before the OID."""
    for pattern, family in _DESCR_FAMILY:
        if pattern.search(sys_descr):
            return family
    oid = sys_object_id.strip().lstrip(".")
    best = ("", "")
    for prefix, family in _OID_FAMILY:
        if (oid == prefix or oid.startswith(prefix + ".")) and len(prefix) > len(best[0]):
            best = (prefix, family)
    return best[1]
