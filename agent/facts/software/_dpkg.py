"""Installed Debian packages, read straight from dpkg's status database.

Reading /var/lib/dpkg/status ourselves instead of running `dpkg-query` avoids a subprocess and
works on a recorded root. The format is deb822 (deb-control(5), dpkg's lib/dpkg/parse.c):
stanzas separated by blank lines, "Field: value" lines, continuation lines starting with a space
or tab (Description, Conffiles). Only the fields we need are picked out, with one multi-line
regex per stanza; continuation lines can never match because they start with whitespace.
"""

from __future__ import annotations

import re
from pathlib import Path

from agent.errors import CollectionError
from agent.facts._fsutil import mtime_utc
from agent.facts.model import SoftwareItem
from agent.facts.osinfo import distro_id
from agent.facts.software.base import encode_component

DPKG_DIR = Path("var/lib/dpkg")
STATUS_FILE = DPKG_DIR / "status"
INFO_DIR = DPKG_DIR / "info"

_FIELD = re.compile(
    r"^(Package|Status|Version|Architecture|Source|Maintainer|Multi-Arch):[ \t]*(.*)$",
    re.MULTILINE,
)
# One or more blank lines end a stanza (deb822 allows whitespace-only separator lines).
_STANZA_BREAK = re.compile(r"\n(?:[ \t]*\n)+")

# The third Status word is dpkg's package state (dpkg-query(1), "Package states"). "installed"
# and the triggers-* states are configured packages whose files are on disk; we also accept
# them under a "hold" or "deinstall" selection (dpkg -l "hi"/"ri"), since the want flag is a
# wish, not a fact. not-installed, config-files (only conffiles left), half-installed, unpacked
# and half-configured are not working installs and are excluded.
_INSTALLED_STATES = frozenset({"installed", "triggers-pending", "triggers-awaited"})


def _source_name(source: str, package: str) -> str:
    """Source package name: "Source: bar (1.2-3)" gives "bar"; absent means the package's own name."""
    return source.split(" ", 1)[0] if source else package


def parse_status(text: str, *, distro: str = "debian", info_dir: Path | None = None) -> list[SoftwareItem]:
    """Parse dpkg status text into the installed packages.

    Args:
        text: the whole status file, already decoded.
        distro: os-release ID, the purl namespace ("debian", "ubuntu", ...).
        info_dir: var/lib/dpkg/info, whose <pkg>[:arch].list mtime is when dpkg last unpacked
            the package; None skips install times.

    Returns:
        One item per installed package and architecture, in file order.
    """
    items: list[SoftwareItem] = []
    skipped = 0
    # purl() spelled out for the one shape dpkg needs: this loop runs once per package.
    purl_prefix = f"pkg:deb/{encode_component(distro)}/"
    info = str(info_dir) if info_dir is not None else ""
    for stanza in _STANZA_BREAK.split(text):
        if not stanza or stanza.isspace():
            continue
        # Values are stripped where used: dpkg writes no trailing blanks, hand-edited files might.
        fields = dict(_FIELD.findall(stanza))
        name = fields.get("Package", "").strip()
        status = fields.get("Status", "").split()
        version = fields.get("Version", "").strip()
        if not name or len(status) != 3 or not version:
            # A stanza without these is damage (a truncated file ends mid-stanza); a not-installed
            # package legitimately has no Version, and is excluded below anyway.
            if len(status) != 3 or status[2] != "not-installed":
                skipped += 1
            continue
        if status[2] not in _INSTALLED_STATES:
            continue
        arch = fields.get("Architecture", "").strip()
        installed_at = None
        if info:
            # dpkg names the file list "<pkg>:<arch>.list" only for Multi-Arch: same packages,
            # which may be co-installed for several architectures (dpkg lib/dpkg/db-fsys.c).
            candidates = [f"{name}:{arch}.list", f"{name}.list"]
            if fields.get("Multi-Arch", "").strip() != "same":
                candidates.reverse()
            for candidate in candidates:
                installed_at = mtime_utc(f"{info}/{candidate}")
                if installed_at is not None:
                    break
        items.append(
            SoftwareItem(
                name=name,
                version=version,
                source="deb",
                vendor=fields.get("Maintainer", "").strip(),
                arch=arch,
                source_package=_source_name(fields.get("Source", "").strip(), name),
                installed_at=installed_at,
                purl=(f"{purl_prefix}{encode_component(name)}@{encode_component(version)}"
                      + (f"?arch={encode_component(arch)}" if arch else "")),
            )
        )
    if skipped:
        import logging  # only for damaged databases

        logging.getLogger(__name__).warning(
            "dpkg status: skipped %d incomplete stanza(s) (truncated or damaged file?)", skipped)
    return items


class DpkgSource:
    """Debian/Ubuntu packages from var/lib/dpkg/status."""

    name = "deb"
    libraries = False

    def is_present(self, root: Path) -> bool:
        """dpkg's admin directory exists; a missing status file inside it is then a failure."""
        return (root / DPKG_DIR).is_dir()

    def collect(self, root: Path) -> list[SoftwareItem]:
        """Read and parse the status database.

        Raises:
            CollectionError: the database is missing, unreadable or empty. An empty status file
                is a damaged database (dpkg itself is always installed), and reporting it as
                "no packages" would tell the collector every package was removed.
        """
        path = root / STATUS_FILE
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CollectionError(f"{path}: cannot read dpkg database: {exc.strerror or exc}") from exc
        # Maintainer names in old packages may be Latin-1; never let one byte sink the inventory.
        text = data.decode("utf-8", errors="replace")
        if not text.strip():
            raise CollectionError(f"{path}: dpkg database is empty (truncated?); not reporting 0 packages")
        return parse_status(text, distro=distro_id(root) or "debian", info_dir=root / INFO_DIR)
