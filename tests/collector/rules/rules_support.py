"""Helpers for the rules tests: a real store file whose assets and installs are the fixture estate.

The estate is written into the store's own tables (assets, asset_members, software_installs,
inventory_state), so the engines read it through the real ``software_scoped`` and
``assets_scoped`` views of migration 002. A module of its own (not conftest.py) so that test
modules can import it by a name no other test directory uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from collector.inventory.identity import ResolvedAsset
from collector.store.duckdb import Store

REPO = Path(__file__).resolve().parents[3]
SHIPPED_RULES = REPO / "rules"
DATA = REPO / "tests" / "data" / "rules"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Host:
    """One asset of the fixture estate, reported by one agent (subject ``agent:<asset_id>``)."""

    asset_id: str
    hostname: str | None = None
    os_family: str | None = "linux"
    device_type: str | None = "workstation"
    ips: Sequence[str] = ()
    has_inventory: bool = True
    software: Sequence[tuple[object, ...]] = field(default_factory=list)


def build_store(path: Path, hosts: Sequence[Host]) -> Store:
    """Create a store holding ``hosts``; software tuples are (name, version, vendor, source[, days]).

    The optional fifth element offsets the install's first_seen by that many days, for licence
    seat order; every install was last seen at NOW. The store keeps name, version and source as
    NOT NULL columns (an agent that cannot tell says ""), so None becomes "" there; vendor may be
    NULL.
    """
    statements: list[tuple[str, Sequence[object]]] = []
    for h in hosts:
        subject = f"agent:{h.asset_id}"
        statements.append((
            "INSERT INTO assets (asset_id, hostnames, ips, device_type, os_family, first_seen, last_seen, "
            "sources, matched_by, has_software_inventory) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'anchor', ?)",
            [h.asset_id, [h.hostname] if h.hostname else [], list(h.ips), h.device_type, h.os_family, T0, NOW,
             [h.asset_id], h.has_inventory],
        ))
        statements.append(("INSERT INTO asset_members VALUES (?, ?, 'anchor')", [subject, h.asset_id]))
        sources: set[str] = set()
        for item in h.software:
            name, version, vendor, source = (None if v is None else str(v) for v in item[:4])
            seen = T0 + timedelta(days=int(str(item[4]))) if len(item) > 4 else T0
            sources.add(source or "")
            statements.append((
                "INSERT INTO software_installs (subject, source_id, name, version, arch, pkg_source, vendor, "
                "first_seen, first_report_id) VALUES (?, ?, ?, ?, '', ?, ?, ?, 'r-fixture')",
                [subject, h.asset_id, name or "", version or "", source or "", vendor, seen],
            ))
        statements += [("INSERT INTO inventory_state VALUES (?, ?, ?, 'r-fixture', NULL)", [subject, source, NOW])
                       for source in sorted(sources)]
    store = Store.open(path)
    store.write(statements)
    return store


def write_rules(directory: Path, name: str, text: str) -> Path:
    """Write one rule file and return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def resolved(h: Host) -> ResolvedAsset:
    """The resolved asset of a fixture host, as a refresh hands assets to the rule step."""
    return ResolvedAsset(
        asset_id=h.asset_id, members=[f"agent:{h.asset_id}"], matched_by={f"agent:{h.asset_id}": "anchor"},
        hostnames=[h.hostname] if h.hostname else [], ips=list(h.ips), macs=[], serials=[], uuids=[], vendor="",
        model="", device_type=h.device_type or "", os="", os_family=h.os_family or "", first_seen=T0, last_seen=NOW,
        sources=[f"{h.asset_id}:agent"], has_software=h.has_inventory)
