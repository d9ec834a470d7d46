"""Vendor and standard MIB objects for serial, model and version: which to ask, and what they say.

Fragments are the values real devices answered, from snmpsim-data's recordings (BSD-2-Clause): an
APC Switched Rack PDU (rPDU2), a Palo Alto PA-5050, a FortiGate, an Eaton/MGE UPS with UPS-MIB, a
Brocade Fibre Channel switch and a Huawei UPS whose agent answers with net-snmp's sysObjectID.
"""

from __future__ import annotations

from typing import Any

import pytest

from agent.scan.snmp.mib.vendor_ids import STANDARD, VENDOR, VendorIds, enterprise, objects, request, vendor_ids

Oid = tuple[int, ...]


def _o(dotted: str) -> Oid:
    return tuple(int(x) for x in dotted.split("."))


def _frag(values: dict[str, str]) -> dict[Oid, Any]:
    return {_o(k): v.encode() for k, v in values.items()}


FRAGMENTS = [
    ("APC rPDU2 (PowerNet-MIB)", "1.3.6.1.4.1.318.1.3.4.8", frozenset(), _frag({
        "1.3.6.1.4.1.318.1.1.26.2.1.8.1": "AP7902B", "1.3.6.1.4.1.318.1.1.26.2.1.9.1": "5A1551F39430",
        "1.3.6.1.4.1.318.1.1.26.2.1.6.1": "6.7.2", "1.3.6.1.4.1.318.1.1.12.1.3.0": "v6.7.2"}),
     VendorIds(("5A1551F39430",), ("AP7902B",), ("6.7.2", "v6.7.2"))),
    ("Palo Alto (PAN-COMMON-MIB)", "1.3.6.1.4.1.25461.2.3.9", frozenset(), _frag({
        "1.3.6.1.4.1.25461.2.1.2.1.1.0": "8.0.1", "1.3.6.1.4.1.25461.2.1.2.1.3.0": "0009C100761",
        "1.3.6.1.4.1.25461.2.1.2.2.1.0": "PA-5050"}),
     VendorIds(("0009C100761",), ("PA-5050",), ("8.0.1",))),
    ("FortiGate (FORTINET-CORE-MIB, FORTINET-FORTIGATE-MIB)", "1.3.6.1.4.1.12356.101.1.30000", frozenset(), _frag({
        "1.3.6.1.4.1.12356.100.1.1.1.0": "FGT3KD3Z16800461",
        "1.3.6.1.4.1.12356.101.4.1.1.0": "v5.4.5,build1138,170531 (GA)"}),
     VendorIds(("FGT3KD3Z16800461",), (), ("v5.4.5,build1138,170531 (GA)",))),
    ("MGE/Eaton UPS: vendor objects before UPS-MIB's", "1.3.6.1.4.1.705.1", frozenset({"ups-mib"}), _frag({
        "1.3.6.1.4.1.705.1.1.1.0": "93E HV", "1.3.6.1.4.1.705.1.1.7.0": "4K234LXX06",
        "1.3.6.1.4.1.705.1.1.4.0": "2.08.0011", "1.3.6.1.2.1.33.1.1.2.0": "EATON 93E 80",
        "1.3.6.1.2.1.33.1.1.3.0": "INV: 2.08.0011"}),
     VendorIds(("4K234LXX06",), ("93E HV", "EATON 93E 80"), ("2.08.0011", "INV: 2.08.0011"))),
    ("Brocade FC (SW-MIB)", "1.3.6.1.4.1.1588.2.1.1.1", frozenset(), _frag({
        "1.3.6.1.4.1.1588.2.1.1.1.1.6.0": "v6.4.3d", "1.3.6.1.4.1.1588.2.1.1.1.1.10.0": "BRCALM2534F019"}),
     VendorIds(("BRCALM2534F019",), (), ("v6.4.3d",))),
    ("net-snmp agent with UPS-MIB only", "1.3.6.1.4.1.8072.3.2.10", frozenset({"ups-mib"}), _frag({
        "1.3.6.1.2.1.33.1.1.2.0": "UPS5000", "1.3.6.1.2.1.33.1.1.3.0": "V100R001C10B003SP00"}),
     VendorIds((), ("UPS5000",), ("V100R001C10B003SP00",))),
    # An ADVA FSP 150 answers RMON2-MIB probeSoftwareRev with its release (a LibreNMS test recording's value).
    ("RMON2 probe: probeSoftwareRev", "1.3.6.1.4.1.2544.1.20.2.1", frozenset({"rmon2-probe"}), _frag({
        "1.3.6.1.2.1.16.19.2.0": "5.5.2"}), VendorIds((), (), (), ("5.5.2",))),
    ("printer: Printer-MIB serial, hrDeviceDescr.1 model", "1.3.6.1.4.1.2435.2.3.9.1", frozenset({"printer-mib"}),
     _frag({"1.3.6.1.2.1.43.5.1.1.17.1": "E78123A4N123456", "1.3.6.1.2.1.25.3.2.1.3.1": "Brother HL-L2350DW series"}),
     VendorIds(("E78123A4N123456",), ("Brother HL-L2350DW series",), ())),
    ("RutOS router on net-snmp's ID (TELTONIKA-MIB)", "1.3.6.1.4.1.8072.3.2.10", frozenset(), _frag({
        "1.3.6.1.4.1.48690.1.1.0": "1115481520", "1.3.6.1.4.1.48690.1.2.0": "RUT950",
        "1.3.6.1.4.1.48690.1.3.0": "RUT950002XXX", "1.3.6.1.4.1.48690.1.6.0": "RUT9_R_00.07.06.16"}),
     VendorIds(("1115481520",), ("RUT950", "RUT950002XXX"), ("RUT9_R_00.07.06.16",))),
    ("Aruba controller (WLSX-SYSTEMEXT-MIB)", "1.3.6.1.4.1.14823.1.1.9999", frozenset(), _frag({
        "1.3.6.1.4.1.14823.2.2.1.1.1.12.0": "MC4204394"}), VendorIds(("MC4204394",), (), ())),
    ("ZebraNet print server (ESI-MIB)", "1.3.6.1.4.1.683.6.0", frozenset(), _frag({
        "1.3.6.1.4.1.683.1.4.0": "79071", "1.3.6.1.4.1.683.1.5.0": "7062184", "1.3.6.1.4.1.683.1.9.0": "V61.17.17Z"}),
     VendorIds(("7062184",), ("79071",), ("V61.17.17Z",))),
    ("Vertiv PDU (VERTIV-V5-MIB)", "1.3.6.1.4.1.21239.42.1.52", frozenset(), _frag({
        "1.3.6.1.4.1.21239.5.2.1.2.0": "5.6.1", "1.3.6.1.4.1.21239.5.2.1.8.0": "MN03EDR1-15P3B8-6PS15D0H10-S"}),
     VendorIds((), ("MN03EDR1-15P3B8-6PS15D0H10-S",), ("5.6.1",))),
    ("Panduit PDU (PANDUIT-PDU-MIB)", "1.3.6.1.4.1.19536.10.1", frozenset(), _frag({
        "1.3.6.1.4.1.19536.10.1.1.2.1.5.1": "2.3.21", "1.3.6.1.4.1.19536.10.1.1.2.1.7.1": "P42D04M",
        "1.3.6.1.4.1.19536.10.1.1.2.1.8.1": "CN187D6053"}),
     VendorIds(("CN187D6053",), ("P42D04M",), ("2.3.21",))),
    ("Tachyon radio (TACHYON-MIB)", "1.3.6.1.4.1.57344.1", frozenset(), _frag({
        "1.3.6.1.4.1.57344.1.3.1.0": "TNA-303X", "1.3.6.1.4.1.57344.1.3.4.0": "1.12.0 rev 54574"}),
     VendorIds((), ("TNA-303X",), ("1.12.0 rev 54574",))),
    ("FortiSwitch (FORTINET-FORTISWITCH-MIB fsSysVersion)", "1.3.6.1.4.1.12356.106.1.42404", frozenset(), _frag({
        "1.3.6.1.4.1.12356.106.4.1.1.0": "FortiSwitch-248D-FPOE v3.3.3,build4047,160219 (GA)"}),
     VendorIds((), ("FortiSwitch-248D-FPOE v3.3.3,build4047,160219 (GA)",),
               ("FortiSwitch-248D-FPOE v3.3.3,build4047,160219 (GA)",))),
    ("EdgePower on Frogfoot's ID (UBNT-EdgeMAX-MIB)", "1.3.6.1.4.1.10002.1", frozenset(), _frag({
        "1.3.6.1.4.1.41112.1.5.1.1.0": "EP-54V-150W", "1.3.6.1.4.1.41112.1.5.1.3.0": "EP.v1.6.0"}),
     VendorIds((), ("EP-54V-150W",), ("EP.v1.6.0",))),
    ("airFiber LTU on net-snmp's ID (UBNT-AFLTU-MIB)", "1.3.6.1.4.1.8072.3.2.10", frozenset(), _frag({
        "1.3.6.1.4.1.41112.1.10.1.3.2.0": "airFiber 5XHD",
        "1.3.6.1.4.1.41112.1.10.1.3.4.0": ".v1.1.1-BETA2.00015.180314.0503"}),
     VendorIds((), ("airFiber 5XHD",), (".v1.1.1-BETA2.00015.180314.0503",))),
    ("Edgecore ECS switch (ECS2100-MIB swInfoTable)", "1.3.6.1.4.1.259.10.1.43.101", frozenset(), _frag({
        "1.3.6.1.4.1.259.10.1.43.1.1.3.1.6.1": "1.2.2.24", "1.3.6.1.4.1.259.10.1.43.1.1.3.1.10.1": "EC1813001458"}),
     VendorIds(("EC1813001458",), (), ("1.2.2.24",))),
    ("Moxa AWK (product subtree of 8691.15)", "1.3.6.1.4.1.8691.15.34", frozenset(), _frag({
        "1.3.6.1.4.1.8691.15.34.1.1.1.0": "AWK-4131A-US", "1.3.6.1.4.1.8691.15.34.1.1.5.0": "1.17 Build 21091612"}),
     VendorIds((), ("AWK-4131A-US",), ("1.17 Build 21091612",))),
    # A print server card in front of its printer (values as a LibreNMS test recording of an OkiLAN card
    # has them): the IEEE 1284 device ID names the printer, before the card's hrDeviceDescr.
    ("print server: IEEE 1284 device ID (HP-LASERJET-COMMON-MIB gdStatusId)", "1.3.6.1.4.1.2001.1.1.1.1",
     frozenset({"hr-printer"}), _frag({
         "1.3.6.1.4.1.11.2.3.9.1.1.7.0": "MANUFACTURE:OKI UK LTD;COMMAND SET:PCL,XPS,POSTSCRIPT;MODEL:MC873;"
                                         "CLASS:PRINTER;DESCRIPTION:MC873;",
         "1.3.6.1.2.1.25.3.2.1.3.1": "OkiLAN 9450g"}),
     VendorIds((), ("MC873", "OkiLAN 9450g"), (), (), ("OKI UK LTD",))),
    # ... and the PWG's own object (PRINTER-PORT-MONITOR-MIB ppmPrinterIEEE1284DeviceId), short keys and
    # a serial, which comes after Printer-MIB's own.
    ("printer: PWG ppmPrinterIEEE1284DeviceId", "1.3.6.1.4.1.99999.1", frozenset({"printer-mib"}), _frag({
        "1.3.6.1.4.1.2699.1.2.1.2.1.1.3.1": "MFG:Acme;CMD:PCL;MDL:Acme LaserPro 4200;CLS:PRINTER;SN:AC123;",
        "1.3.6.1.2.1.43.5.1.1.17.1": "E7812345"}),
     VendorIds(("E7812345", "AC123"), ("Acme LaserPro 4200",), (), (), ("Acme",))),
]


@pytest.mark.parametrize(("what", "object_id", "mibs", "answers", "expected"), FRAGMENTS, ids=[f[0] for f in FRAGMENTS])
def test_recorded_fragments(what: str, object_id: str, mibs: frozenset[str], answers: dict[Oid, Any],
                            expected: VendorIds) -> None:
    asked = request(object_id, mibs)
    assert set(answers) <= set(asked), what  # every recorded object is among those one GET asks for
    assert vendor_ids(object_id, mibs, answers) == expected


def test_one_get_of_a_few_objects_per_device() -> None:
    """The GET is small (one response, as the identity-objects GET of 24) and carries no repeats."""
    for pen in VENDOR:
        oids = request(f"1.3.6.1.4.1.{pen}.1", frozenset(STANDARD))
        assert len(oids) == len(set(oids)) <= 24, pen


def test_standard_objects_only_where_the_census_found_the_mib() -> None:
    assert request("1.3.6.1.4.1.99999.1", frozenset()) == ()
    assert set(request("1.3.6.1.4.1.99999.1", frozenset({"ups-mib"}))) == {o for _, o in STANDARD["ups-mib"]}
    assert objects("", frozenset()) == ()


@pytest.mark.parametrize(("object_id", "pen"), [
    ("1.3.6.1.4.1.9.1.516", 9), (".1.3.6.1.4.1.2636.1.1.1.2.21", 2636), ("1.3.6.1.4.1", 0), ("", 0),
    ("1.3.6.1.2.1.1", 0), ("not an oid", 0),
])
def test_enterprise(object_id: str, pen: int) -> None:
    assert enterprise(object_id) == pen


def test_every_object_is_under_its_enterprise_or_a_standard_mib() -> None:
    """A vendor's objects live under its own enterprise arc (net-snmp's lists its appliance makers')."""
    appliance_pens = {6574, 24681, 41112, 2620, 48690}
    # sysObjectIDs that Ubiquiti's agents answer with; HP's own number, under which its arrays answer Compaq's MIB
    borrowed = {10002: 41112, 4413: 41112, 11: 232}
    for pen, objs in VENDOR.items():
        for field, oid in objs:
            assert field in ("serial", "model", "firmware")
            if oid[:6] == (1, 3, 6, 1, 2, 1):  # a standard MIB's (hrDeviceDescr.1 of the printer makers)
                continue
            assert oid[:6] == (1, 3, 6, 1, 4, 1)
            own = oid[6] in (pen, borrowed.get(pen))
            assert own or (pen in (8072, *appliance_pens) and oid[6] in appliance_pens), (pen, oid)


@pytest.mark.parametrize(("object_id", "expected"), [
    # Fortinet product MIBs: model, serial, version under <product>.1 (FortiADC 112, FortiVoice 115).
    ("1.3.6.1.4.1.12356.112.100.30", {("model", "1.3.6.1.4.1.12356.112.1.1.0"),
                                      ("serial", "1.3.6.1.4.1.12356.112.1.2.0"),
                                      ("firmware", "1.3.6.1.4.1.12356.112.1.3.0")}),
    # FortiAP: version, then serial.
    ("1.3.6.1.4.1.12356.120.10.83112", {("firmware", "1.3.6.1.4.1.12356.120.1.1.0"),
                                        ("serial", "1.3.6.1.4.1.12356.120.1.2.0")}),
    # Moxa EtherDevice: the product arc of sysObjectID names the MIB's subtree.
    ("1.3.6.1.4.1.8691.7.70", {("model", "1.3.6.1.4.1.8691.7.70.1.2.0"), ("firmware", "1.3.6.1.4.1.8691.7.70.1.4.0"),
                               ("serial", "1.3.6.1.4.1.8691.7.70.1.78.0")}),
])
def test_objects_placed_by_the_product_subtree(object_id: str, expected: set[tuple[str, str]]) -> None:
    got = {(f, ".".join(map(str, o))) for f, o in objects(object_id, frozenset())}
    assert expected <= got


def test_fortigate_keeps_its_core_mib_objects_only() -> None:
    got = {".".join(map(str, o)) for _, o in objects("1.3.6.1.4.1.12356.101.1.30000", frozenset())}
    assert got == {"1.3.6.1.4.1.12356.100.1.1.1.0", "1.3.6.1.4.1.12356.101.4.1.1.0"}


def test_an_hp_storage_array_under_hp_s_number_answers_compaq_s_insight_mib() -> None:
    """An MSA array (sysObjectID 11.2.51) keeps its serial and product name in CPQSINFO-MIB (values made up)."""
    scalars = {(1, 3, 6, 1, 4, 1, 232, 2, 2, 2, 1, 0): b"2S6526B123",
               (1, 3, 6, 1, 4, 1, 232, 2, 2, 4, 2, 0): b"HP MSA 2040 SAN"}
    said = vendor_ids("1.3.6.1.4.1.11.2.51", frozenset(), scalars)
    assert (said.serials, said.models) == (("2S6526B123",), ("HP MSA 2040 SAN",))


@pytest.mark.parametrize(("object_id", "oid"), [
    ("1.3.6.1.4.1.19046.11.1", (1, 3, 6, 1, 4, 1, 19046, 11, 1, 1, 5, 1, 1, 3, 1)),  # an XClarity Controller
    ("1.3.6.1.4.1.2", (1, 3, 6, 1, 4, 1, 2, 3, 51, 3, 1, 5, 1, 1, 3, 1)),            # an IMM (via the maker probe)
])
def test_a_server_bmc_s_own_firmware_is_the_first_row_of_its_vpd_table(object_id: str, oid: Oid) -> None:
    assert vendor_ids(object_id, frozenset(), {oid: b"TEI3C0N 4.83"}).firmwares == ("TEI3C0N 4.83",)
