"""Vendor: the device's own words first (sysDescr, enterprise, ENTITY-MIB), the MAC last; one spelling per maker."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.scan.classify import enterprises, hardware_vendor, product_mibs, products
from agent.scan.classify.vendor import AGENT_SOFTWARE_PENS, choose_vendor, names_agent_software
from agent.scan.classify.vendor_names import ALIASES_FILE, canonical, shorten

IANA = Path(__file__).resolve().parents[3] / "data" / "scan" / "classify" / "enterprise-numbers.txt"


@pytest.fixture(autouse=True)
def small_registry() -> Iterator[None]:
    """The IANA excerpt in tests/data stands for the registry: the answers do not depend on the host."""
    enterprises.use_file(IANA)
    yield
    enterprises.use_file(None)


@pytest.mark.parametrize(("oid", "mfg", "mac", "vendor", "why"), [
    # The enterprise number wins over a MAC whose OUI names someone else (a network module's maker).
    ("1.3.6.1.4.1.318.1.3.4.6", "", "00:1b:21:0a:00:01", "APC", "sysObjectID enterprise 318"),
    # Acquisitions: Airespace's number lives on in Cisco's wireless controllers.
    ("1.3.6.1.4.1.14179.1.1.4.3", "", "", "Cisco", "enterprise 14179"),
    # Net-SNMP's number names the agent software: ENTITY-MIB then answers...
    ("1.3.6.1.4.1.8072.3.2.10", "Hewlett Packard Enterprise", "00:00:0c:01:02:03", "HP", "ENTITY-MIB"),
    # ...or, without one, the MAC, as the last resort.
    ("1.3.6.1.4.1.8072.3.2.10", "", "00:00:0c:01:02:03", "Cisco", "MAC OUI"),
    # An enterprise missing from the registry: ENTITY-MIB.
    ("1.3.6.1.4.1.4242424.1", "Juniper Networks", "", "Juniper", "ENTITY-MIB"),
    # Manufacturer strings that name nobody are skipped.
    ("", "To be filled by O.E.M.", "00:1b:21:0a:00:01", "Intel", "MAC OUI"),
    # The MAC refusals: virtual NICs, zero, locally administered, unregistered small blocks.
    ("1.3.6.1.4.1.8072.3.2.10", "", "00:50:56:01:02:03", "", "virtual NIC"),
    ("", "", "00:00:00:00:00:00", "", "zero"),
    ("", "", "02:42:ac:11:00:02", "", "local"),
    ("", "", "70:b3:d5:01:02:03", "", "no registered maker"),
])
def test_vendor_sources_in_order(oid: str, mfg: str, mac: str, vendor: str, why: str) -> None:
    choice = choose_vendor(oid, mfg, mac)
    assert choice.vendor == vendor
    assert why in choice.reason


def test_the_enterprise_whose_mib_a_device_answers_comes_after_its_own_words_and_before_the_mac() -> None:
    # A net-snmp appliance answering APC's MIB: APC, not the MAC's maker...
    choice = choose_vendor("1.3.6.1.4.1.8072.3.2.10", "", "00:00:0c:01:02:03", "", 318)
    assert choice.vendor == "APC"
    assert "enterprise 8072 names the SNMP agent's software" in choice.reason
    assert "answers enterprise 318's MIB (American Power Conversion Corp.)" in choice.reason
    # ...but ENTITY-MIB's manufacturer and sysDescr's maker are the device's own words and come first.
    assert choose_vendor("1.3.6.1.4.1.8072.3.2.10", "Juniper Networks", "", "", 318).vendor == "Juniper"
    # A sysObjectID under a real maker's enterprise is never overruled by what else the agent answers.
    assert choose_vendor("1.3.6.1.4.1.9.1.1208", "", "", "", 318).vendor == "Cisco"
    # An enterprise nobody names (neither IANA nor a MIB) names no maker: the MAC answers.
    assert choose_vendor("", "", "00:00:0c:01:02:03", "", 4242424).vendor == "Cisco"


def test_agent_software_numbers_are_net_snmp_ucd_and_microsoft() -> None:
    assert {8072, 2021, 311} <= AGENT_SOFTWARE_PENS
    assert choose_vendor("1.3.6.1.4.1.311.1.1.3.1.1").vendor == ""


@pytest.mark.parametrize("object_id", ["1.3.6.1.4.1.17095", "1.3.6.1.4.1.17095.2", "1.3.6.1.4.1.6603.0"])
def test_a_chip_makers_reference_agent_names_no_maker(object_id: str) -> None:
    """A sensor gateway on Microchip's TCP/IP stack, a switch on Vitesse's software (LibreNMS recordings'
    sysObjectIDs): the chip maker is not the box's; the next source (here ENTITY-MIB) still answers."""
    chosen = choose_vendor(object_id, descr="Temperature & Sensor Gateway")
    assert chosen.vendor == "" and "names the SNMP agent's software" in chosen.reason
    assert choose_vendor(object_id, entity_mfg="ServersCheck").vendor == "ServersCheck"


def test_a_number_the_registry_gives_a_semiconductor_maker_names_no_box_maker(tmp_path: Path) -> None:
    """A generator controller answers Freescale's 33118 first, its maker's MIB after (a LibreNMS recording)."""
    registry = tmp_path / "enterprise-numbers.txt"
    registry.write_text(IANA.read_text() + "33118\n  Freescale Semiconductor\n    (contact)\n      (email)\n")
    enterprises.use_file(registry)
    assert names_agent_software(33118) and names_agent_software(8072)   # Freescale; net-snmp
    assert not names_agent_software(9) and not names_agent_software(4_000_000)  # Cisco; no such enterprise
    assert choose_vendor("1.3.6.1.4.1.33118.1", entity_mfg="Acme Power").vendor == "Acme Power"
    chosen = choose_vendor("1.3.6.1.4.1.33118.1", descr="C2LAN SNMP")
    assert chosen.vendor == "" and "33118 names the SNMP agent's software" in chosen.reason


def test_a_number_the_registry_gives_a_standards_body_names_no_box_maker(tmp_path: Path) -> None:
    """A Chinese OLT answers under NSCRTV's 17409 (its EPON MIB's standard) and its maker's own MIB beside it."""
    registry = tmp_path / "enterprise-numbers.txt"
    registry.write_text(IANA.read_text() + "".join(
        f"{pen}\n  {name}\n    (contact)\n      (email)\n" for pen, name in (
            (17409, "National Standardization Committee of Radio & Television"),
            (3561, "Broadband Forum (previously 'DSL Forum')"), (15418, "Forum Systems Inc."),
            (34592, "Shenzhen C-Data Technology Co., Ltd."))))
    enterprises.use_file(registry)
    assert names_agent_software(17409) and names_agent_software(3561)
    assert not names_agent_software(15418)  # a company whose name opens with "Forum"
    chosen = choose_vendor("1.3.6.1.4.1.17409", descr="zaporojskoe-olt", maker_pen=34592)
    assert chosen.vendor == "Shenzhen C-Data Technology"
    assert "enterprise 17409 names a standard's MIB (National Standardization Committee" in chosen.reason
    assert choose_vendor("1.3.6.1.4.1.15418.1").vendor == "Forum Systems"


@pytest.mark.parametrize(("mac", "refused_because"), [
    ("00:50:56:01:02:03", "VMware"), ("08:00:27:aa:bb:cc", "PCS Systemtechnik"), ("00:15:5d:01:02:03", "Microsoft"),
    ("00:16:3e:01:02:03", "Xensource"), ("00:1c:42:01:02:03", "Parallels"), ("00:1a:4a:01:02:03", "Qumranet"),
    ("00:00:00:00:00:00", "zero"), ("ff:ff:ff:ff:ff:ff", "broadcast"), ("01:00:5e:00:00:01", "multicast"),
    ("52:54:00:12:34:56", "local"), ("70:b3:d5:01:02:03", "no registered maker"), ("bogus", "invalid"),
    # Chip and network-module makers, whose MACs sit in other makers' boxes.
    ("00:17:ea:01:02:03", "Texas Instruments"), ("00:e0:4c:01:02:03", "REALTEK SEMICONDUCTOR"),
    ("00:04:a3:01:02:03", "Microchip Technology"), ("00:d0:12:01:02:03", "GATEWORKS"),
    ("24:0a:c4:01:02:03", "Espressif"),
])
def test_hardware_vendor_refuses_macs_that_name_no_maker(mac: str, refused_because: str) -> None:
    org, why = hardware_vendor(mac)
    assert org == "" and refused_because in why


def test_hardware_vendor_of_a_burnt_in_mac() -> None:
    assert hardware_vendor("00:00:0c:01:02:03") == ("Cisco Systems, Inc", "")


@pytest.mark.parametrize(("raw", "short"), [
    ("Dell Inc.", "Dell"), ("RICOH Co. Ltd.", "Ricoh"), ("KYOCERA Corporation", "Kyocera"),
    ("Juniper Networks, Inc.", "Juniper Networks"), ("Siemens AG", "Siemens"), ("Synology Incorporated", "Synology"),
    ("IBM (https://w3.ibm.com/standards )", "IBM"), ("Aruba, a Hewlett Packard Enterprise company", "Aruba"),
    ("TP-LINK TECHNOLOGIES CO.,LTD.", "TP-Link Technologies"), ("Zhejiang Dahua Technology Co., Ltd.",
                                                                 "Zhejiang Dahua Technology"),
    ("3Com", "3Com"), ("H3C", "H3C"), ("", ""),
])
def test_shorten_drops_legal_forms_notes_and_shouting(raw: str, short: str) -> None:
    assert shorten(raw) == short


@pytest.mark.parametrize(("raw", "brand"), [
    ("ciscoSystems", "Cisco"), ("Cisco Systems, Inc", "Cisco"), ("Airespace, Inc", "Cisco"),
    ("Hewlett-Packard", "HP"), ("Hewlett Packard Enterprise", "HP"), ("Compaq", "HP"),
    ("NetScreen Technologies, Inc.", "Juniper"), ("Foundry Networks, Inc.", "Brocade"),
    ("American Power Conversion Corp.", "APC"), ("Merlin Gerin", "Eaton"), ("Network Appliance Corporation", "NetApp"),
    ("Routerboard.com", "MikroTik"), ("Intel Corporate", "Intel"), ("QNAP SYSTEMS, INC", "QNAP"),
    ("Fortinet, Inc.", "Fortinet"), ("IntruVert Networks, Inc.", "Trellix"),
    ("Avaya Networks", "Extreme Networks"), ("VegaStream", "Sangoma"),
])
def test_one_spelling_per_maker(raw: str, brand: str) -> None:
    assert canonical(raw) == brand


def test_alias_table_is_well_formed() -> None:
    """Every row is `name<TAB>brand`, no name twice, and no brand is itself renamed (one hop only)."""
    rows = [line.split("#", 1)[0].rstrip() for line in ALIASES_FILE.read_text().splitlines()]
    pairs = [r.split("\t") for r in rows if r.strip()]
    assert pairs and all(len(p) == 2 and p[0].strip() and p[1].strip() for p in pairs)
    names = [shorten(n).lower() for n, _ in pairs]
    assert len(names) == len(set(names))
    assert all(canonical(brand) == brand for _, brand in pairs)


def _use_enterprise(tmp_path: Path, pen: int, node: str, module: str, organisation: str) -> None:
    """A product registry naming enterprise `pen` by its `node`, in a module of that ORGANIZATION, in use."""
    registry = tmp_path / "products.tsv.gz"
    nodes = [product_mibs.Node((1, 3, 6, 1, 4, 1, pen), node, module, "objectidentity"),
             product_mibs.Node((1, 3, 6, 1, 4, 1, pen, 1, 1), f"{node}AS2400", module, "objectidentity")]
    registry.write_bytes(gzip.compress("".join(product_mibs.render(
        nodes[1:], product_mibs.enterprise_names(nodes, {module: organisation}), "test")).encode()))
    products.use_file(registry)


def test_an_enterprise_iana_does_not_name_is_named_by_its_mibs(tmp_path: Path) -> None:
    """The product registry's enterprise line (its module's ORGANIZATION) answers before ENTITY-MIB."""
    _use_enterprise(tmp_path, 4242424, "acme", "ACME-SMI", "Acme Networks, Inc.")
    try:
        got = choose_vendor("1.3.6.1.4.1.4242424.1.1", "Juniper Networks", "")
        assert got.vendor == "Acme Networks"
        assert "not in the IANA registry" in got.reason and "'Acme Networks, Inc.'" in got.reason
        # IANA still comes first where it names the enterprise.
        assert choose_vendor("1.3.6.1.4.1.9.1.1208").vendor == "Cisco"
    finally:
        products.use_file(None)


def test_a_template_organization_names_nobody_and_the_enterprise_node_speaks(tmp_path: Path) -> None:
    """DAHUA-SNMP-MIB's MODULE-IDENTITY says ORGANIZATION "Organization" under enterprise node `dahua`."""
    _use_enterprise(tmp_path, 4242425, "dahua", "DAHUA-SNMP-MIB", "Organization")
    try:
        assert products.enterprise_name(4242425) == "dahua"
        assert choose_vendor("1.3.6.1.4.1.4242425.1.1").vendor == "Dahua"
    finally:
        products.use_file(None)


def test_a_brand_sysdescr_opens_with_beats_the_enterprise_when_the_mac_confirms_it() -> None:
    # Aruba's CX switches answer under HP's enterprise; their sysDescr and their MAC both say Aruba.
    descr = "Aruba JL635A 8325 GL.10.04.2000"
    choice = choose_vendor("1.3.6.1.4.1.11.2.3.7.11.181", "", "00:1a:1e:01:02:03", descr)
    assert choice.vendor == "Aruba"
    assert "sysDescr opens with 'Aruba', the maker of its MAC's OUI" in choice.reason
    # Without the MAC's word, or with a MAC of another maker, the first word is only a word.
    assert choose_vendor("1.3.6.1.4.1.11.2.3.7.11.181", "", "", descr).vendor == "HP"
    assert choose_vendor("1.3.6.1.4.1.11.2.3.7.11.181", "", "00:00:0c:01:02:03", descr).vendor == "HP"
    # The brand must be a whole word: "Arubafoo" is not Aruba.
    assert choose_vendor("1.3.6.1.4.1.11.2.3.7.11.181", "", "00:1a:1e:01:02:03", "Arubafoo 1.0").vendor == "HP"


def test_a_brand_sysdescr_opens_with_beats_the_enterprise_when_the_chassis_names_it() -> None:
    # The same CX switch without a MAC to read: its ENTITY-MIB chassis says "Aruba" too.
    descr = "Aruba JL635A 8325 GL.10.06.0110"
    choice = choose_vendor("1.3.6.1.4.1.11.2.3.7.11.181", "Aruba", "", descr)
    assert choice.vendor == "Aruba"
    assert choice.reason == "sysDescr opens with 'Aruba', its ENTITY-MIB manufacturer"
    # A chassis naming another maker, or a sysDescr that does not open with the chassis' maker: the
    # enterprise decides, as before.
    assert choose_vendor("1.3.6.1.4.1.11.2.3.7.11.181", "Broadcom", "", descr).vendor == "HP"
    assert choose_vendor("1.3.6.1.4.1.11.2.3.7.11.181", "Aruba", "", "PL.10.10.0002").vendor == "HP"
    # Some agents put the model in entPhysicalMfgName, and it opens their sysDescr too: no maker's word.
    assert choose_vendor("1.3.6.1.4.1.52642.2.1.45.101", "S3900-24T4S", "", "S3900-24T4S").vendor != "S3900-24T4S"


def test_a_printers_device_id_names_its_maker_before_the_print_servers_enterprise() -> None:
    # A ZebraNet print server answers under Extended Systems' enterprise (683); the printer's IEEE 1284
    # device ID says Zebra. The maker sysDescr names still comes first.
    choice = choose_vendor("1.3.6.1.4.1.683.6", "", "", "ZebraNet Wired PS", device_id_maker="Zebra Technologies")
    assert (choice.vendor, choice.reason) == ("Zebra Technologies",
                                              "its IEEE 1284 device ID names 'Zebra Technologies'")
    assert choose_vendor("1.3.6.1.4.1.683.6", "", "", "ZebraNet Wired PS").vendor != "Zebra Technologies"
    assert choose_vendor("1.3.6.1.4.1.11.2.3.9.1", "", "", "Copyright (c) 2020 Acme Inc.",
                         device_id_maker="Hewlett-Packard").vendor == "Acme"
    assert choose_vendor("", "", "", "", device_id_maker="Hewlett-Packard").vendor == "HP"


def test_the_maker_a_computer_s_snmpd_publishes_comes_after_the_answered_mib_and_before_the_mac() -> None:
    """net-snmp's `manufacturer` extend (the machine's DMI sys_vendor, snmp/mib/extend.py)."""
    net_snmp, cisco_mac = "1.3.6.1.4.1.8072.3.2.10", "00:00:0c:01:02:03"
    choice = choose_vendor(net_snmp, "", cisco_mac, "Linux web01 6.1.0", published_maker="Dell Inc.")
    assert choice.vendor == "Dell"
    assert choice.reason == ("enterprise 8072 names the SNMP agent's software; "
                             "its snmpd's manufacturer extend says 'Dell Inc.'")
    assert choose_vendor(net_snmp, "", cisco_mac, "", 318, published_maker="Dell Inc.").vendor == "APC"
    assert choose_vendor(net_snmp, "HPE", cisco_mac, "", published_maker="Dell Inc.").vendor == "HP"
    assert choose_vendor(net_snmp, "", cisco_mac, "", published_maker="Default string").vendor == "Cisco"
