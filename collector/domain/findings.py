"""Findings and assets as the query side hands them out: to the CLI, the Query service and files.

One shape each (STYLE habit 13): the refresh use case and the store produce these, the output
layer and the wire conversions consume them, whether the rows came from a DuckDB file (`--db`)
or over gRPC (`--collector`). The field order is the order of the keys in `--format json`
(DESIGN.md, "Interface contract"), so the JSON a user sees is these fields, in this order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason behind a finding: which source saw what (or which rule or register said so), and when."""

    source: str                  # a source id, "register:<file>" or "rules"
    method: str                  # agent, arp, nmap, snmp, register, rule, ...
    seen_at: datetime | None
    detail: str


@dataclass(frozen=True, slots=True)
class FindingRow:
    """A finding with the identifiers of its asset and record, and its lifecycle.

    Identifier fields are None when neither the asset nor the record knows them (JSON null).
    `register`/`record_key` name the matched record.
    `first_seen_installed` answers "since when" for software findings: when netcensus first saw the
    install (its `first_seen`); None for findings about no particular install. Derived, so the
    `--db` and `--collector` paths cannot disagree on it.
    """

    finding_id: str
    kind: str
    severity: str
    asset_id: str | None
    hostname: str | None
    ip: str | None
    mac: str | None
    serial: str | None
    asset_tag: str | None
    status: str | None
    status_class: str | None
    rule_id: str | None
    software_name: str | None
    software_version: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    evidence: tuple[Evidence, ...]
    summary: str
    suppressed: bool
    suppression: str | None
    register: str | None
    record_key: str | None
    opened_at: datetime | None
    resolved_at: datetime | None
    first_seen_installed: datetime | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "first_seen_installed", self.first_seen if self.software_name else None)


@dataclass(frozen=True, slots=True)
class AssetRow:
    """A resolved asset with what was seen and, when matched, what is recorded."""

    asset_id: str
    hostnames: tuple[str, ...]
    ips: tuple[str, ...]
    macs: tuple[str, ...]
    vendor: str | None
    serial: str | None
    model: str | None
    device_type: str | None
    os: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    sources: tuple[str, ...]
    asset_tag: str | None
    status: str | None
    matched_by: str | None
    system_uuid: str | None
    # The locally administered (randomised) MAC of an asset known only by one: a label, never identity.
    random_mac: str | None = None
    firmware: str | None = None  # OS or firmware version (a device's firmware, an agent's OS version)
