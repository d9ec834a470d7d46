"""ScanBatch <-> JSON-ready dicts, for `scan --format json` and the namespace lab's pipe.

Pure functions over the frozen model; field names are the dataclass (or facts Record) field
names, enums are their CLI values, datetimes are ISO 8601 with offset.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any

from agent.facts.model import NetworkInterface, Record, SoftwareItem
from agent.scan.model import (
    L2Binding,
    Method,
    Observation,
    OpenPort,
    ScanBatch,
    SeenVia,
    SkippedAddresses,
    SnmpSystem,
    TargetStatus,
)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Record):  # the facts' value objects (NetworkInterface): fields are __slots__
        return {name: _plain(getattr(value, name)) for name in value.__slots__}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def batch_to_dict(batch: ScanBatch) -> dict[str, Any]:
    """A JSON-serialisable dict of a batch (no credentials are ever in a batch)."""
    out: dict[str, Any] = _plain(batch)
    return out


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _software(d: dict[str, Any]) -> SoftwareItem:
    return SoftwareItem(
        name=d["name"], version=d["version"], source=d["source"], vendor=d.get("vendor", ""),
        arch=d.get("arch", ""), source_package=d.get("source_package", ""),
        installed_at=_dt(d["installed_at"]) if d.get("installed_at") else None, purl=d.get("purl", ""),
    )


def _observation(d: dict[str, Any]) -> Observation:
    return Observation(
        method=Method(d["method"]), seen_at=_dt(d["seen_at"]), ip=d.get("ip", ""), mac=d.get("mac", ""),
        hostname=d.get("hostname", ""), vendor=d.get("vendor", ""), device_type=d.get("device_type", ""),
        os_family=d.get("os_family", ""),
        snmp=SnmpSystem(**d["snmp"]) if d.get("snmp") else None,
        open_ports=tuple(OpenPort(**p) for p in d.get("open_ports", ())),
        software=tuple(_software(s) for s in d.get("software", ())),
        seen_via=SeenVia(**d["seen_via"]) if d.get("seen_via") else None,
        serial=d.get("serial", ""), model=d.get("model", ""),
        interfaces=tuple(NetworkInterface(**{**i, "addresses": tuple(i.get("addresses", ()))})
                         for i in d.get("interfaces", ())),
        mac_is_local=bool(d.get("mac_is_local", False)),
        attributes=tuple((str(k), str(v)) for k, v in d.get("attributes", ())),
        l2_binding=L2Binding(mac=d["l2_binding"]["mac"], learnt_by=d["l2_binding"]["learnt_by"],
                             seen_at=_dt(d["l2_binding"]["seen_at"])) if d.get("l2_binding") else None,
        firmware=d.get("firmware", ""),
    )


def batch_from_dict(d: dict[str, Any]) -> ScanBatch:
    """Inverse of batch_to_dict."""
    return ScanBatch(
        scan_id=d["scan_id"], targets=tuple(d["targets"]), methods=tuple(Method(m) for m in d["methods"]),
        started_at=_dt(d["started_at"]), finished_at=_dt(d["finished_at"]),
        observations=tuple(_observation(o) for o in d.get("observations", ())),
        statuses=tuple(TargetStatus(**{**s, "method": Method(s["method"])}) for s in d.get("statuses", ())),
        complete=bool(d.get("complete", False)), extra=dict(d.get("extra", {})),
        skipped=tuple(SkippedAddresses(reason=k["reason"], count=int(k["count"]), examples=tuple(k.get("examples", ())))
                      for k in d.get("skipped", ())),
    )
