"""The identity-objects registry as the scanner uses it: the shipped table's sanity, which candidates a
device is asked for, and what their answers say."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from agent.scan.snmp.identity_mibs import PER_KIND
from agent.scan.snmp.mib.identity_objects import (
    GET_BATCH,
    KINDS,
    MAX_PER_DEVICE,
    REGISTRY,
    Answer,
    IdObject,
    RegistryError,
    answers,
    choose,
    load,
    parse,
)

ENT = (1, 3, 6, 1, 4, 1)


def test_the_shipped_registry_is_small_loads_and_is_sane() -> None:
    assert REGISTRY.is_file() and REGISTRY.stat().st_size < 100_000
    table = load()
    assert load() is table  # read once per process
    assert len(table) > 80  # enterprises with at least one candidate
    for pen, objs in table.items():
        assert objs and len(objs) <= 3 * PER_KIND
        for o in objs:
            assert o.kind in KINDS
            assert o.oid[:7] == (*ENT, pen) and len(o.oid) > 8
            module, _, name = o.name.partition("::")
            assert module and name and " " not in name
    # Scalars at their instance .0, by GET; columns of tables whose first row is the device, by GETNEXT.
    read = [o.first_row for objs in table.values() for o in objs]
    assert 0 < sum(read) < len(read) / 4
    header = gzip.decompress(REGISTRY.read_bytes()).decode().splitlines()[:3]
    assert header[0].startswith("# netcensus identity objects") and header[1].startswith("# source: netdisco-mibs")


@pytest.mark.parametrize(("pen", "kind", "name"), [
    # Objects the public MIBs define and a hand list once named: the criterion finds them by name.
    (318, "serial", "PowerNet-MIB::upsAdvIdentSerialNumber"),
    (12356, "serial", "FORTINET-CORE-MIB::fnSysSerial"),
    (3375, "firmware", "F5-BIGIP-SYSTEM-MIB::sysProductVersion"),
    (14988, "serial", "MIKROTIK-MIB::mtxrSerialNumber"),
])
def test_well_known_vendor_objects_are_in_it(pen: int, kind: str, name: str) -> None:
    assert (kind, name) in {(o.kind, o.name) for o in load()[pen]}


def test_no_candidate_names_another_part_of_the_device() -> None:
    parts = ("Battery", "Fan", "Psu", "Sfp", "Transceiver", "Disk", "Sensor", "License", "Peer", "Neighbor")
    names = [o.name.partition("::")[2] for objs in load().values() for o in objs]
    assert not [n for n in names if any(p in n for p in parts)]


def _acme() -> dict[int, tuple[IdObject, ...]]:
    def o(kind: str, tail: str) -> IdObject:
        return IdObject(kind, (*ENT, 99999, *(int(x) for x in tail.split("."))), f"ACME-MIB::acme{kind}{tail}")

    return {99999: (
        *(o("serial", f"1.{i}.0") for i in range(1, 21)),
        *(o("model", f"2.{i}.0") for i in range(1, 4)),
        *(o("firmware", f"3.{i}.0") for i in range(1, 21)),
        o("serial", "7.4.1.1.0"),  # under product 7.4, the one the device's sysObjectID names
        o("model", "5.1.2"),  # a column, read at its first row
    )}


def test_a_device_is_asked_a_bounded_share_of_every_kind() -> None:
    chosen = choose("1.3.6.1.4.1.99999.9.9", _acme())
    assert len(chosen) == MAX_PER_DEVICE and len({o.oid for o in chosen}) == MAX_PER_DEVICE
    kinds = [o.kind for o in chosen]
    # All three models, the rest shared by serial and firmware (their best first).
    assert kinds.count("model") == 4 and abs(kinds.count("serial") - kinds.count("firmware")) <= 1
    assert chosen[0].oid == (*ENT, 99999, 1, 1, 0) and chosen[1].kind == "model"
    assert MAX_PER_DEVICE <= GET_BATCH  # one GET per device


def test_the_devices_own_product_subtree_comes_first() -> None:
    chosen = choose("1.3.6.1.4.1.99999.7.4.2", _acme())
    assert chosen[0].oid == (*ENT, 99999, 7, 4, 1, 1, 0)


def test_of_a_mib_copied_per_product_line_only_the_devices_own_copy_comes_first() -> None:
    # D-Link's shape: one copy of a MIB per product line under 171.10 (its products there too), ranked
    # after the maker's MIB for every product under 171.12; any device's sysObjectID shares 171.10 with
    # every copy, its own line's copy alone shares more.
    generic = IdObject("serial", (*ENT, 99998, 12, 1, 0), "EQUIPMENT-MIB::swUnitMgmtSerialNumber")
    lines = tuple(IdObject("serial", (*ENT, 99998, 10, n, 1, 0), f"LINE{n}-MIB::sysSerial") for n in range(1, 21))
    table = {99998: (generic, *lines)}
    assert [o for o in choose("1.3.6.1.4.1.99998.10.7.1", table) if o.kind == "serial"][:2] == [lines[6], generic]
    assert next(o for o in choose("1.3.6.1.4.1.99998.10.64.1", table) if o.kind == "serial") == generic


def test_objects_asked_anyway_and_foreign_ids_are_left_out() -> None:
    # A scalar asked anyway, and a column asked anyway at its first row (.1), are not asked again.
    skip = frozenset({(*ENT, 99999, 2, 1, 0), (*ENT, 99999, 5, 1, 2, 1)})
    chosen = choose("1.3.6.1.4.1.99999.1", _acme(), skip=skip)
    assert {o.oid for o in chosen}.isdisjoint({(*ENT, 99999, 2, 1, 0), (*ENT, 99999, 5, 1, 2)})
    assert [o.first_row for o in choose("1.3.6.1.4.1.99999.1", _acme()) if o.kind == "model"] \
        == [False, False, False, True]
    assert choose("1.3.6.1.4.1.4242.1", _acme()) == ()            # no MIB for that enterprise
    assert choose("1.3.6.1.2.1.1", _acme()) == () == choose("", _acme()) == choose("bogus", _acme())


def test_answers_keep_text_in_order_and_drop_what_did_not_answer() -> None:
    chosen = choose("1.3.6.1.4.1.99999.1", _acme())
    scalars = {chosen[0].oid: b"SN123 ", chosen[1].oid: b"", chosen[2].oid: b"1.2.3"}
    assert answers(chosen, scalars) == (Answer("serial", "SN123", chosen[0].name),
                                        Answer("firmware", "1.2.3", chosen[2].name))


def test_a_number_answers_only_an_object_the_mibs_define_as_one() -> None:
    # ARICENT-ISS-MIB's releases disagree on .120: the hardware serial (text) in one, a retry count in the
    # other; a device answering an INTEGER there implements the retry count. RAY-MIB's serial is a number.
    text_serial = IdObject("serial", (*ENT, 2076, 81, 1, 120, 0), "ARICENT-ISS-MIB::issHardwareSerialNumber")
    number_serial = IdObject("serial", (*ENT, 99999, 9, 0), "RAY-MIB::serialNumber", number=True)
    assert answers((text_serial, number_serial), {text_serial.oid: 3, number_serial.oid: 123456}) \
        == (Answer("serial", "123456", number_serial.name),)
    assert answers((text_serial,), {text_serial.oid: b"ES9E003484\r\n\x00\x00"}) \
        == (Answer("serial", "ES9E003484", text_serial.name),)
    # RADWARE-MIB's rndSerialNumber is RADLAN's rndBasePhysicalAddress on a RADLAN switch: six octets, no text.
    for mac in (b"\x00\x50\x56\xa1\xb2\xc3", b"\x00\x1e\x58\x01\x02\x03", b"AB\x00CD\x01"):
        assert answers((text_serial,), {text_serial.oid: mac}) == ()
    assert [o.number for o in parse(["1\tserial\t1.3.6.1.4.1.1.9.0\tRAY-MIB::serialNumber\tnumber\n",
                                     "1\tmodel\t1.3.6.1.4.1.1.8.0\tRAY-MIB::model\ttext\n"])[1]] == [True, False]


def test_a_malformed_registry_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="line 2"):
        parse(["# header\n", "318\tserial\n"])
    with pytest.raises(RegistryError, match="line 1"):
        parse(["318\tcolour\t1.3.6.1.4.1.318.1.0\tX::y\ttext\n"])
    with pytest.raises(RegistryError, match="line 1: unknown syntax 'colour'"):
        parse(["318\tserial\t1.3.6.1.4.1.318.1.0\tX::y\tcolour\n"])
    with pytest.raises(RegistryError, match="line 1: not 'pen, kind, oid, name, syntax'"):
        parse(["318\tserial\t1.3.6.1.4.1.318.1.0\tX::y\n"])  # a registry of before the syntax column
    with pytest.raises(RegistryError, match="identity objects registry"):
        load(tmp_path / "missing.tsv.gz")
