"""A small estate for the manual-decision tests: the issue's router seen as two halves, and a PC whose
host name also landed on a dock's MAC; written straight into a real store's tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from collector.domain.model import RecordedAsset
from collector.store.duckdb import Store

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
H = timedelta(hours=1)
ARP_MAC = "00:1b:21:aa:00:01"        # what answered ARP for the router's address
IF_MAC = "00:1b:21:bb:00:09"         # an interface MAC the router reports about itself over SNMP
PC_MAC = "00:1b:21:cc:00:01"
DOCK_MAC = "00:1b:21:dd:00:07"


def sight(store: Store, *rows: dict[str, Any]) -> None:
    # every row with every column: Arrow takes the columns from the first row
    full = [{"report_id": f"r-{n}-{row['subject']}-{row['seen_at'].timestamp()}", "source_id": "scanner-1",
             "ips": [], "macs": [], "networks": [], "hostname": None, "serial": None, "device_type": None, **row}
            for n, row in enumerate(rows)]
    store.write([("INSERT INTO sightings BY NAME SELECT * FROM new_sightings", [])],
                tables={"new_sightings": pa.Table.from_pylist(full)})


def estate(store: Store, at: datetime = NOW - H) -> None:
    """The issue's router (ARP half + SNMP half with nothing in common) and a PC whose stale DNS name
    also landed on a dock's MAC (joined to the PC by host name)."""
    sight(store,
          {"subject": f"mac:{ARP_MAC}", "method": "arp", "seen_at": at, "macs": [ARP_MAC], "ips": ["192.0.2.1"]},
          {"subject": f"mac:{IF_MAC}", "method": "snmp", "seen_at": at, "macs": [IF_MAC], "ips": ["192.0.2.1"],
           "hostname": "isp-gw", "device_type": "router"},
          {"subject": "agent:pc1", "source_id": "pc1", "method": "agent", "seen_at": at, "macs": [PC_MAC],
           "ips": ["192.0.2.20"], "hostname": "pc-1", "serial": "SN-PC1"},
          {"subject": f"mac:{DOCK_MAC}", "method": "nmap", "seen_at": at, "macs": [DOCK_MAC],
           "ips": ["192.0.2.21"], "hostname": "pc-1"})


def register(store: Store, at: datetime = NOW - 2 * H) -> None:
    """The register knows the router by its ARP MAC and the PC by its serial."""
    records = [RecordedAsset(record_key="NC-GW", line=2, asset_tag="NC-GW", name="isp-gw", macs=(ARP_MAC,)),
               RecordedAsset(record_key="NC-PC1", line=3, asset_tag="NC-PC1", name="pc-1", serial="SN-PC1")]
    store.replace_register("snipeit", records, import_id=f"imp-{at.timestamp()}", filename="r.csv", fmt="snipeit",
                           sha256="x", now=at)
