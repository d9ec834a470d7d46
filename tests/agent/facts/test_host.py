"""Host name, OS, CPU, memory, boot time, interfaces and ARP table from recorded files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.facts.host import HostNameCollector, fqdn_from_hosts
from agent.facts.model import Cpu, Neighbour, NetworkInterface, OsInfo
from agent.facts.network import NeighboursCollector, NetworkCollector, normalise_mac, parse_proc_arp, to_cidr
from agent.facts.osinfo import OsCollector, parse_os_release
from agent.facts.system import BootTimeCollector, CpuCollector, MemoryCollector, parse_cpuinfo

MakeRoot = Callable[[str], Path]


def test_hostname_and_fqdn_from_hosts(make_root: MakeRoot) -> None:
    names = HostNameCollector().collect(make_root("debian-desktop"))
    assert (names.hostname, names.fqdn) == ("ws-0142", "ws-0142.corp.example.com")


def test_dotted_hostname_file_gives_fqdn(make_root: MakeRoot) -> None:
    names = HostNameCollector().collect(make_root("whitebox-server"))
    assert (names.hostname, names.fqdn) == ("db-07", "db-07.dc1.example.net")


def test_no_fqdn_when_hosts_has_none(make_root: MakeRoot) -> None:
    names = HostNameCollector().collect(make_root("qemu-vm"))
    assert (names.hostname, names.fqdn) == ("build-agent-3", "")


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        ("127.0.1.1 web1.example.org web1\n", "web1.example.org"),
        ("127.0.1.1 web1 web1.example.org # comment\n", "web1.example.org"),
        ("127.0.0.1 localhost.localdomain localhost web1\n", ""),
        ("# 127.0.1.1 web1.example.org web1\n", ""),
        ("10.0.0.5 web10.example.org web10\n", ""),
        ("127.0.0.1 web1\n", ""),
    ],
)
def test_fqdn_from_hosts(hosts: str, expected: str) -> None:
    assert fqdn_from_hosts(hosts, "web1") == expected


def test_os_release_recorded(make_root: MakeRoot) -> None:
    info = OsCollector().collect(make_root("debian-desktop"))
    assert info == OsInfo(family="linux", name="Debian GNU/Linux", version="12", kernel="6.1.0-21-amd64",
                          arch="x86_64", id="debian")
    rocky = OsCollector().collect(make_root("whitebox-server"))
    assert (rocky.name, rocky.version, rocky.id) == ("Rocky Linux", "9.3", "rocky")


def test_os_release_quoting() -> None:
    parsed = parse_os_release(
        '# comment\nNAME="Foo \\"Bar\\" Linux"\nID=foo\nVERSION=\'1.0 (x)\'\nBROKEN="unterminated\n\n'
    )
    assert parsed["NAME"] == 'Foo "Bar" Linux'
    assert parsed["ID"] == "foo"
    assert parsed["VERSION"] == "1.0 (x)"
    assert parsed["BROKEN"] == "unterminated"


def test_usr_lib_os_release_fallback(tmp_path: Path) -> None:
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/lib/os-release").write_text("NAME=Fedora\nID=fedora\nVERSION_ID=40\n")
    collector = OsCollector()
    assert collector.is_present(tmp_path)
    assert collector.collect(tmp_path).id == "fedora"


def test_macos_system_version(tmp_path: Path) -> None:
    import plistlib

    path = tmp_path / "System/Library/CoreServices/SystemVersion.plist"
    path.parent.mkdir(parents=True)
    path.write_bytes(plistlib.dumps({"ProductName": "macOS", "ProductVersion": "14.4.1",
                                     "ProductBuildVersion": "23E224"}))
    info = OsCollector().collect(tmp_path)
    assert (info.family, info.name, info.version, info.id) == ("macos", "macOS", "14.4.1", "macos")


def test_cpu_memory_boot_from_procfs(make_root: MakeRoot) -> None:
    root = make_root("debian-desktop")
    assert CpuCollector().collect(root) == Cpu(model="11th Gen Intel(R) Core(TM) i7-11700 @ 2.50GHz",
                                               cores=8, threads=16)
    assert MemoryCollector().collect(root) == 32588920 * 1024
    assert BootTimeCollector().collect(root) == datetime.fromtimestamp(1718000000, tz=UTC)


def test_cpuinfo_two_sockets() -> None:
    text = (Path(__file__).parent.parent.parent / "data/agent/roots/whitebox-server/proc/cpuinfo").read_text()
    assert parse_cpuinfo(text) == Cpu(model="Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz", cores=2, threads=2)


def test_cpuinfo_arm_without_core_ids() -> None:
    text = (
        "processor\t: 0\nBogoMIPS\t: 108.00\n\nprocessor\t: 1\nBogoMIPS\t: 108.00\n\n"
        "Model\t\t: Raspberry Pi 4 Model B Rev 1.4\n"
    )
    assert parse_cpuinfo(text) == Cpu(model="Raspberry Pi 4 Model B Rev 1.4", cores=0, threads=2)


def test_interfaces_from_sysfs(make_root: MakeRoot) -> None:
    ifaces = {i.name: i for i in NetworkCollector().collect(make_root("debian-desktop"))}
    assert ifaces["eno1"] == NetworkInterface(name="eno1", mac="3c:ec:ef:a1:b2:c3", is_virtual=False,
                                              speed_mbps=1000, is_up=True)
    assert ifaces["wlp0s20f3"] == NetworkInterface(name="wlp0s20f3", mac="f8:e4:e3:01:02:03",
                                                   is_virtual=False, speed_mbps=0, is_up=False)
    assert ifaces["docker0"].is_virtual
    assert ifaces["lo"].is_virtual
    assert ifaces["lo"].is_up
    assert ifaces["lo"].mac == ""


def test_arp_table(make_root: MakeRoot) -> None:
    root = make_root("debian-desktop")
    assert NeighboursCollector().collect(root) == (
        Neighbour(ip="192.0.2.1", mac="3c:ec:ef:12:34:56", interface="eno1", state="dynamic"),
        Neighbour(ip="192.0.2.20", mac="00:1b:21:ab:cd:ef", interface="eno1", state="static"),
        Neighbour(ip="172.17.0.2", mac="02:42:ac:11:00:02", interface="docker0", state="dynamic"),
    )


def test_arp_skips_malformed_lines() -> None:
    text = "IP address HW type Flags HW address Mask Device\nnot-an-ip 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\nshort line\n"
    assert parse_proc_arp(text) == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"), ("0:1b:21:a:b:c", "00:1b:21:0a:0b:0c"),
     ("001b.21ab.cdef", "00:1b:21:ab:cd:ef"), ("00:00:00:00:00:00", ""), ("zz:bb:cc:dd:ee:ff", ""), ("", "")],
)
def test_normalise_mac(raw: str, expected: str) -> None:
    assert normalise_mac(raw) == expected


@pytest.mark.parametrize(
    ("address", "netmask", "expected"),
    [("192.0.2.10", "255.255.255.0", "192.0.2.10/24"), ("10.1.2.3", "255.255.252.0", "10.1.2.3/22"),
     ("fe80::1%eth0", "ffff:ffff:ffff:ffff::", "fe80::1/64"), ("2001:DB8::5", "", "2001:db8::5/128"),
     ("bogus", "255.0.0.0", "")],
)
def test_to_cidr(address: str, netmask: str, expected: str) -> None:
    assert to_cidr(address, netmask) == expected
