"""Whose MIBs a device answers when its sysObjectID names only its agent: a few GETNEXTs, each skipping
to the next enterprise, and that maker's vendor, serial, model and firmware objects asked like a
sysObjectID enterprise's; and, where sysObjectID names the maker, the other makers whose MIBs the device
answers, asked for their serial, model and firmware objects only."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from agent.scan.snmp.maker_probe import ENTERPRISES, first_objects, maker_enterprise, maker_object, wanted
from agent.scan.snmp.observations import MAX_OTHER_MAKERS, build_observations, identity_requests, other_makers
from agent.scan.snmp.oids import Oid
from tests.agent.scan.snmp.agents import TableAgent

NET_SNMP_LINUX = (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)


def _ent(*arcs: int) -> Oid:
    return (*ENTERPRISES, *arcs)


# A net-snmp NAS: UCD's and net-snmp's own objects around SYNOLOGY-SYSTEM-MIB's system group (6574.1.5:
# modelName, serialNumber, version), the way such a box answers.
NAS: dict[Oid, Any] = {
    (1, 3, 6, 1, 2, 1, 1, 1, 0): b"Linux nas1 4.4.59+ #25426 SMP PREEMPT x86_64",
    (1, 3, 6, 1, 2, 1, 1, 2, 0): NET_SNMP_LINUX,
    (1, 3, 6, 1, 2, 1, 1, 5, 0): b"nas1",
    _ent(2021, 4, 5, 0): 16_000_000,
    _ent(2021, 10, 1, 3, 1): b"0.10",
    _ent(6574, 1, 1, 0): 1,
    _ent(6574, 1, 5, 1, 0): b"DS916+",
    _ent(6574, 1, 5, 2, 0): b"1690NXN123456",
    _ent(6574, 1, 5, 3, 0): b"DSM 6.2-25556",
    _ent(8072, 1, 2, 1, 1, 4, 0, 1, 0): 1,
}


def test_the_probe_skips_from_enterprise_to_enterprise_and_names_the_maker() -> None:
    agent = TableAgent(NAS)
    first = asyncio.run(first_objects(agent))
    assert first == (_ent(2021, 4, 5, 0), _ent(6574, 1, 1, 0), _ent(8072, 1, 2, 1, 1, 4, 0, 1, 0))
    # One GETNEXT per enterprise and one that finds the end: each starts past the last enterprise seen.
    assert [oids for oids, _ in agent.bulks] == [(ENTERPRISES,), (_ent(2022),), (_ent(6575),), (_ent(8073),)]
    assert maker_enterprise(first) == 6574 and maker_object(first) == _ent(6574, 1, 1, 0)
    assert maker_enterprise((first[0], first[2])) == 0 and maker_enterprise(()) == 0
    assert maker_object((first[0], first[2])) == ()


def test_the_probe_asks_at_most_its_hops_and_stops_outside_enterprises() -> None:
    many = {_ent(pen, 1, 0): 1 for pen in range(100, 120)}
    assert asyncio.run(first_objects(TableAgent(many), hops=3)) == (_ent(100, 1, 0), _ent(101, 1, 0), _ent(102, 1, 0))
    # Nothing under enterprises: the first answer lies beyond it (or is the end of the view).
    assert asyncio.run(first_objects(TableAgent({(1, 3, 6, 1, 6, 3, 1, 0): 1}))) == ()
    assert asyncio.run(first_objects(TableAgent({}))) == ()


class _Looping(TableAgent):
    """A broken agent whose GETNEXT answers with the OID it was asked (no progress)."""

    async def _bulk(self, oids: Sequence[Oid], reps: int) -> list[tuple[Oid, Any]]:
        self.bulks.append((tuple(oids), reps))
        return [(oids[0] if oids[0] != ENTERPRISES else _ent(9, 1), 1)]


def test_an_agent_that_does_not_move_forward_ends_the_probe() -> None:
    agent = _Looping({})
    assert asyncio.run(first_objects(agent)) == (_ent(9, 1),)
    assert len(agent.bulks) == 2


def test_the_probe_is_wanted_only_when_sys_object_id_names_no_maker() -> None:
    assert wanted("") and wanted("1.3.6.1.4.1.8072.3.2.10") and wanted("1.3.6.1.4.1.2021.250.10")
    assert wanted("1.3.6.1.2.1.1") and wanted("1.3.6.1.4.1.4413") and wanted("1.3.6.1.4.1.311.1.1.3.1.2")
    assert not wanted("1.3.6.1.4.1.9.1.1208") and not wanted("1.3.6.1.4.1.6574.1")


def test_the_makers_objects_are_asked_and_name_vendor_model_serial_and_firmware() -> None:
    hand, extra, note = identity_requests(".".join(map(str, NET_SNMP_LINUX)), frozenset(), (_ent(6574, 1, 1, 0),))
    assert not note
    asked = (*hand, *(o.oid for o in extra))
    assert {_ent(6574, 1, 5, 1, 0), _ent(6574, 1, 5, 2, 0), _ent(6574, 1, 5, 3, 0)} <= set(asked)
    assert len(asked) == len(set(asked))  # nothing asked twice
    # Without the maker, only net-snmp's own list (hand-checked appliances) is asked.
    assert set(identity_requests(".".join(map(str, NET_SNMP_LINUX)), frozenset())[0]) <= set(hand)

    scalars = {oid: NAS[oid] for oid in (*NAS, *asked) if oid in NAS and oid[:7] != _ent(2021)}
    (dev,) = build_observations("192.0.2.7", scalars, {}, seen_at=datetime.now(UTC),
                                answering=(_ent(2021, 4, 5, 0), _ent(6574, 1, 1, 0)))
    assert dev.vendor == "Synology"
    assert "answers enterprise 6574's MIB" in dict(dev.attributes)["vendorEvidence"]
    assert (dev.model, dev.serial) == ("DS916+", "1690NXN123456")
    assert "6.2" in dev.firmware
    # The same device without the probe's answer: no maker's name (its MAC is unknown here).
    (bare,) = build_observations("192.0.2.7", scalars, {}, seen_at=datetime.now(UTC))
    assert bare.vendor == ""


def test_a_maker_under_its_own_sys_object_id_is_not_probed_into_another() -> None:
    scalars: dict[Oid, Any] = {(1, 3, 6, 1, 2, 1, 1, 2, 0): _ent(9, 1, 1208), (1, 3, 6, 1, 2, 1, 1, 1, 0): b"switch"}
    (dev,) = build_observations("192.0.2.8", scalars, {}, seen_at=datetime.now(UTC), answering=(_ent(6574, 1, 1, 0),))
    assert dev.vendor == "Cisco"


def test_a_maker_known_only_to_the_public_mibs_registry_is_asked_for_its_objects() -> None:
    # No sysObjectID at all; the device answers OAP-NMU (enterprise 40989), whose serialNumber and
    # softwareVersion scalars only the registry compiled from public MIBs lists.
    serial, release = _ent(40989, 10, 16, 20, 15, 0), _ent(40989, 10, 16, 20, 13, 0)
    hand, extra, _ = identity_requests("", frozenset(), (_ent(40989, 10, 16, 20, 15, 0),))
    assert {serial, release} <= {o.oid for o in extra} and not {serial, release} & set(hand)
    scalars: dict[Oid, Any] = {(1, 3, 6, 1, 2, 1, 1, 1, 0): b"NMU", serial: b"NMU1234567", release: b"1.03.24"}
    (dev,) = build_observations("192.0.2.9", scalars, {}, seen_at=datetime.now(UTC),
                                answering=(_ent(40989, 10, 16, 20, 15, 0),))
    assert (dev.serial, dev.firmware) == ("NMU1234567", "1.03.24")


# A Check Point Gaia gateway as its net-snmp agent answers: net-snmp's sysObjectID, a uname sysDescr,
# HOST-RESOURCES, and CHECKPOINT-MIB's firewall objects under its products subtree (values made up).
GAIA_FIRST = (_ent(2620, 1, 1, 4, 0), _ent(8072, 1, 2, 1, 1, 4, 0, 1, 0))


def test_the_makers_first_object_in_a_subtree_its_mib_types_types_the_device() -> None:
    scalars: dict[Oid, Any] = {(1, 3, 6, 1, 2, 1, 1, 1, 0): b"Linux gw1 3.10.0-957.21.3cpx86_64 #1 SMP x86_64",
                               (1, 3, 6, 1, 2, 1, 1, 2, 0): NET_SNMP_LINUX}
    mibs = frozenset({"host-resources"})
    (dev,) = build_observations("192.0.2.10", scalars, {}, seen_at=datetime.now(UTC), mibs=mibs, answering=GAIA_FIRST)
    assert dev.device_type == "firewall"
    assert "answers objects under CHECKPOINT-MIB" in dict(dev.attributes)["typeEvidence"]
    # Without the probe's answer it is the Linux host its agent says it is.
    (bare,) = build_observations("192.0.2.10", scalars, {}, seen_at=datetime.now(UTC), mibs=mibs)
    assert bare.device_type == "server"
    # A maker's first object outside any typed subtree says nothing of the type (Synology's system group).
    (nas,) = build_observations("192.0.2.11", scalars, {}, seen_at=datetime.now(UTC), mibs=mibs,
                                answering=(_ent(6574, 1, 1, 0),))
    assert nas.device_type == "server"
    # And a device whose sysObjectID names its maker is typed by that, never by the probe.
    own = {**scalars, (1, 3, 6, 1, 2, 1, 1, 2, 0): _ent(9, 1, 1208)}
    (cisco,) = build_observations("192.0.2.12", own, {}, seen_at=datetime.now(UTC), mibs=mibs, answering=GAIA_FIRST)
    assert "CHECKPOINT-MIB" not in dict(cisco.attributes).get("typeEvidence", "")


def test_a_monitoring_tool_s_own_mib_on_the_host_it_watches_names_no_maker() -> None:
    """LibreNMS's extend scripts publish under its own enterprise (60652) on the Linux hosts it watches: the
    probe finds it after net-snmp's, and neither names the host's maker."""
    host = {**{k: v for k, v in NAS.items() if k[:7] != _ent(6574)}, _ent(60652, 100, 1, 1, 2, 1): b"Control domain"}
    first = asyncio.run(first_objects(TableAgent(host)))
    assert first == (_ent(2021, 4, 5, 0), _ent(8072, 1, 2, 1, 1, 4, 0, 1, 0), _ent(60652, 100, 1, 1, 2, 1))
    assert maker_enterprise(first) == 0
    assert maker_enterprise((*first, _ent(60653, 1, 0))) == 60653


def test_other_makers_are_those_the_device_answers_that_the_registry_knows() -> None:
    # An Eltex switch (35265) answering UCD-SNMP's (agent software), Aricent's and its own MIBs, and an
    # enterprise whose MIBs name no serial, model or version object (4242424 is nobody's).
    answering = (_ent(2021, 4, 5, 0), _ent(2076, 81, 1, 1, 0), _ent(4242424, 1, 0), _ent(35265, 1, 23, 1, 0))
    assert other_makers(35265, answering) == (2076,)
    # At most MAX_OTHER_MAKERS, in the order the probe found them.
    many = (_ent(2076, 1, 0), _ent(9070, 1, 0), _ent(59732, 1, 0))
    assert other_makers(35265, many) == (2076, 9070)[:MAX_OTHER_MAKERS]
    assert other_makers(35265, ()) == ()


def test_other_makers_objects_fill_only_identity_and_follow_the_makers_own() -> None:
    # The SyncServer shape: sysObjectID under 39165, SYMM-SMI's etc objects under 9070 (values made up).
    device = _ent(39165, 1, 6)
    etc = _ent(9070, 1, 2, 3, 1, 5, 1, 6)
    scalars: dict[Oid, Any] = {(1, 3, 6, 1, 2, 1, 1, 1, 0): b"Linux SyncServer 2.6.10 #18 i686",
                               (1, 3, 6, 1, 2, 1, 1, 2, 0): device,
                               (*etc, 1, 0): b"2.83.2", (*etc, 2, 0): b"1126A67238", (*etc, 3, 0): b"S350"}
    (dev,) = build_observations("192.0.2.10", scalars, {}, seen_at=datetime.now(UTC),
                                answering=(_ent(9070, 1, 1, 0), _ent(39165, 1, 1, 0)))
    assert (dev.serial, dev.model, dev.firmware) == ("1126A67238", "S350", "2.83.2")
    (alone,) = build_observations("192.0.2.10", scalars, {}, seen_at=datetime.now(UTC))
    assert (alone.serial, alone.vendor) == ("", dev.vendor)  # the vendor stays sysObjectID's
