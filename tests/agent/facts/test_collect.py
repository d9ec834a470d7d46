"""collect_inventory end to end: recorded roots, failing and hanging sources, and this machine."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.errors import CollectionError, ConfigError
from agent.facts.collect import FACT_NAMES, collect_inventory
from agent.facts.model import CollectorState, CollectorStatus, SoftwareItem

MakeRoot = Callable[[str], Path]


def _status(statuses: tuple[CollectorStatus, ...], name: str) -> CollectorStatus:
    [found] = [s for s in statuses if s.name == name]
    return found


@pytest.fixture
def desktop(make_root: MakeRoot, data_dir: Path) -> Path:
    root = make_root("debian-desktop")
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    shutil.copy(data_dir / "dpkg-status", root / "var/lib/dpkg/status")
    return root


def test_recorded_desktop_inventory(desktop: Path) -> None:
    inv = collect_inventory(desktop)
    assert inv.facts.hostname == "ws-0142"
    assert inv.facts.fqdn == "ws-0142.corp.example.com"
    assert inv.facts.hardware.serial == "4XK2QH3"
    assert inv.facts.os.id == "debian"
    assert inv.facts.cpu.threads == 16
    assert inv.facts.memory_bytes == 32588920 * 1024
    assert {i.name for i in inv.facts.interfaces} == {"lo", "eno1", "wlp0s20f3", "docker0"}
    assert [d.name for d in inv.facts.disks] == ["nvme0n1", "sda"]
    assert inv.facts.virtualization == ""
    assert len(inv.neighbours) == 3
    assert len(inv.software) == 13
    # Every fact collector and every registered source has a status, facts first.
    names = [s.name for s in inv.collectors]
    assert names[: len(FACT_NAMES)] == list(FACT_NAMES)
    deb = _status(inv.collectors, "deb")
    assert (deb.state, deb.items) == (CollectorState.OK, 13)
    assert _status(inv.collectors, "network").items == 4
    assert all(s.duration_ms >= 0 for s in inv.collectors)


def test_recorded_root_never_reads_live_machine(make_root: MakeRoot) -> None:
    # The qemu-vm image has no proc/meminfo, proc/stat or sys/class/net: those facts must stay
    # unknown, not be filled in from the machine running the test.
    inv = collect_inventory(make_root("qemu-vm"))
    assert inv.facts.memory_bytes == 0
    assert inv.facts.boot_time is None
    assert inv.facts.interfaces == ()
    assert inv.facts.os.kernel == ""
    for name in ("memory", "boot_time", "network", "neighbours", "disks", "deb"):
        status = _status(inv.collectors, name)
        assert (status.state, status.reason) == (CollectorState.SKIPPED, "not present"), name


def test_missing_dpkg_status_is_failed_and_run_goes_on(make_root: MakeRoot) -> None:
    root = make_root("debian-desktop")
    (root / "var/lib/dpkg").mkdir(parents=True)
    inv = collect_inventory(root)
    deb = _status(inv.collectors, "deb")
    assert deb.state is CollectorState.FAILED
    assert "var/lib/dpkg/status" in deb.reason
    assert inv.facts.hostname == "ws-0142"
    assert inv.software == ()


class _FakeSource:
    """A software source whose behaviour the test chooses."""

    def __init__(self, name: str, action: Callable[[], list[SoftwareItem]], present: bool = True) -> None:
        self.name = name
        self._action = action
        self._present = present

    def is_present(self, root: Path) -> bool:
        return self._present

    def collect(self, root: Path) -> list[SoftwareItem]:
        return self._action()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # let the hung worker thread finish after the test


def test_failing_hanging_and_absent_sources(desktop: Path, release: threading.Event) -> None:
    def hang() -> list[SoftwareItem]:
        release.wait(30)
        return [SoftwareItem("late", "1", "fake")]

    def boom() -> list[SoftwareItem]:
        raise ValueError("corrupt header at offset 12")

    def refuse() -> list[SoftwareItem]:
        raise CollectionError("registry export unreadable: permission denied")

    def ok() -> list[SoftwareItem]:
        return [SoftwareItem("tool", "2.0", "fake"), SoftwareItem("lib", "0.1", "fake")]

    registry = [
        _FakeSource("hangs", hang),
        _FakeSource("raises", boom),
        _FakeSource("refuses", refuse),
        _FakeSource("absent", ok, present=False),
        _FakeSource("works", ok),
    ]
    start = time.monotonic()
    inv = collect_inventory(desktop, timeout_s=0.5, registry=registry)
    elapsed = time.monotonic() - start
    assert elapsed < 5, "a hung source must not hold the run past its deadline"

    hung = _status(inv.collectors, "hangs")
    assert hung.state is CollectorState.TIMED_OUT
    assert "0.5s" in hung.reason
    raised = _status(inv.collectors, "raises")
    assert raised.state is CollectorState.FAILED
    assert raised.reason == "ValueError: corrupt header at offset 12"
    refused = _status(inv.collectors, "refuses")
    assert (refused.state, refused.reason) == (CollectorState.FAILED,
                                               "registry export unreadable: permission denied")
    assert _status(inv.collectors, "absent").state is CollectorState.SKIPPED
    works = _status(inv.collectors, "works")
    assert (works.state, works.items) == (CollectorState.OK, 2)
    assert sorted(i.name for i in inv.software) == ["lib", "tool"]
    assert inv.facts.hostname == "ws-0142"


def test_selecting_sources_and_facts(desktop: Path) -> None:
    inv = collect_inventory(desktop, sources=["deb"], facts=["hostname", "hardware"])
    assert [s.name for s in inv.collectors] == ["hostname", "hardware", "deb"]
    assert inv.facts.cpu.model == ""  # not asked for
    inv = collect_inventory(desktop, sources=[], facts=["os"])
    assert [s.name for s in inv.collectors] == ["os"]
    assert inv.software == ()


def test_unknown_source_is_a_config_error(desktop: Path) -> None:
    with pytest.raises(ConfigError, match="unknown software source nosuch"):
        collect_inventory(desktop, sources=["deb", "nosuch"])


def test_live_machine() -> None:
    if not Path("/var/lib/dpkg/status").is_file():
        pytest.skip("live test needs a Debian-family host")
    inv = collect_inventory()
    assert inv.facts.hostname == socket.gethostname().split(".")[0].lower()
    deb = _status(inv.collectors, "deb")
    assert deb.state is CollectorState.OK
    assert deb.items > 0
    assert any(i.name == "dpkg" and i.source == "deb" for i in inv.software)
    assert inv.facts.os.family == "linux"
    assert inv.facts.cpu.threads > 0
    assert inv.facts.memory_bytes > 0
    assert any(i.name == "lo" and i.is_virtual and "127.0.0.1/8" in i.addresses for i in inv.facts.interfaces)
    assert all(s.state is not CollectorState.FAILED for s in inv.collectors), inv.collectors


def test_fact_collection_stays_import_light() -> None:
    # Endpoints install the agent without DuckDB or the collector; fact collection must not
    # even import scanning libraries.
    import subprocess
    import sys

    code = (
        "import sys, agent.facts.collect; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('duckdb', 'pyarrow', 'scapy', 'pysnmp', 'nmap', 'collector', 'grpc', 'yaml')); "
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[3])
    assert done.stdout.strip() == ""
