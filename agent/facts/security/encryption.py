"""Disk encryption on Linux: open dm-crypt mappings, /etc/crypttab, and whether / sits on one.

An open mapping shows in sysfs as /sys/block/dm-N with dm/name (the /dev/mapper name), dm/uuid
and slaves/ (the devices underneath). cryptsetup gives every device it creates a dm UUID of the
form "CRYPT-<TYPE>-<uuid>-<name>" (cryptsetup lib/libcryptsetup.h CRYPT_* types and
lib/utils_dm / dm_prepare_uuid): TYPE is LUKS1, LUKS2, PLAIN, LOOPAES, TCRYPT, BITLK or
FVAULT2 for encryption, but VERITY and INTEGRITY (authenticity only) and SUBDEV (internal
helpers) also use the prefix and are not encryption. crypttab(5) lists what is set up at boot:
"name device [keyfile [options]]".

LVM on LUKS is the common laptop layout: / is on dm-1 (an LVM volume) whose slave is dm-0 (the
LUKS mapping), so the root check walks slaves down from the root filesystem's device.
"""

from __future__ import annotations

import os
from pathlib import Path

from agent.facts._fsutil import is_live, read_text
from agent.facts.model import DiskEncryption, EncryptedVolume

SYS_BLOCK = Path("sys/block")
CRYPTTAB = Path("etc/crypttab")
# /proc/mounts is a link to /proc/self/mounts; recorded roots store it as a plain file.
MOUNTS = (Path("proc/self/mounts"), Path("proc/mounts"))

_ENCRYPTING = {"LUKS1": "luks1", "LUKS2": "luks2", "PLAIN": "plain", "LOOPAES": "loopaes", "TCRYPT": "tcrypt",
               "BITLK": "bitlk", "FVAULT2": "fvault2"}


def crypt_kind(dm_uuid: str) -> str:
    """Encryption type from a dm UUID ("CRYPT-LUKS2-..." -> "luks2"); "" if not an encrypting mapping."""
    if not dm_uuid.startswith("CRYPT-"):
        return ""
    return _ENCRYPTING.get(dm_uuid[6:].split("-", 1)[0].upper(), "")


def parse_crypttab(text: str) -> list[tuple[str, str]]:
    """(name, device) pairs of crypttab(5) lines; comments and blank lines skipped."""
    entries: list[tuple[str, str]] = []
    for raw in text.splitlines():
        fields = raw.split("#", 1)[0].split()
        if len(fields) >= 2:
            entries.append((fields[0], fields[1]))
    return entries


def _listdir(path: Path) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _root_device(root: Path) -> str:
    """The device mounted at "/" ("/dev/mapper/vg-root", "/dev/dm-1"), last mount wins; "" if unknown."""
    device = ""
    for rel in MOUNTS:
        text = read_text(root / rel)
        if not text:
            continue
        for line in text.splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[1] == "/":
                device = fields[0]
        break
    return device


class DiskEncryptionCollector:
    """dm-crypt volumes (open and configured) and whether the root filesystem is encrypted."""

    name = "disk_encryption"

    def is_present(self, root: Path) -> bool:
        """Linux with sysfs, or at least a crypttab to read."""
        return (root / SYS_BLOCK).is_dir() or (root / CRYPTTAB).is_file()

    def collect(self, root: Path) -> DiskEncryption:
        """Read every dm device's name/uuid/slaves, merge crypttab, then walk down from /."""
        block = root / SYS_BLOCK
        names: dict[str, str] = {}  # dm-N -> mapper name
        kinds: dict[str, str] = {}  # dm-N -> crypt kind ("" for LVM, multipath, verity ...)
        slaves: dict[str, list[str]] = {}
        for dev in _listdir(block):
            if not dev.startswith("dm-"):
                continue
            names[dev] = read_text(block / dev / "dm/name")
            kinds[dev] = crypt_kind(read_text(block / dev / "dm/uuid"))
            slaves[dev] = _listdir(block / dev / "slaves")

        configured = dict(parse_crypttab(read_text(root / CRYPTTAB)))
        volumes: list[EncryptedVolume] = []
        for dev in sorted(kinds, key=lambda d: int(d[3:]) if d[3:].isdigit() else 0):
            if kinds[dev]:
                mapper = names[dev] or dev
                volumes.append(EncryptedVolume(name=mapper, kind=kinds[dev], backing=tuple(slaves[dev]),
                                               active=True, configured=mapper in configured))
        active_names = {v.name for v in volumes}
        for name, device in configured.items():
            if name not in active_names:
                volumes.append(EncryptedVolume(name=name, backing=(device,), configured=True))

        return DiskEncryption(volumes=tuple(volumes),
                              root_encrypted=self._root_encrypted(root, names, kinds, slaves))

    @staticmethod
    def _root_encrypted(root: Path, names: dict[str, str], kinds: dict[str, str],
                        slaves: dict[str, list[str]]) -> bool:
        device = _root_device(root)
        if is_live(root) and device.startswith("/dev/") and not device.startswith(("/dev/mapper/", "/dev/dm-")):
            # "/dev/vg0/root" is a udev symlink to ../dm-1; only the live /dev can resolve it.
            device = os.path.realpath(device)
        start = ""
        if device.startswith("/dev/mapper/"):
            # /dev/mapper/<name> uses the dm name itself, the same string sysfs shows in dm/name
            # (LVM's "vg--data-root" doubling of hyphens is part of that name).
            mapped = device.removeprefix("/dev/mapper/")
            start = next((dev for dev, name in names.items() if name == mapped), "")
        elif device.startswith("/dev/dm-"):
            start = device.removeprefix("/dev/")
        seen: set[str] = set()
        todo = [start] if start else []
        while todo:
            dev = todo.pop()
            if dev in seen or dev not in kinds:
                continue
            seen.add(dev)
            if kinds[dev]:
                return True
            todo.extend(slaves.get(dev, []))
        return False
