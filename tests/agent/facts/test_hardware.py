"""DMI identity, chassis, disks and virtualization from recorded sysfs/procfs trees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.facts.hardware import DisksCollector, HardwareCollector, chassis_name
from agent.facts.model import Disk, Hardware
from agent.facts.virt import VirtualizationCollector

MakeRoot = Callable[[str], Path]


def test_dell_desktop_identity(make_root: MakeRoot) -> None:
    hw = HardwareCollector().collect(make_root("debian-desktop"))
    assert hw == Hardware(
        vendor="Dell Inc.",
        model="OptiPlex 7090",
        serial="4XK2QH3",
        system_uuid="4c4c4544-0058-4b10-8032-b4c04f514833",
        bios_version="1.21.0",
        bios_date="03/12/2024",
        chassis_type="desktop",
    )


def test_whitebox_fillers_blanked_and_board_serial_used(make_root: MakeRoot) -> None:
    hw = HardwareCollector().collect(make_root("whitebox-server"))
    # product_serial "0123456789" is a filler; the baseboard carries the real serial.
    assert hw.serial == "ZM19AS012345"
    assert hw.system_uuid == ""  # the AMI counting-bytes UUID
    assert hw.model == "Super Server"
    assert hw.chassis_type == "server"  # SMBIOS 23, rack mount


def test_serial_falls_back_to_chassis(make_root: MakeRoot) -> None:
    root = make_root("whitebox-server")
    dmi = root / "sys/class/dmi/id"
    (dmi / "board_serial").write_text("Default string\n")
    (dmi / "chassis_serial").write_text("S4NR8J1\n")
    assert HardwareCollector().collect(root).serial == "S4NR8J1"


def test_unreadable_serial_is_unknown_not_fatal(make_root: MakeRoot) -> None:
    root = make_root("debian-desktop")
    dmi = root / "sys/class/dmi/id"
    for name in ("product_serial", "board_serial", "chassis_serial"):
        (dmi / name).unlink()  # as seen by a non-root user: the attributes are mode 0400
    hw = HardwareCollector().collect(root)
    assert hw.serial == ""
    assert hw.vendor == "Dell Inc."


def test_vm_chassis_is_virtual(make_root: MakeRoot) -> None:
    root = make_root("qemu-vm")
    hw = HardwareCollector().collect(root)
    assert hw.chassis_type == "virtual"
    assert hw.vendor == "QEMU"
    assert hw.serial == ""
    assert hw.system_uuid == "9e1f6a52-3c1d-4f0e-9a77-1b2c3d4e5f60"
    assert VirtualizationCollector().collect(root) == "qemu"


@pytest.mark.parametrize(
    ("raw", "name"),
    [("3", "desktop"), ("10", "laptop"), ("9", "laptop"), ("17", "server"), ("23", "server"),
     ("30", "tablet"), ("31", "convertible"), ("1", ""), ("2", ""), ("137", "laptop"), ("x", ""), ("99", "")],
)
def test_chassis_names(raw: str, name: str) -> None:
    # 137 = 0x89: laptop with the chassis-lock bit (SMBIOS bit 7) set.
    assert chassis_name(raw) == name


def test_dmi_absent_is_not_present(tmp_path: Path) -> None:
    assert not HardwareCollector().is_present(tmp_path)


def test_disks_skip_virtual_and_optical(make_root: MakeRoot) -> None:
    disks = DisksCollector().collect(make_root("debian-desktop"))
    assert disks == (
        Disk(name="nvme0n1", model="Samsung SSD 980 PRO 500GB", serial="S5GYNX0T123456W",
             size_bytes=1000215216 * 512),
        Disk(name="sda", model="ST2000DM008-2FR1", serial="ZFL4ABCD", size_bytes=3907029168 * 512),
    )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({".dockerenv": ""}, "docker"),
        ({"run/systemd/container": "systemd-nspawn\n"}, "systemd-nspawn"),
        ({"run/.containerenv": ""}, "podman"),
        ({"proc/1/cgroup": "12:pids:/kubepods/besteffort/pod1234/abcd\n"}, "kubernetes"),
        ({"proc/1/cgroup": "0::/init.scope\n"}, ""),
        ({"sys/class/dmi/id/sys_vendor": "VMware, Inc.\n"}, "vmware"),
        ({"sys/class/dmi/id/product_name": "VirtualBox\n"}, "oracle"),
        ({"sys/class/dmi/id/sys_vendor": "Microsoft Corporation\n",
          "sys/class/dmi/id/product_name": "Virtual Machine\n"}, "microsoft"),
        ({"sys/class/dmi/id/sys_vendor": "Microsoft Corporation\n",
          "sys/class/dmi/id/product_name": "Surface Laptop 5\n"}, ""),
        ({"sys/class/dmi/id/product_name": "KVM\n", "sys/class/dmi/id/sys_vendor": "Red Hat\n"}, "kvm"),
        ({"sys/hypervisor/type": "xen\n"}, "xen"),
        ({"proc/cpuinfo": "processor\t: 0\nflags\t\t: fpu hypervisor sse\n"}, "vm"),
        ({"proc/cpuinfo": "processor\t: 0\nflags\t\t: fpu sse hypervisor_x\n"}, ""),
        ({}, ""),
    ],
)
def test_virtualization(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    assert VirtualizationCollector().collect(tmp_path) == expected


def test_bare_metal_desktop_is_not_virtual(make_root: MakeRoot) -> None:
    assert VirtualizationCollector().collect(make_root("debian-desktop")) == ""
