"""BRIDGE-MIB dot1dTpFdbTable (RFC 4188) and Q-BRIDGE-MIB dot1qTpFdbTable (RFC 4363) -> SNMP_FDB sightings.

The MACs a switch has learnt, with the port (and VLAN) it learnt them on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from agent.scan.classify import normalise_mac
from agent.scan.model import Method, Observation, SeenVia
from agent.scan.snmp.mib import Tables, sighting
from agent.scan.snmp.oids import DOT1D_BASE_PORT_IFINDEX, DOT1D_TP_FDB, DOT1Q_TP_FDB, DOT1Q_VLAN_FDB_ID, Oid
from agent.scan.snmp.values import as_int, rows_by_index


def sightings(host: str, device_name: str, port_names: Mapping[int, str], tables: Tables,
              seen_at: datetime) -> list[Observation]:
    """Each learnt MAC of the forwarding tables as a sighting on its port (self and stale entries skipped)."""
    bports = rows_by_index(tables.get("bport", ()), DOT1D_BASE_PORT_IFINDEX[:-1])
    port_if = {idx[0]: as_int(cols[2]) for idx, cols in bports.items() if len(idx) == 1 and 2 in cols}
    # dot1qVlanFdbId: index TimeMark.VlanIndex -> FdbId; invert to learn each FDB's VLAN.
    fdb_vlan: dict[int, int] = {}
    for idx, cols in rows_by_index(tables.get("qvlan", ()), DOT1Q_VLAN_FDB_ID[:-1]).items():
        if len(idx) == 2 and 3 in cols:
            fdb_vlan.setdefault(as_int(cols[3]), idx[1])
    out: list[Observation] = []
    seen: set[tuple[str, int]] = set()

    def add(mac_ids: Oid, port: int, status: int, vlan: int) -> None:
        # dot1dTpFdbStatus/dot1qTpFdbStatus self(4) is the bridge's own address, invalid(2) stale.
        if len(mac_ids) != 6 or status in (2, 4) or port == 0:
            return
        mac = normalise_mac(bytes(mac_ids))
        if (mac, port) in seen:
            return
        seen.add((mac, port))
        ifindex = port_if.get(port, 0)
        via = SeenVia(device_ip=host, device_name=device_name, if_index=ifindex,
                      port_name=port_names.get(ifindex, "") or f"bridge port {port}", vlan=vlan)
        out.append(sighting(Method.SNMP_FDB, seen_at, "", mac, via))

    # Q-BRIDGE first (it knows the VLAN); BRIDGE-MIB adds what an 802.1Q-unaware switch reports.
    for idx, cols in sorted(rows_by_index(tables.get("qfdb", ()), DOT1Q_TP_FDB).items()):
        if len(idx) == 7:
            add(idx[1:], as_int(cols.get(2, 0)), as_int(cols.get(3, 3)), fdb_vlan.get(idx[0], idx[0]))
    for idx, cols in sorted(rows_by_index(tables.get("fdb", ()), DOT1D_TP_FDB).items()):
        add(idx, as_int(cols.get(2, 0)), as_int(cols.get(3, 3)), 0)
    return out
