"""Security and session facts: recorded roots, parsers, broken inputs, and this machine."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.facts.collect import collect_inventory
from agent.facts.model import CollectorState, CollectorStatus, SoftwareItem
from agent.facts.security import protection
from agent.facts.security._debversion import compare
from agent.facts.security.encryption import crypt_kind, parse_crypttab
from agent.facts.security.firewall import FirewallCollector, count_save_rules, parse_nft_json
from agent.facts.security.ports import ListeningPortsCollector, decode_address, parse_proc_net
from agent.facts.security.updates import is_security_suite, newest_versions, parse_release
from agent.facts.timezone import TimezoneCollector, tzif_footer, zone_from_link
from agent.facts.users import parse_logind_session, parse_utmp

MakeRoot = Callable[[str], Path]
LISTS = Path("var/lib/apt/lists")
SEC = "deb.debian.org_debian-security_dists_bookworm-security_"


def _status(statuses: tuple[CollectorStatus, ...], name: str) -> CollectorStatus:
    [found] = [s for s in statuses if s.name == name]
    return found


@pytest.fixture
def laptop(make_root: MakeRoot) -> Path:
    return make_root("debian-laptop")


def test_recorded_laptop_security_facts(laptop: Path) -> None:
    inv = collect_inventory(laptop)
    f = inv.facts
    assert f.timezone == "Europe/Berlin"
    assert [(u.name, u.terminal, u.host) for u in f.users] == [("alice", "tty1", ""), ("bob", "pts/0", "198.51.100.7")]
    assert f.users[1].started == datetime(2024, 5, 27, 9, 55, tzinfo=UTC)

    sec = f.security
    ports = {(p.protocol, p.address, p.port): (p.pid, p.process) for p in sec.listening}
    assert ports == {
        ("tcp", "0.0.0.0", 22): (690, "sshd"),
        ("tcp", "::", 22): (690, "sshd"),
        ("tcp", "127.0.0.1", 631): (702, "cupsd"),
        ("tcp", "::1", 5432): (755, "postgres"),  # the master, not the worker sharing the socket
        ("tcp", "127.0.0.1", 3306): (0, ""),  # IPv4-mapped v6 listener; owner not visible
        ("tcp", "127.0.0.1", 8080): (0, ""),
        ("udp", "0.0.0.0", 5353): (640, "avahi-daemon"),
    }

    [edr] = sec.endpoint_protection
    assert (edr.product, edr.running) == ("CrowdStrike Falcon", True)
    assert edr.evidence == ("deb:falcon-sensor", "path:/opt/CrowdStrike", "process:falcon-sensor")

    enc = sec.disk_encryption
    assert enc.root_encrypted  # / is vg0-root (dm-1) on nvme0n1p3_crypt (dm-0, LUKS2)
    assert [(v.name, v.kind, v.active, v.configured) for v in enc.volumes] == [
        ("nvme0n1p3_crypt", "luks2", True, True),
        ("backup_crypt", "", False, True),
    ]  # dm-verity (CRYPT-VERITY-...) is integrity, not encryption

    fw = {w.name: w for w in sec.firewalls}
    assert set(fw) == {"nftables", "ufw"}
    assert fw["nftables"].enabled and not fw["nftables"].active  # a recorded root has no kernel state
    assert (fw["ufw"].enabled, fw["ufw"].rules) == (True, 3)

    pending = {(u.name, u.arch): (u.installed_version, u.available_version) for u in sec.pending_security_updates}
    assert pending == {
        ("libc6", "amd64"): ("2.36-9+deb12u4", "2.36-9+deb12u10"),  # u10 > u4: Debian order, not text
        ("libssl3", "amd64"): ("3.0.11-1~deb12u2", "3.0.15-1~deb12u1"),
        ("libssl3", "i386"): ("3.0.11-1~deb12u2", "3.0.15-1~deb12u1"),  # from the .xz i386 index
        ("openssh-client", "amd64"): ("1:9.2p1-2+deb12u2", "1:9.2p1-2+deb12u3"),
        ("openssl", "amd64"): ("3.0.11-1~deb12u2", "3.0.15-1~deb12u1"),
        ("tzdata", "all"): ("2024a-0+deb12u1", "2025b-0+deb12u1"),
    }
    # bash has a newer version only in the (non-security) bookworm suite; curl's security version
    # is older than installed; sudo is current; oldpkg is only config-files.
    assert sec.security_suites == ("bookworm-security",)
    assert sec.security_lists_date is not None
    for name, items in [("users", 2), ("listening_ports", 7), ("endpoint_protection", 1), ("firewall", 2),
                        ("security_updates", 6), ("timezone", 1), ("disk_encryption", 1)]:
        status = _status(inv.collectors, name)
        assert (status.state, status.items) == (CollectorState.OK, items), name


def test_recorded_root_without_security_sources(make_root: MakeRoot) -> None:
    inv = collect_inventory(make_root("qemu-vm"))
    for name in ("users", "listening_ports", "disk_encryption", "security_updates"):
        assert _status(inv.collectors, name).state is CollectorState.SKIPPED, name
    assert inv.facts.security.listening == ()
    assert inv.facts.timezone == ""


def test_no_security_suite_is_skipped_with_reason(laptop: Path) -> None:
    for name in os.listdir(laptop / LISTS):
        if "security" in name:
            (laptop / LISTS / name).unlink()
    inv = collect_inventory(laptop, facts=["security_updates"], sources=[])
    status = _status(inv.collectors, "security_updates")
    assert status.state is CollectorState.SKIPPED
    assert "no *-security suite" in status.reason


def test_corrupt_index_fails_with_reason_and_run_goes_on(laptop: Path) -> None:
    (laptop / LISTS / f"{SEC}main_binary-amd64_Packages.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    inv = collect_inventory(laptop, facts=["security_updates", "timezone"], sources=["deb"])
    status = _status(inv.collectors, "security_updates")
    assert status.state is CollectorState.FAILED
    assert "main_binary-amd64_Packages.gz: unreadable apt index" in status.reason
    assert inv.facts.timezone == "Europe/Berlin"
    assert len(inv.software) == 10


def test_unreadable_utmp_fails_with_reason(laptop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root nothing is unreadable by mode bits, so the refusal is simulated at the read call.
    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.name == "utmp":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    inv = collect_inventory(laptop, facts=["users", "timezone"], sources=[])
    status = _status(inv.collectors, "users")
    assert status.state is CollectorState.FAILED
    assert status.reason.endswith("run/utmp: cannot read: Permission denied")
    assert inv.facts.timezone == "Europe/Berlin"


def test_broken_macos_firewall_plist_fails(tmp_path: Path) -> None:
    alf = tmp_path / "Library/Preferences/com.apple.alf.plist"
    alf.parent.mkdir(parents=True)
    alf.write_bytes(b"bplist00\x00\x01garbage")
    status = _status(collect_inventory(tmp_path, facts=["firewall"], sources=[]).collectors, "firewall")
    assert status.state is CollectorState.FAILED
    assert "com.apple.alf.plist: unreadable" in status.reason


def test_skip_reports_skipped_with_reason(laptop: Path) -> None:
    reason = "memory ceiling 80 MB reached"
    inv = collect_inventory(laptop, facts=["timezone", "security_updates"], sources=["deb"],
                            skip={"deb": reason, "security_updates": reason, "not-run": reason})
    assert [(s.name, s.state, s.reason) for s in inv.collectors] == [
        ("timezone", CollectorState.OK, ""),
        ("security_updates", CollectorState.SKIPPED, reason),
        ("deb", CollectorState.SKIPPED, reason),
    ]
    assert inv.software == ()
    assert inv.facts.security.pending_security_updates == ()


# --- parsers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "sign"),
    [
        ("1.0", "1.0", 0),
        ("1.0~rc1", "1.0", -1),  # tilde sorts before the end of the string
        ("1.0~~", "1.0~", -1),
        ("1.0+", "1.0", 1),
        ("1.0a", "1.0", 1),
        ("1.0-1", "1.0-1.1", -1),
        ("2.36-9+deb12u10", "2.36-9+deb12u4", 1),
        ("1:0.1", "9.9", 1),  # epoch wins
        ("0:1.0", "1.0", 0),
        ("1.002", "1.2", 0),  # digit runs compare numerically
        ("3.0.11-1~deb12u2", "3.0.11-1", -1),
        ("2.4.2-3+deb12u8", "2.4.2-3+deb12u9", -1),
        ("1.0-a", "1.0-+", -1),  # letters before other characters
    ],
)
def test_debian_version_order(a: str, b: str, sign: int) -> None:
    result = compare(a, b)
    assert (result > 0) - (result < 0) == sign
    back = compare(b, a)
    assert (back > 0) - (back < 0) == -sign


def test_release_fields_and_security_suites() -> None:
    root = Path(__file__).parent.parent.parent / "data/agent/roots/debian-laptop"
    text = (root / LISTS / f"{SEC}InRelease").read_text()
    fields = parse_release(text)
    assert fields["Label"] == "Debian-Security"
    assert is_security_suite(fields)
    assert is_security_suite({"Suite": "jammy-security", "Label": "Ubuntu"})
    assert is_security_suite({"Suite": "oldoldstable", "Codename": "buster", "Label": "Debian-Security"})
    assert not is_security_suite({"Suite": "stable-updates", "Codename": "bookworm-updates", "Label": "Debian"})


def test_newest_versions_only_for_wanted_names() -> None:
    text = ("Package: a\nVersion: 1.0-1\nArchitecture: amd64\n\nPackage: b\nVersion: 2\nArchitecture: all\n\n"
            "Package: a\nArchitecture: amd64\nVersion: 1.0-2\n")
    assert newest_versions(text, {"a"}) == {("a", "amd64"): "1.0-2"}


def test_proc_net_addresses() -> None:
    assert decode_address("0100007F", "little") == "127.0.0.1"
    assert decode_address("7F000001", "big") == "127.0.0.1"
    assert decode_address("00000000000000000000000001000000", "little") == "::1"
    assert decode_address("B80D0120000000000000000001000000", "little") == "2001:db8::1"
    with pytest.raises(ValueError):
        decode_address("0100", "little")
    text = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            "   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1\n"
            "   1: damaged line\n")
    [(port, inode)] = parse_proc_net(text, "tcp", "little")
    assert (port.address, port.port, inode) == ("127.0.0.1", 53, 4242)


def _utmp_record(ut_type: int, user: str, line: str, host: str, sec: int) -> bytes:
    fmt = struct.Struct("<hxxi32s4s32s256shhiii16s20s")
    return fmt.pack(ut_type, 100, line.encode(), b"", user.encode(), host.encode(), 0, 0, 0, sec, 0, b"", b"")


def test_utmp_keeps_only_user_processes() -> None:
    data = (_utmp_record(2, "reboot", "~", "", 1) + _utmp_record(7, "dave", "pts/3", "2001:db8::5", 1700000000)
            + _utmp_record(8, "erin", "pts/4", "", 1700000001) + b"\x07\x00torn")
    [user] = parse_utmp(data)
    assert (user.name, user.terminal, user.host) == ("dave", "pts/3", "2001:db8::5")
    assert user.started == datetime.fromtimestamp(1700000000, tz=UTC)


def test_logind_session_files() -> None:
    user = parse_logind_session("# This is private data.\nUID=1000\nUSER=alice\nACTIVE=1\nSTATE=active\n"
                                "TYPE=wayland\nCLASS=user\nTTY=tty2\nREMOTE=0\nREALTIME=1716800100000000\n")
    assert user is not None
    assert (user.name, user.terminal, user.started) == ("alice", "tty2", datetime(2024, 5, 27, 8, 55, tzinfo=UTC))
    assert parse_logind_session("USER=gdm\nCLASS=greeter\n") is None


def test_timezone_sources(tmp_path: Path) -> None:
    assert zone_from_link("/usr/share/zoneinfo/America/Argentina/Buenos_Aires") == "America/Argentina/Buenos_Aires"
    assert zone_from_link("../usr/share/zoneinfo/posix/Asia/Tokyo") == "Asia/Tokyo"
    assert zone_from_link("/var/db/timezone/zoneinfo/Europe/Paris") == "Europe/Paris"  # macOS
    assert zone_from_link("/etc/some-file") == ""
    tzif = b"TZif2" + b"\0" * 40 + b"\nCET-1CEST,M3.5.0,M10.5.0/3\n"
    assert tzif_footer(tzif) == "CET-1CEST,M3.5.0,M10.5.0/3"
    assert tzif_footer(b"TZif\0" + b"\0" * 40) == ""  # version 1 files have no footer
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/localtime").write_bytes(tzif)  # a copy, not a link (Alpine, containers)
    assert TimezoneCollector().collect(tmp_path) == "CET-1CEST,M3.5.0,M10.5.0/3"
    (tmp_path / "etc/sysconfig").mkdir()
    (tmp_path / "etc/sysconfig/clock").write_text('ZONE="America/New_York"\nUTC=true\n')
    assert TimezoneCollector().collect(tmp_path) == "America/New_York"


def test_crypt_kinds_and_crypttab() -> None:
    assert crypt_kind("CRYPT-LUKS1-0123-name") == "luks1"
    assert crypt_kind("CRYPT-PLAIN-swap") == "plain"
    assert crypt_kind("CRYPT-BITLK-x-y") == "bitlk"
    assert crypt_kind("CRYPT-VERITY-x-y") == ""
    assert crypt_kind("CRYPT-INTEGRITY-x") == ""
    assert crypt_kind("LVM-abc") == ""
    assert parse_crypttab("# c\n\nswap /dev/sda2 /dev/urandom swap,cipher=aes-xts-plain64\nbad\n") == [
        ("swap", "/dev/sda2")]


def test_endpoint_protection_from_packages_of_any_os_source() -> None:
    items = [
        SoftwareItem("CrowdStrike Windows Sensor", "7.10.17706.0", "msi"),
        SoftwareItem("mdatp", "101.24052.0002", "rpm"),
        SoftwareItem("falcon", "3.1.3", "pip"),  # the web framework, not the EDR
        SoftwareItem("clamav-daemon", "1.0.5+dfsg-1~deb12u1", "deb"),
    ]
    found = protection.merge(None, items)
    assert [(p.product, p.running, p.evidence) for p in found] == [
        ("CrowdStrike Falcon", False, ("msi:CrowdStrike Windows Sensor",)),
        ("Microsoft Defender for Endpoint", False, ("rpm:mdatp",)),
        ("ClamAV", False, ("deb:clamav-daemon",)),
    ]
    # Windows process names carry ".exe"; comm truncates to 15 bytes.
    procs = protection.from_processes([(1, "MsSense.exe"), (2, "sophos_threat_d"), (3, "bash")])
    assert set(procs) == {"Microsoft Defender for Endpoint", "Sophos"}


# --- firewall ----------------------------------------------------------------------------------

NFT_JSON = Path(__file__).parent.parent.parent / "data/agent/firewall/nft-ruleset.json"


def test_nft_json_summary() -> None:
    # Recorded with `nft -j list ruleset` (nftables 1.0.6) in a private network namespace.
    ruleset = parse_nft_json(NFT_JSON.read_text())
    assert (ruleset.tables, ruleset.base_chains, ruleset.rules) == (2, 4, 5)
    assert ruleset.dropping_hooks == ("forward", "input")
    assert ruleset.active
    assert not parse_nft_json("").active
    assert not parse_nft_json('{"nftables": [{"metainfo": {"version": "1.0.6"}}]}').active
    with pytest.raises(ValueError):
        parse_nft_json("[1, 2]")
    saved = "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -j DROP\nCOMMIT\n"
    assert count_save_rules(saved) == 2


def test_live_firewall_with_injected_ruleset() -> None:
    if not Path("/proc/1").is_dir() or shutil.which("nft", path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
        pytest.skip("needs Linux with nft installed")
    collector = FirewallCollector(nft_ruleset=NFT_JSON.read_text)
    [nft] = [f for f in collector.collect(Path("/")) if f.name == "nftables"]
    assert (nft.active, nft.rules) == (True, 5)
    assert "policy drop on forward/input" in nft.detail


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"nc-fw-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.mark.root
def test_real_nft_ruleset_in_namespace(netns: str) -> None:
    if os.geteuid() != 0 or shutil.which("nft", path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
        pytest.skip("needs root and nft")
    rules = ("table inet t {\n chain input {\n  type filter hook input priority 0; policy drop;\n"
             "  tcp dport 22 accept\n }\n}\n")
    subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=rules.encode(), check=True)

    def read() -> str:
        return subprocess.run(["ip", "netns", "exec", netns, "nft", "-j", "list", "ruleset"], check=True,
                              capture_output=True, text=True).stdout

    [nft] = [f for f in FirewallCollector(nft_ruleset=read).collect(Path("/")) if f.name == "nftables"]
    assert (nft.active, nft.rules) == (True, 1)
    assert nft.detail == "1 tables, 1 base chains, 1 rules, policy drop on input"


# --- live machine ------------------------------------------------------------------------------


def test_live_listening_socket_is_ours() -> None:
    if not Path("/proc/net/tcp").is_file():
        pytest.skip("needs Linux procfs")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        found = [p for p in ListeningPortsCollector().collect(Path("/")) if p.port == port]
    assert [(p.protocol, p.address, p.pid) for p in found] == [("tcp", "127.0.0.1", os.getpid())]
    assert found[0].process == Path(f"/proc/{os.getpid()}/comm").read_text().strip()


@pytest.mark.slow
def test_live_pending_updates_agree_with_apt() -> None:
    # apt's own simulation: every upgrade it would take from a security suite must be pending
    # here too. (We may list more: when a point release carries a newer version than the
    # security suite, apt's candidate comes from the point release, but a security fix is still
    # pending.)
    if shutil.which("apt-get") is None or not Path("/var/lib/apt/lists").is_dir():
        pytest.skip("needs apt")
    inv = collect_inventory(facts=["security_updates"], sources=[])
    status = _status(inv.collectors, "security_updates")
    if status.state is CollectorState.SKIPPED:
        pytest.skip(status.reason)
    assert status.state is CollectorState.OK, status.reason
    sim = subprocess.run(["apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade"], capture_output=True, text=True,
                         check=True, env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}).stdout
    from_security = {line.split()[1] for line in sim.splitlines()
                     if line.startswith("Inst ") and "-security" in line.lower()}
    ours = {u.name for u in inv.facts.security.pending_security_updates}
    assert from_security <= ours
