"""Globally installed npm packages (`npm install -g`).

npm's global prefix puts packages in <prefix>/lib/node_modules/<name>/ and scoped ones in
<prefix>/lib/node_modules/@scope/<name>/ (docs.npmjs.com, "folders"); each has its own
package.json with `name`, `version` and `author` (a string or a {name, email} object).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.facts._fsutil import mtime_utc
from agent.facts.model import SoftwareItem
from agent.facts.software.base import purl

# Debian's nodejs uses /usr/lib; npm's default prefix /usr/local; Homebrew on Apple silicon
# /opt/homebrew; Windows %APPDATA%\npm has no lib/ level.
PREFIXES = (
    "usr/lib/node_modules",
    "usr/local/lib/node_modules",
    "opt/homebrew/lib/node_modules",
    "Users/*/AppData/Roaming/npm/node_modules",
)


def _author(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name", ""))
    return str(value) if isinstance(value, str) else ""


def _package_dirs(modules: Path) -> list[Path]:
    dirs: list[Path] = []
    for entry in sorted(modules.iterdir()):
        if entry.name.startswith("@"):
            dirs.extend(sorted(p for p in entry.iterdir() if p.is_dir()))
        elif entry.is_dir() and not entry.name.startswith("."):  # .bin, .package-lock.json
            dirs.append(entry)
    return dirs


class NpmSource:
    """Global node_modules packages."""

    name = "npm"
    libraries = True

    def _roots(self, root: Path) -> list[Path]:
        return [p for pattern in PREFIXES for p in sorted(root.glob(pattern)) if p.is_dir()]

    def is_present(self, root: Path) -> bool:
        """A global node_modules directory exists."""
        return bool(self._roots(root))

    def collect(self, root: Path) -> list[SoftwareItem]:
        """Read each package.json; a package with unreadable or nameless package.json is skipped."""
        items: list[SoftwareItem] = []
        for modules in self._roots(root):
            for package_dir in _package_dirs(modules):
                manifest = package_dir / "package.json"
                try:
                    data = json.loads(manifest.read_bytes())
                except (OSError, ValueError):
                    continue
                if not isinstance(data, dict) or not data.get("name"):
                    continue
                name = str(data["name"])
                version = str(data.get("version", ""))
                scope, _, bare = name.rpartition("/")
                items.append(
                    SoftwareItem(
                        name=name,
                        version=version,
                        source="npm",
                        vendor=_author(data.get("author")),
                        installed_at=mtime_utc(manifest),
                        # purl-spec npm: the scope is the namespace, "@" percent-encoded.
                        purl=purl("npm", bare, version, namespace=scope),
                    )
                )
        return items
