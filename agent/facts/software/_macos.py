"""macOS applications (app bundles) and installer package receipts.

Apps: every <dir>/*.app bundle carries Contents/Info.plist (Apple "Information Property List"
reference) with CFBundleName, CFBundleShortVersionString (the user-visible version; CFBundleVersion
is the build number) and CFBundleIdentifier. plistlib reads both the XML and the binary plist
forms. Receipts: `installer` records each .pkg it installs as /var/db/receipts/<id>.plist
with PackageIdentifier, PackageVersion and InstallDate, which is what `pkgutil --pkgs` lists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.facts.model import SoftwareItem
from agent.facts.software.base import purl

# /Applications and one level of folders inside it (Utilities, vendor suites such as
# "Microsoft Office"), and per-user ~/Applications. /System/Applications holds the OS's own
# apps, which are versioned with the OS and reported there.
APP_GLOBS = ("Applications/*.app", "Applications/*/*.app", "Users/*/Applications/*.app")
RECEIPTS_DIR = Path("var/db/receipts")


def _load_plist(path: Path) -> dict[str, Any]:
    import plistlib  # only where there is an app bundle or a receipt to read

    try:
        with path.open("rb") as fh:
            data = plistlib.load(fh)
    except (OSError, plistlib.InvalidFileException, ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _utc(value: object) -> datetime | None:
    # plistlib returns naive datetimes that are in UTC (plist <date> is ISO 8601 "Z").
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return None


def app_item(bundle: Path) -> SoftwareItem | None:
    """One app bundle; None when it has no readable Info.plist (a damaged or partial copy)."""
    info = _load_plist(bundle / "Contents/Info.plist")
    if not info:
        return None
    name = str(info.get("CFBundleName") or info.get("CFBundleDisplayName") or bundle.stem)
    version = str(info.get("CFBundleShortVersionString") or info.get("CFBundleVersion") or "").strip()
    bundle_id = str(info.get("CFBundleIdentifier", ""))
    return SoftwareItem(
        name=name,
        version=version,
        source="macos-app",
        # purl has no macOS app type; the bundle identifier is the stable name.
        purl=purl("generic", bundle_id or name, version, namespace="macos"),
    )


def receipt_item(path: Path) -> SoftwareItem | None:
    """One pkgutil receipt; None when it is not a receipt plist."""
    info = _load_plist(path)
    identifier = str(info.get("PackageIdentifier", ""))
    if not identifier:
        return None
    version = str(info.get("PackageVersion", ""))
    return SoftwareItem(
        name=identifier,
        version=version,
        source="pkgutil",
        installed_at=_utc(info.get("InstallDate")),
        purl=purl("generic", identifier, version, namespace="pkgutil"),
    )


class MacosAppSource:
    """Application bundles (Info.plist). Named after its items' package source, "macos-app"."""

    name = "macos-app"
    libraries = False

    def is_present(self, root: Path) -> bool:
        """An Applications folder."""
        return (root / "Applications").is_dir()

    def collect(self, root: Path) -> list[SoftwareItem]:
        """Bundles sorted by path."""
        bundles = sorted({p for pattern in APP_GLOBS for p in root.glob(pattern) if p.is_dir()})
        return [item for item in map(app_item, bundles) if item is not None]


class PkgutilSource:
    """Installer receipts (pkgutil's database). Named after its items' package source, "pkgutil"."""

    name = "pkgutil"
    libraries = False

    def is_present(self, root: Path) -> bool:
        """A receipts database."""
        return (root / RECEIPTS_DIR).is_dir()

    def collect(self, root: Path) -> list[SoftwareItem]:
        """Receipts sorted by file name."""
        receipts = sorted((root / RECEIPTS_DIR).glob("*.plist"))
        return [item for item in map(receipt_item, receipts) if item is not None]
