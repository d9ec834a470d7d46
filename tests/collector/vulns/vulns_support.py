"""Helpers for the vulnerability tests: a real store whose machines, OS releases and installs are given.

Rows go into the store's own tables (assets, asset_members, sightings with the agent's os-release
VERSION_ID in ``firmware``, software_installs with source package and purl as the agent writes
them), so matching reads exactly what an agent's report leaves behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from collector.store.duckdb import Store

REPO = Path(__file__).resolve().parents[3]
OSV = REPO / "tests" / "data" / "vulns" / "osv"
BAD = REPO / "tests" / "data" / "vulns" / "bad"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Pkg:
    """One install: name, version, package source; source package and distro (purl namespace) if any."""

    name: str
    version: str
    source: str
    source_package: str = ""
    distro: str = ""

    @property
    def purl(self) -> str:
        kind = {"deb": "deb", "rpm": "rpm", "apk": "apk", "pip": "pypi", "npm": "npm"}.get(self.source)
        if kind is None:
            return ""
        namespace = f"{self.distro}/" if self.distro else ""
        return f"pkg:{kind}/{namespace}{self.name}@{self.version}"


@dataclass
class Machine:
    """A machine with one agent: its OS release (os-release VERSION_ID) and its packages."""

    asset_id: str
    version_id: str = ""
    software: Sequence[Pkg] = field(default_factory=list)


def deb(name: str, version: str, source_package: str = "", distro: str = "debian") -> Pkg:
    """A Debian-family install (Ubuntu with distro="ubuntu")."""
    return Pkg(name, version, "deb", source_package or name, distro)


def build_store(path: Path, machines: Sequence[Machine]) -> Store:
    """A store file holding ``machines`` (subject ``agent:<asset_id>``, host name = asset id)."""
    statements: list[tuple[str, Sequence[object]]] = []
    for m in machines:
        subject = f"agent:{m.asset_id}"
        statements.append((
            "INSERT INTO assets (asset_id, hostnames, ips, device_type, os_family, first_seen, last_seen, sources, "
            "matched_by, has_software_inventory) VALUES (?, ?, [], 'server', 'linux', ?, ?, ?, 'anchor', true)",
            [m.asset_id, [m.asset_id], T0, NOW, [m.asset_id]]))
        statements.append(("INSERT INTO asset_members VALUES (?, ?, 'anchor')", [subject, m.asset_id]))
        statements.append((
            "INSERT INTO sightings (report_id, source_id, method, seen_at, subject, hostname, firmware) "
            "VALUES ('r-fixture', ?, 'agent', ?, ?, ?, ?)", [m.asset_id, NOW, subject, m.asset_id, m.version_id]))
        for p in m.software:
            statements.append((
                "INSERT INTO software_installs (subject, source_id, name, version, arch, pkg_source, source_package, "
                "purl, first_seen, first_report_id) VALUES (?, ?, ?, ?, 'amd64', ?, ?, ?, ?, 'r-fixture')",
                [subject, m.asset_id, p.name, p.version, p.source, p.source_package or None, p.purl or None, T0]))
    store = Store.open(path)
    store.write(statements)
    return store
