"""Network interfaces and the host's own neighbour (ARP) table.

Live runs take addresses from psutil; a recorded root gives what sysfs files give (name, MAC,
state, speed, physical or virtual) and no addresses, which live only in the kernel's netlink
state. Whether an interface is virtual is decided from sysfs either way: a physical NIC has a
`device` link to its bus device (Documentation/ABI/testing/sysfs-class-net), while loopback,
bridges, veth, tun/tap, bonds and VLANs are all under /sys/devices/virtual and have none.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from agent.facts import _psutil
from agent.facts._fsutil import is_live, read_int, read_text
from agent.facts.model import Neighbour, NetworkInterface

SYS_NET = Path("sys/class/net")
PROC_ARP = Path("proc/net/arp")

# include/uapi/linux/if.h
_IFF_UP = 0x1
_IFF_LOOPBACK = 0x8

# include/uapi/linux/if_arp.h: ATF_COM = completed entry, ATF_PERM = permanent (static) entry.
_ATF_COM = 0x2
_ATF_PERM = 0x4


def normalise_mac(value: str) -> str:
    """Lower-case colon-separated MAC; "" for an all-zero or malformed address.

    Windows spells MACs "AA-BB-CC-DD-EE-FF"; loopback and tunnel devices report 00:00:00:00:00:00,
    which identifies nothing.
    """
    hexdigits = value.strip().lower().replace("-", ":").replace(".", "")
    parts = hexdigits.split(":")
    if len(parts) == 1 and len(hexdigits) == 12:
        parts = [hexdigits[i : i + 2] for i in range(0, 12, 2)]
    if len(parts) != 6 or not all(len(p) in (1, 2) for p in parts):
        return ""
    try:
        octets = [int(p, 16) for p in parts]
    except ValueError:
        return ""
    if not any(octets):
        return ""
    return ":".join(f"{o:02x}" for o in octets)


def to_cidr(address: str, netmask: str) -> str:
    """"ip/prefix" from an address and a dotted or colon netmask; "" if the address is unusable.

    psutil reports IPv6 link-local addresses with a "%iface" zone suffix and netmasks in address
    form ("ffff:ffff:ffff:ffff::"), which ipaddress does not accept as a prefix, so the prefix
    length is counted from the mask's bits.
    """
    ip_text = address.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(ip_text)
    except ValueError:
        return ""
    prefix: int = ip.max_prefixlen
    if netmask:
        try:
            mask = int(ipaddress.ip_address(netmask))
            prefix = bin(mask).count("1")
        except ValueError:
            if netmask.isdigit():
                prefix = int(netmask)
    return str(ipaddress.ip_interface(f"{ip}/{prefix}"))


def _sysfs_is_virtual(root: Path, name: str) -> bool | None:
    """True/False from the sysfs `device` link; None when sysfs is not there to ask (non-Linux)."""
    net = root / SYS_NET
    if not net.is_dir():
        return None
    # lexists: recorded fixtures may hold a dangling link, which still means "has a device".
    device = net / name / "device"
    return not (device.exists() or device.is_symlink())


def _from_sysfs(root: Path) -> tuple[NetworkInterface, ...]:
    result: list[NetworkInterface] = []
    for entry in sorted((root / SYS_NET).iterdir()):
        flags = 0
        try:
            flags = int(read_text(entry / "flags"), 16)
        except ValueError:
            flags = 0
        operstate = read_text(entry / "operstate")
        is_up = operstate == "up" or (operstate == "unknown" and bool(flags & _IFF_UP))
        loopback = bool(flags & _IFF_LOOPBACK) or entry.name == "lo"
        virtual = loopback or bool(_sysfs_is_virtual(root, entry.name))
        result.append(
            NetworkInterface(
                name=entry.name,
                mac=normalise_mac(read_text(entry / "address")),
                is_virtual=virtual,
                # `speed` reads -1 (or fails with EINVAL) when the link is down.
                speed_mbps=max(0, read_int(entry / "speed")),
                is_up=is_up,
            )
        )
    return tuple(result)


class NetworkCollector:
    """Interfaces with MAC, CIDR addresses, state, speed and virtual/physical."""

    name = "network"

    def is_present(self, root: Path) -> bool:
        """Live machines always have interfaces; a recorded root needs sys/class/net."""
        return is_live(root) or (root / SYS_NET).is_dir()

    def collect(self, root: Path) -> tuple[NetworkInterface, ...]:
        """psutil when live; sysfs attributes for a recorded root."""
        if not is_live(root):
            return _from_sysfs(root)
        result: list[NetworkInterface] = []
        for info in _psutil.interfaces():
            cidrs = [to_cidr(a.address, a.netmask) for a in info.addresses]
            sysfs_virtual = _sysfs_is_virtual(root, info.name)
            result.append(
                NetworkInterface(
                    name=info.name,
                    mac=normalise_mac(info.mac),
                    # IPv4 first, then IPv6, as `ip addr` lists them.
                    addresses=tuple(sorted((c for c in cidrs if c), key=lambda c: (":" in c, c))),
                    is_virtual=info.is_loopback or bool(sysfs_virtual),
                    speed_mbps=info.speed_mbps,
                    is_up=info.is_up,
                )
            )
        return tuple(result)


def parse_proc_arp(text: str) -> tuple[Neighbour, ...]:
    """Entries of /proc/net/arp (net/ipv4/arp.c arp_format_neigh_entry).

    Columns: IP address, HW type, Flags, HW address, Mask, Device. Entries still being resolved
    (flags 0x0, MAC 00:00:00:00:00:00) say nothing about a neighbour and are skipped. State is
    "static" for permanent entries (ATF_PERM) and "dynamic" otherwise, the vocabulary of
    IP-MIB ipNetToMediaType that SNMP-read router ARP caches use too.
    """
    result: list[Neighbour] = []
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 6:
            continue
        try:
            flags = int(cols[2], 16)
            ip = str(ipaddress.ip_address(cols[0]))
        except ValueError:
            continue
        mac = normalise_mac(cols[3])
        if not flags & (_ATF_COM | _ATF_PERM) or not mac:
            continue
        state = "static" if flags & _ATF_PERM else "dynamic"
        result.append(Neighbour(ip=ip, mac=mac, interface=cols[5], state=state))
    return tuple(result)


class NeighboursCollector:
    """The host's own IPv4 ARP table."""

    name = "neighbours"

    def is_present(self, root: Path) -> bool:
        """Only Linux exposes the table as a file."""
        return (root / PROC_ARP).is_file()

    def collect(self, root: Path) -> tuple[Neighbour, ...]:
        """Parse proc/net/arp."""
        return parse_proc_arp(read_text(root / PROC_ARP) + "\n")
