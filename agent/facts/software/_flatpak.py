"""Flatpak applications and runtimes, system-wide and per user.

A flatpak installation (flatpak(1), "FILE LOCATIONS") deploys each ref as
<installation>/{app,runtime}/<id>/<arch>/<branch>/active -> <commit>/, holding `metadata` (a
GKeyFile with [Application] or [Runtime] name=) and the tree under `files/`. Versions and
developer names come from the AppStream file the app ships,
files/share/metainfo/<id>.metainfo.xml (older apps: files/share/appdata/<id>.appdata.xml),
`<releases><release version=...>` newest first per the AppStream spec. The binary `deploy`
GVariant repeats these, but parsing GVariant is not worth a dependency.
"""

from __future__ import annotations

from pathlib import Path

from agent.facts._fsutil import mtime_utc
from agent.facts.model import Record, SoftwareItem
from agent.facts.software.base import purl

INSTALLATIONS = ("var/lib/flatpak", "home/*/.local/share/flatpak", "root/.local/share/flatpak")


class AppStream(Record):
    """What an AppStream metainfo file says about its component."""

    __slots__ = ("name", "version", "developer")  # noqa: RUF023 - field order
    name: str
    version: str
    developer: str

    def __init__(self, name: str = "", version: str = "", developer: str = "") -> None:
        self._set_fields(name, version, developer)


def parse_metainfo(data: bytes) -> AppStream:
    """Name, newest release version and developer from AppStream metainfo XML.

    The files are written by the app's packager and installed by flatpak under a root-owned
    tree; ElementTree does not expand external entities, and a malformed file only loses its
    version, never the item.
    """
    import xml.etree.ElementTree as ET  # only where flatpak is installed

    try:
        component = ET.fromstring(data)  # noqa: S314 - local root-owned file, see docstring
    except ET.ParseError:
        return AppStream()
    name = ""
    for element in component.findall("name"):
        # Untranslated <name> has no xml:lang attribute.
        if not any(key.endswith("lang") for key in element.attrib):
            name = (element.text or "").strip()
            break
    release = component.find("releases/release")
    version = release.get("version", "") if release is not None else ""
    developer = component.findtext("developer_name") or component.findtext("developer/name") or ""
    return AppStream(name=name, version=version.strip(), developer=developer.strip())


def _metainfo(files: Path, ref_id: str) -> AppStream:
    for rel in (f"share/metainfo/{ref_id}.metainfo.xml", f"share/metainfo/{ref_id}.appdata.xml",
                f"share/appdata/{ref_id}.appdata.xml"):
        path = files / rel
        try:
            return parse_metainfo(path.read_bytes())
        except OSError:
            continue
    return AppStream()


class FlatpakSource:
    """Deployed flatpak apps and runtimes."""

    name = "flatpak"
    libraries = False

    def _installations(self, root: Path) -> list[Path]:
        found: list[Path] = []
        for pattern in INSTALLATIONS:
            found.extend(p for p in sorted(root.glob(pattern)) if (p / "app").is_dir() or (p / "runtime").is_dir())
        return found

    def is_present(self, root: Path) -> bool:
        """A system or user installation with an app/ or runtime/ directory."""
        return bool(self._installations(root))

    def collect(self, root: Path) -> list[SoftwareItem]:
        """One item per deployed ref (id, arch, branch)."""
        items: list[SoftwareItem] = []
        for installation in self._installations(root):
            for kind in ("app", "runtime"):
                for active in sorted(installation.glob(f"{kind}/*/*/*/active")):
                    branch_dir = active.parent
                    arch = branch_dir.parent.name
                    ref_id = branch_dir.parent.parent.name
                    branch = branch_dir.name
                    stream = _metainfo(active / "files", ref_id)
                    # Runtimes are versioned by branch ("23.08"); app branches are channels
                    # ("stable"), so an app without metainfo has no version.
                    version = stream.version or (branch if kind == "runtime" else "")
                    items.append(
                        SoftwareItem(
                            name=ref_id,
                            version=version,
                            source="flatpak",
                            vendor=stream.developer,
                            arch=arch,
                            installed_at=mtime_utc(active / "deploy"),
                            purl=purl("generic", ref_id, version, namespace="flatpak",
                                      qualifiers={"arch": arch, "branch": branch}),
                        )
                    )
        return items
