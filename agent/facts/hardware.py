"""System identity from firmware (SMBIOS/DMI) and the machine's physical disks.

Linux exports the SMBIOS type 0/1/2/3 strings under /sys/class/dmi/id (kernel
drivers/firmware/dmi-id.c), so no dmidecode or root-only /dev/mem access is needed. Only the
serial and UUID attributes are mode 0400 there: run unprivileged, the agent reports them unknown
rather than failing.
"""

from __future__ import annotations

import re
from pathlib import Path

from agent.facts import virt
from agent.facts._fsutil import read_int, read_text
from agent.facts.identifiers import clean_identifier, clean_uuid
from agent.facts.model import Disk, Hardware

DMI_DIR = Path("sys/class/dmi/id")

# SMBIOS 3.x (DSP0134) section 7.4.1, "System Enclosure or Chassis Types", folded into the
# coarse classes systemd-hostnamed uses (src/hostname/hostnamed.c), plus rack-mount and
# space-saving types that hostnamed leaves out but inventories need. Types 1 "Other" and
# 2 "Unknown" are deliberately absent: they say nothing.
_CHASSIS = {
    3: "desktop",  # Desktop
    4: "desktop",  # Low Profile Desktop
    5: "desktop",  # Pizza Box
    6: "desktop",  # Mini Tower
    7: "desktop",  # Tower
    8: "laptop",  # Portable
    9: "laptop",  # Laptop
    10: "laptop",  # Notebook
    11: "handset",  # Hand Held
    12: "docking-station",  # Docking Station
    13: "desktop",  # All in One
    14: "laptop",  # Sub Notebook
    15: "desktop",  # Space-saving
    16: "desktop",  # Lunch Box
    17: "server",  # Main Server Chassis
    18: "expansion-chassis",  # Expansion Chassis
    19: "expansion-chassis",  # SubChassis
    20: "expansion-chassis",  # Bus Expansion Chassis
    21: "peripheral",  # Peripheral Chassis
    22: "storage",  # RAID Chassis
    23: "server",  # Rack Mount Chassis
    24: "desktop",  # Sealed-case PC
    25: "server",  # Multi-system chassis
    26: "server",  # Compact PCI
    27: "server",  # Advanced TCA
    28: "server",  # Blade
    29: "server",  # Blade Enclosure
    30: "tablet",  # Tablet
    31: "convertible",  # Convertible
    32: "convertible",  # Detachable
    33: "embedded",  # IoT Gateway
    34: "embedded",  # Embedded PC
    35: "desktop",  # Mini PC
    36: "desktop",  # Stick PC
}


def chassis_name(raw: str) -> str:
    """Map an SMBIOS chassis type number (as sysfs prints it) to a coarse class name.

    Bit 7 of the SMBIOS byte flags a chassis lock, not a type; the kernel already masks it in
    dmi_save_type(), but a recorded value from another tool may still carry it.
    """
    try:
        number = int(raw.strip()) & 0x7F
    except ValueError:
        return ""
    return _CHASSIS.get(number, "")


class HardwareCollector:
    """DMI identity: vendor, model, serial, system UUID, BIOS and chassis."""

    name = "hardware"

    def is_present(self, root: Path) -> bool:
        """DMI exists on x86 and most arm64 servers; not on Raspberry Pis, containers without /sys."""
        return (root / DMI_DIR).is_dir()

    def collect(self, root: Path) -> Hardware:
        """Read the DMI attributes, blanking placeholders (see identifiers.py)."""
        dmi = root / DMI_DIR

        def attr(name: str) -> str:
            return clean_identifier(read_text(dmi / name))

        # product_serial is the SMBIOS type 1 (system) serial; white-box boards often leave it at a
        # filler and carry the real one only on the baseboard (type 2) or enclosure (type 3).
        serial = attr("product_serial") or attr("board_serial") or attr("chassis_serial")
        vendor = attr("sys_vendor") or attr("board_vendor")
        model = attr("product_name") or attr("board_name")
        chassis = chassis_name(read_text(dmi / "chassis_type"))
        # A hypervisor's firmware reports an arbitrary chassis (QEMU "Other", Hyper-V "Desktop");
        # like systemd-hostnamed, call the machine what it is.
        if virt.hypervisor_from_dmi(root):
            chassis = "virtual"
        return Hardware(
            vendor=vendor,
            model=model,
            serial=serial,
            # The kernel formats product_uuid itself, already swapping the first three fields
            # for SMBIOS >= 2.6 little-endian encoding (dmi_save_uuid), so no byte-order fix here.
            system_uuid=clean_uuid(read_text(dmi / "product_uuid")),
            bios_version=attr("bios_version"),
            bios_date=read_text(dmi / "bios_date"),
            chassis_type=chassis,
        )


BLOCK_DIR = Path("sys/block")

# Block devices that are never physical disks even when they have a device link.
_NOT_DISKS = ("loop", "ram", "zram", "dm-", "md", "nbd", "fd", "sr", "drbd", "rbd")

# eMMC hardware boot partitions appear as their own block devices (mmcblk0boot0/1) beside the
# user area; they are part of the same chip, not separate disks.
_EMMC_BOOT = re.compile(r"mmcblk\d+boot\d+$")

# SCSI peripheral device type 5 is CD/DVD (SPC-4, table 49, "PERIPHERAL DEVICE TYPE").
_SCSI_TYPE_CDROM = 5


def _vpd_serial(page: Path) -> str:
    """Serial from a SCSI VPD page 0x80 dump: 4-byte header, then the ASCII serial (SPC-4 7.8.15)."""
    try:
        data = page.read_bytes()
    except OSError:
        return ""
    if len(data) < 4:
        return ""
    length = int.from_bytes(data[2:4], "big")
    return data[4 : 4 + length].decode("ascii", errors="replace").strip()


class DisksCollector:
    """Physical disks from /sys/block: model, serial and size."""

    name = "disks"

    def is_present(self, root: Path) -> bool:
        """sysfs block class exists on every Linux machine with /sys mounted."""
        return (root / BLOCK_DIR).is_dir()

    def collect(self, root: Path) -> tuple[Disk, ...]:
        """List the block devices backed by a device (loop, zram, dm, md have no `device` link)."""
        disks: list[Disk] = []
        for entry in sorted((root / BLOCK_DIR).iterdir()):
            name = entry.name
            if name.startswith(_NOT_DISKS) or _EMMC_BOOT.match(name) or not (entry / "device").exists():
                continue
            device = entry / "device"
            if read_int(device / "type", -1) == _SCSI_TYPE_CDROM:
                continue
            # NVMe and virtio expose `serial` on the disk or controller; SATA/SAS only via the
            # SCSI VPD unit serial page.
            serial = (
                clean_identifier(read_text(entry / "serial"))
                or clean_identifier(read_text(device / "serial"))
                or clean_identifier(_vpd_serial(device / "vpd_pg80"))
            )
            disks.append(
                Disk(
                    name=name,
                    model=clean_identifier(read_text(device / "model")),
                    serial=serial,
                    # `size` counts 512-byte sectors whatever the logical block size
                    # (Documentation/ABI/stable/sysfs-block, include/linux/blk_types.h SECTOR_SHIFT).
                    size_bytes=read_int(entry / "size") * 512,
                )
            )
        return tuple(disks)
