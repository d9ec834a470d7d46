"""Walk plans: which tables are worth walking, given which have rows."""

from __future__ import annotations

from agent.scan.snmp.oids import COLUMNS, PRESENCE, present_mibs, tables_to_walk


def test_tables_to_walk_skips_helpers_of_empty_tables_and_repeats() -> None:
    everything = dict.fromkeys(COLUMNS, True)
    # ipNetToPhysicalTable repeats ipNetToMediaTable; both FDB tables are read (a union).
    assert "arp2" not in tables_to_walk(everything)
    assert {"arp", "fdb", "qfdb", "bport", "qvlan", "lldploc", "lldpman"} <= set(tables_to_walk(everything))
    assert "arp2" in tables_to_walk({**everything, "arp": False})
    # Port maps and VLAN/LLDP helpers only for the tables they interpret.
    no_bridge = {**everything, "fdb": False, "qfdb": False, "lldp": False}
    assert not {"bport", "qvlan", "lldploc", "lldpman"} & set(tables_to_walk(no_bridge))
    assert "bport" in tables_to_walk({**everything, "qfdb": False})
    assert "qvlan" not in tables_to_walk({**everything, "qfdb": False})
    assert tables_to_walk({"if": True, "ifx": True, "sw": False}) == ["if", "ifx"]


def test_presence_counts_a_status_object_only_at_its_telling_value() -> None:
    # ipForwarding and ospfAdminStat are answered by every agent that implements their MIBs:
    # forwarding(1) and enabled(1) are the evidence, notForwarding(2) and disabled(2) are not.
    def census(**answered: int) -> list[int | None]:
        return [answered.get(key.replace("-", "_")) for key in PRESENCE]

    assert present_mibs(census(ip_forwarding=2, ospf_enabled=2, bgp_peers=4)) == {"bgp-peers"}
    assert present_mibs(census(ip_forwarding=1, ospf_enabled=1)) == {"ip-forwarding", "ospf-enabled"}
    assert present_mibs(census()) == frozenset()
