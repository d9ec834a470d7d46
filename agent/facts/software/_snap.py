"""Snap packages, from snapd's state file and the mounted snaps' own metadata.

snapd keeps the list of installed snaps and each one's current revision in
/var/lib/snapd/state.json (`data.snaps.<name>.current`, `.sequence[].revision`, `.type`); the
version string is not there but in each revision's meta/snap.yaml, mounted at
/snap/<name>/<revision>/ (snapcraft.io/docs/the-snap-format). Without state.json (a recorded
image, or snapd stopped) the /snap/<name>/current links are enough.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.errors import CollectionError
from agent.facts._fsutil import mtime_utc, read_text
from agent.facts.model import SoftwareItem
from agent.facts.software.base import purl

STATE_FILE = Path("var/lib/snapd/state.json")
SNAP_MOUNTS = (Path("snap"), Path("var/lib/snapd/snap"))  # Fedora/Arch mount under the latter
SNAP_FILES = Path("var/lib/snapd/snaps")


def parse_snap_yaml(text: str) -> dict[str, str | list[str]]:
    """Top-level `name`, `version`, `architectures` of a snap.yaml.

    snap.yaml is YAML, but these keys are always plain top-level scalars or a short list
    (snapcraft writes them), so a line reader avoids shipping a YAML library on endpoints.
    Both block ("- amd64") and flow ("[amd64, arm64]") lists are understood.
    """
    result: dict[str, str | list[str]] = {}
    current_list: list[str] | None = None
    for line in text.splitlines():
        if current_list is not None and line.startswith((" ", "-")) and line.strip().startswith("- "):
            current_list.append(line.strip()[2:].strip().strip("'\""))
            continue
        current_list = None
        if line.startswith((" ", "\t", "#")) or ":" not in line:
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        if key not in ("name", "version", "architectures"):
            continue
        if key == "architectures":
            if value.startswith("["):
                result[key] = [v.strip().strip("'\"") for v in value.strip("[]").split(",") if v.strip()]
            else:
                current_list = []
                result[key] = current_list
        else:
            result[key] = value.strip("'\"")
    return result


def _load_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CollectionError(f"{path}: unreadable snapd state: {exc}") from exc
    snaps = state.get("data", {}).get("snaps", {}) if isinstance(state, dict) else {}
    return snaps if isinstance(snaps, dict) else {}


class SnapSource:
    """Installed snaps with the version of their current revision."""

    name = "snap"
    libraries = False

    def is_present(self, root: Path) -> bool:
        """snapd state or a snap mount directory with at least one snap."""
        if (root / STATE_FILE).is_file():
            return True
        return any(any(p.is_dir() for p in (root / m).glob("*/current")) for m in SNAP_MOUNTS)

    def collect(self, root: Path) -> list[SoftwareItem]:
        """Join state.json (what is installed, which revision) with each revision's snap.yaml."""
        revisions: dict[str, str] = {}
        if (root / STATE_FILE).is_file():
            for name, info in _load_state(root / STATE_FILE).items():
                if isinstance(info, dict) and info.get("current"):
                    revisions[name] = str(info["current"])
        else:
            for mount in SNAP_MOUNTS:
                for current in sorted((root / mount).glob("*/current")):
                    # `current` is a symlink to the revision directory ("x1" for sideloaded snaps).
                    target = current.readlink().name if current.is_symlink() else "current"
                    revisions.setdefault(current.parent.name, target)
        items: list[SoftwareItem] = []
        for name, revision in sorted(revisions.items()):
            meta: dict[str, str | list[str]] = {}
            for mount in SNAP_MOUNTS:
                yaml_path = root / mount / name / revision / "meta/snap.yaml"
                if yaml_path.is_file():
                    meta = parse_snap_yaml(read_text(yaml_path))
                    break
            version = meta.get("version", "")
            archs = meta.get("architectures", [])
            arch = archs[0] if isinstance(archs, list) and archs else ""
            items.append(
                SoftwareItem(
                    name=name,
                    version=version if isinstance(version, str) else "",
                    source="snap",
                    arch=arch,
                    # snapd downloads each revision to <name>_<rev>.snap when installing it.
                    installed_at=mtime_utc(root / SNAP_FILES / f"{name}_{revision}.snap"),
                    # No snap type in purl-spec yet; a generic purl namespaced by the store.
                    purl=purl("generic", name, version if isinstance(version, str) else "",
                              namespace="snap", qualifiers={"revision": revision}),
                )
            )
        return items
