"""Model, serial and firmware: which source wins, and placeholders never do."""

from __future__ import annotations

import pytest

from agent.scan.classify.products import Product
from agent.scan.snmp.identify import Identity, identify, product_model, with_release
from agent.scan.snmp.mib.entity import Chassis
from agent.scan.snmp.mib.extend import Published
from agent.scan.snmp.mib.vendor_ids import VendorIds

_CISCO = ("Cisco IOS Software, C3750 Software (C3750-IPBASE-M), Version 12.2(50)SE5, RELEASE SOFTWARE (fc1)")


def test_the_chassis_wins_for_serial_and_model_the_vendor_for_version() -> None:
    got = identify(_CISCO, host_name="sw1", vendor="Cisco",
                   chassis=Chassis(serial="FDO1622Y10H", model="WS-C3750G-12S-S", firmware="12.2(50)SE5"),
                   ids=VendorIds(serials=("OTHER",), models=("OTHER",), firmwares=("12.2(50)SE5a",)))
    assert got == Identity(serial="FDO1622Y10H", model="WS-C3750G-12S-S", firmware="12.2(50)SE5a")


def test_without_entity_mib_the_vendor_objects_then_sysdescr() -> None:
    got = identify("Palo Alto Networks PA-5000 series firewall", host_name="fw", vendor="Palo Alto Networks",
                   chassis=Chassis(), ids=VendorIds(serials=("0009C100761",), models=("PA-5050",)))
    assert got == Identity(serial="0009C100761", model="PA-5050", firmware="")
    only_descr = identify(_CISCO, host_name="sw1", vendor="Cisco", chassis=Chassis(), ids=VendorIds())
    assert only_descr == Identity(firmware="12.2(50)SE5")


def test_chassis_descr_is_the_last_resort_for_the_model() -> None:
    got = identify("", host_name="", vendor="", chassis=Chassis(descr="Cisco 2911"), ids=VendorIds())
    assert got.model == "Cisco 2911"


def test_a_labelled_model_of_three_digits_or_more_is_a_model() -> None:
    # An index is no model; Aruba Instant's "MODEL: 105" is one.
    got = identify("ArubaOS (MODEL: 105), Version 6.4.4.8-4.2.4.12", host_name="", vendor="Aruba", chassis=Chassis(),
                   ids=VendorIds())
    assert (got.model, got.firmware) == ("105", "6.4.4.8-4.2.4.12")


def test_a_chassis_model_of_digits_alone_is_a_part_number_after_the_products_name() -> None:
    # ADVA's FSP 150 chassis: entPhysicalModelName is the ordering number, entPhysicalName the product.
    chassis = Chassis(model="1078904600-01", descr="FSP150CC-GE112")
    got = identify("", host_name="", vendor="ADVA", chassis=chassis, ids=VendorIds())
    assert got.model == "FSP150CC-GE112"
    assert identify("", host_name="", vendor="", chassis=Chassis(model="1078904600-01"), ids=VendorIds()).model \
        == "1078904600-01"  # still the model where nothing else names one


@pytest.mark.parametrize("junk", ["<private>", "0000", "Unknown", "N/A", "To be filled", "   ", "2018-10-07",
                                  "Not Set"])
def test_placeholders_give_way_to_the_next_source(junk: str) -> None:
    got = identify("Acme AX-200 Version 3.4.5 SN: REAL123456", host_name="", vendor="Acme",
                   chassis=Chassis(serial=junk, model="Unknown", firmware="N/A"),
                   ids=VendorIds(serials=(junk,), models=("To be filled",), firmwares=("<private>",)))
    assert got == Identity(serial="REAL123456", model="AX-200", firmware="3.4.5")


def test_a_date_is_no_serial_but_a_dotted_version_that_looks_like_one_is_a_version() -> None:
    got = identify("", host_name="", vendor="", chassis=Chassis(serial="10/07/2018"),
                   ids=VendorIds(firmwares=("01.17.4945",)))
    assert got == Identity(firmware="01.17.4945")


def test_spaces_are_squeezed() -> None:
    got = identify("", host_name="", vendor="", chassis=Chassis(model="  Catalyst   3750  "), ids=VendorIds())
    assert got.model == "Catalyst 3750"


@pytest.mark.parametrize(("raw", "version"), [
    ("Version 5.170 V200R010C00SPC600", "5.170"),
    ("INV: 2.08.0011", "2.08.0011"),
    ("15.5.4 (Build 1045)", "15.5.4"),
    ("v5.4.5,build1138,170531 (GA)", "v5.4.5"),
    ("V100R001C10B003SP00", "V100R001C10B003SP00"),
    ("RGOS 10.4(3)p4 Release(16175)", "10.4(3)p4"),
    ("Build of the week", "Build of the week"),  # nothing to pick: kept whole
])
def test_a_wordy_firmware_object_gives_its_version(raw: str, version: str) -> None:
    got = identify("", host_name="", vendor="", chassis=Chassis(firmware=raw), ids=VendorIds())
    assert got.firmware == version


def test_control_characters_never_reach_a_value() -> None:
    # HP's PML objects (HP-LASERJET-COMMON-MIB) start with two octets of type and length.
    got = identify("", host_name="", vendor="HP", chassis=Chassis(), ids=VendorIds(serials=("\x01\x15VNCRC48198",)))
    assert got.serial == "VNCRC48198"


@pytest.mark.parametrize("not_a_model", ["CHASSIS", "Stack", "stack.1", "Switch 1", "v5.4.7-2.1", "R23.6",
                                         "4-10-g036b52a", "core-sw-01", "1", "12"])
def test_kinds_versions_and_the_own_name_are_no_model(not_a_model: str) -> None:
    got = identify("Acme AX-200 Fast Ethernet Switch", host_name="core-sw-01", vendor="Acme",
                   chassis=Chassis(model=not_a_model), ids=VendorIds(models=(not_a_model,)))
    assert got.model == "AX-200"


def test_a_sysdescr_that_is_a_builds_git_describe_names_no_model() -> None:
    """An EDFA whose sysDescr is its build, as git describes it (a LibreNMS recording): no model."""
    assert identify("4-10-g036b52a", host_name="", vendor="Softlab", chassis=Chassis(), ids=VendorIds()).model == ""


def test_sysdescr_names_the_os_before_the_chassis_firmware_rev() -> None:
    """entPhysicalFirmwareRev is often boot code or a BIOS: the OS sysDescr names comes first."""
    got = identify("VMware ESXi 7.0.0 build-15843807 VMware, Inc. x86_64", host_name="", vendor="VMware",
                   chassis=Chassis(firmware_rev="2.8"), ids=VendorIds())
    assert got.firmware == "7.0.0"
    assert identify("", host_name="", vendor="", chassis=Chassis(firmware_rev="2.8"), ids=VendorIds()).firmware == "2.8"


@pytest.mark.parametrize(("raw", "model", "firmware"), [
    # FORTINET-FORTISWITCH-MIB fsSysVersion names the model, then the release and its build.
    ("FortiSwitch-424E-Fiber v7.4.0,build0767,230602 (GA)", "FortiSwitch-424E-Fiber", "7.4.0"),
    ("FortiSwitch-248D-FPOE v3.3.3, build4047", "FortiSwitch-248D-FPOE", "3.3.3"),
    ("EATON 93E 80", "EATON 93E 80", ""),  # no release named: kept whole
])
def test_a_model_object_that_names_its_release_too(raw: str, model: str, firmware: str) -> None:
    got = identify("", host_name="", vendor="", chassis=Chassis(),
                   ids=VendorIds(models=(raw,), firmwares=(raw,) if firmware else ()))
    assert (got.model, got.firmware) == (model, firmware)


@pytest.mark.parametrize(("raw", "model"), [
    # Recorded entPhysicalDescr / sysDescr values that end in the release the box runs.
    ("HPE 5900AF-48G-4XG-2QSFP+ Switch Software Version 7.1.045", "HPE 5900AF-48G-4XG-2QSFP+ Switch"),
    ("ExaGrid EX40000E-SEC, 4.8.1.1209.P60", "ExaGrid EX40000E-SEC"),
])
def test_a_trailing_release_is_cut_from_the_model(raw: str, model: str) -> None:
    assert identify("", host_name="", vendor="", chassis=Chassis(descr=raw), ids=VendorIds()).model == model


@pytest.mark.parametrize("around_a_release", ["IPOS-18.1.1.9.98p30-", "CMTS_V08.02.00.97", "OD-5.10.1 (32333)"])
def test_a_name_around_a_three_number_release_is_no_model(around_a_release: str) -> None:
    got = identify("", host_name="", vendor="", chassis=Chassis(model=around_a_release, descr="Acme AX-200"),
                   ids=VendorIds())
    assert got.model == "Acme AX-200"


def test_a_product_sysdescr_names_the_release_before_the_chassis_software_rev() -> None:
    """The chassis' entPhysicalSoftwareRev is often a component's (1.2.0 beside EdgeOS 1.8.0); a uname
    sysDescr names only the kernel, so there the chassis still comes first."""
    got = identify("EdgeOS v1.8.0.4853089.160219.1607", host_name="", vendor="Ubiquiti",
                   chassis=Chassis(firmware="1.2.0"), ids=VendorIds())
    assert got.firmware == "1.8.0.4853089.160219.1607"
    uname = identify("Linux nas 3.10.77 #8451 SMP x86_64", host_name="", vendor="", chassis=Chassis(firmware="6.2.1"),
                     ids=VendorIds())
    assert uname.firmware == "6.2.1"


@pytest.mark.parametrize("zero", ["KA.00.00.0000", "0.0.0", "V0.0", "00"])
def test_a_release_of_zeros_gives_way_to_the_next_source(zero: str) -> None:
    """An HP stack's sysDescr names "revision KA.00.00.0000" while each member's ENTITY-MIB software
    revision names what it runs."""
    got = identify(f"HP Stack, revision {zero}", host_name="", vendor="HP",
                   chassis=Chassis(firmware="KB.16.11.0020"), ids=VendorIds(firmwares=(zero,)))
    assert got.firmware == "KB.16.11.0020"
    assert identify("", host_name="", vendor="", chassis=Chassis(), ids=VendorIds(firmwares=("1.0.0",))).firmware \
        == "1.0.0"


@pytest.mark.parametrize("stamp", ["2018-03-23 12:11:15 +1100 (964571d)", "2021-11-02T09:41 build"])
def test_a_build_stamp_is_no_release(stamp: str) -> None:
    """EXALINK-FUSION-MIB answers when its software was built (fusionInfoSoftware) beside which
    release it is (fusionInfoVersion)."""
    from agent.scan.snmp.mib.identity_objects import Answer

    registry = (Answer("firmware", stamp, "X-MIB::xSoftware"), Answer("firmware", "1.9.0", "X-MIB::xVersion"))
    got = identify("Linux fusion 3.12.30 #1 armv7l", host_name="", vendor="", chassis=Chassis(), ids=VendorIds(),
                   registry=registry)
    assert got.firmware == "1.9.0"
    assert identify("", host_name="", vendor="", chassis=Chassis(), ids=VendorIds(firmwares=("2020.10.23",))) \
        .firmware == "2020.10.23"  # a release numbered by its date is still a release


def test_the_rmon2_probe_revision_is_the_last_source_of_the_release() -> None:
    """Cisco IOS answers probeSoftwareRev "12.2" for 12.2(50)SE5 (snmpsim-data's Catalyst 3750)."""
    got = identify(_CISCO, host_name="sw1", vendor="Cisco", chassis=Chassis(firmware="12.2(50)SE5"),
                   ids=VendorIds(last_firmwares=("12.2",)))
    assert got.firmware == "12.2(50)SE5"
    alone = identify("FSP 150CP", host_name="", vendor="ADVA", chassis=Chassis(),
                     ids=VendorIds(last_firmwares=("5.5.2",)))
    assert alone.firmware == "5.5.2"


# Registry products as netdisco-mibs defines them (classify/products.py): the model is the last resort.
_WS_C2960X = Product("1.3.6.1.4.1.9.1.1208", "ciscoWSC2960X48TSL", "CISCO-PRODUCTS-MIB", "", prefix="cisco")
_PROCURVE = Product("1.3.6.1.4.1.11.2.3.7.11.79", "hpSwitchJ9019A", "HP-ICF-OID",
                    "The authoritative identifier for the HP ProCurve Switch 2510-24", prefix="hpSwitch")


def test_the_registry_product_names_the_model_only_where_the_device_names_none() -> None:
    bare = identify("Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(2)E7",
                    host_name="sw", vendor="Cisco", chassis=Chassis(), ids=VendorIds(), product=_WS_C2960X)
    assert bare.model == "WSC2960X48TSL" and bare.firmware == "15.2(2)E7"
    own = identify("", host_name="sw", vendor="Cisco", chassis=Chassis(model="WS-C2960X-48TS-L"), ids=VendorIds(),
                   product=_WS_C2960X)
    assert own.model == "WS-C2960X-48TS-L"


def test_a_product_description_that_names_a_model_wins_over_the_name() -> None:
    assert product_model(_PROCURVE, vendor="HP") == "2510-24"
    assert product_model(Product("1.3.6.1.4.1.11.2.3.7.11.80", "hpSwitchJ9020A", "HP-ICF-OID", "",
                                 prefix="hpSwitch")) == "J9020A"
    # A family word without a digit names no model; nor does no product at all.
    assert product_model(Product("1.3.6.1.4.1.9.1.1", "ciscoGateway", "CISCO-PRODUCTS-MIB", "")) == ""
    assert product_model(None) == ""


def test_a_product_that_is_the_snmp_agent_names_no_model() -> None:
    # XMSERVD-PERF-MIB registers AIX's SNMP daemon, the sysObjectID an AIX host answers; not its hardware.
    assert product_model(Product("1.3.6.1.4.1.2.3.1.2.1.1", "risc6000snmpd", "XMSERVD-PERF-MIB", "",
                                 prefix="risc6000")) == ""
    assert product_model(Product("1.3.6.1.4.1.161.19.250", "canopy450SnmpAgent", "WHISP-GLOBAL-REG-MIB", "")) == ""
    assert product_model(Product("1.3.6.1.4.1.9.1.1539", "ciscoflowAgent3000", "CISCO-PRODUCTS-MIB", "",
                                 prefix="cisco")) == "flowAgent3000"  # a product named Flow Agent is one


def test_a_description_listing_other_products_names_none_of_them() -> None:
    # HP-ICF-OID hpStack: the products a stack may hold are not the stack's model.
    stack = Product("1.3.6.1.4.1.11.2.3.7.8.5.2", "hpStack", "HP-ICF-OID",
                    "The authoritative identifier for the HP stack of 3800 series switches. The stack can have "
                    "the devices like hpSwitchJ9573, hpSwitchJ9574, hpSwitchJ9575")
    assert product_model(stack, vendor="HP") == ""
    # One descriptor alone may be the product's own name (NPT-EQUIPMENT-MIB).
    own = Product("1.3.6.1.4.1.1286.5.1.1.1.19", "npt2100A", "NPT-EQUIPMENT-MIB",
                  "This node contains the configurations for the npt2100A.")
    assert product_model(own) == "npt2100A"


def test_public_mib_objects_fill_what_the_standard_sources_leave_and_name_the_model_before_sysdescr() -> None:
    from agent.scan.snmp.mib.identity_objects import Answer

    registry = (Answer("serial", "<private>", "ACME-MIB::acmeSysSerial"),  # a placeholder: never an answer
                Answer("serial", "AC12345678", "ACME-MIB::acmeUnitSerialNumber"),
                Answer("model", "AX-9000", "ACME-MIB::acmeSysModelName"),
                Answer("firmware", "Version 4.2.1 (build 77)", "ACME-MIB::acmeSysFirmwareVersion"))
    got = identify("Acme AX-200 Version 3.4.5", host_name="", vendor="Acme", chassis=Chassis(), ids=VendorIds(),
                   registry=registry)
    # sysDescr's version stays (a vendor MIB's "version" may be another part's); its model gives way to
    # the vendor's own model object (sysDescr often names the series: "ACS 6000" for an ACS6048); the
    # serial only the vendor MIB holds.
    assert got == Identity(serial="AC12345678", model="AX-9000", firmware="3.4.5")
    assert got.evidence == ("serial from ACME-MIB::acmeUnitSerialNumber; model from ACME-MIB::acmeSysModelName; "
                            "firmware from sysDescr")
    alone = identify("Acme AX-200 Version 3.4.5", host_name="", vendor="Acme", chassis=Chassis(), ids=VendorIds())
    assert alone.model == "AX-200"
    bare = identify("", host_name="", vendor="Acme", chassis=Chassis(serial="FOC1"), ids=VendorIds(),
                    registry=registry)
    assert bare == Identity(serial="FOC1", model="AX-9000", firmware="4.2.1")
    assert bare.evidence == ("serial from ENTITY-MIB chassis; model from ACME-MIB::acmeSysModelName; "
                             "firmware from ACME-MIB::acmeSysFirmwareVersion")


def test_a_vendor_model_object_with_a_digit_comes_before_one_naming_a_category() -> None:
    from agent.scan.snmp.mib.identity_objects import Answer

    registry = (Answer("model", "Switched PDU", "DigiPower-PDU-MIB::pdu01ModelName"),
                Answer("model", "SWV-1623K-24N1", "DigiPower-PDU-MIB::pdu01ModelNo"))
    got = identify("Switched PDU", host_name="", vendor="DigiPower", chassis=Chassis(), ids=VendorIds(),
                   registry=registry)
    assert (got.model, got.evidence) == ("SWV-1623K-24N1", "model from DigiPower-PDU-MIB::pdu01ModelNo")
    # Without another, the name without a digit is still the vendor's word for its model.
    alone = identify("", host_name="", vendor="Acme", chassis=Chassis(), ids=VendorIds(),
                     registry=(Answer("model", "SmartPro", "ACME-MIB::acmeModelName"),))
    assert alone.model == "SmartPro"


def test_a_device_type_or_part_number_names_the_model_after_sysdescr_and_only_as_a_product_name() -> None:
    from agent.scan.snmp.mib.identity_objects import Answer

    typed = (Answer("model", "DS-2CD2185FWD-I", "HIK-DEVICE-MIB::deviceType"),)
    # Alone (a camera whose sysDescr is empty), the device's type names its model.
    got = identify("", host_name="", vendor="Hikvision", chassis=Chassis(), ids=VendorIds(), registry=typed)
    assert (got.model, got.evidence) == ("DS-2CD2185FWD-I", "model from HIK-DEVICE-MIB::deviceType")
    # sysDescr's model and a model object both come first; a category ("NVR") is no model at all.
    assert identify("Acme AX-200 Version 3.4.5", host_name="", vendor="Acme", chassis=Chassis(), ids=VendorIds(),
                    registry=typed).model == "AX-200"
    named = (Answer("model", "AX-9000", "ACME-MIB::acmeSysModelName"), *typed)
    assert identify("", host_name="", vendor="Acme", chassis=Chassis(), ids=VendorIds(), registry=named).model \
        == "AX-9000"
    part = (Answer("model", "SYS-1019P-WTR", "ATEN-IPMI-MIB::productPartNumber"),)
    assert identify("", host_name="", vendor="Supermicro", chassis=Chassis(), ids=VendorIds(),
                    registry=part).model == "SYS-1019P-WTR"
    assert identify("Acme AX-200 Version 3.4.5", host_name="", vendor="Acme", chassis=Chassis(), ids=VendorIds(),
                    registry=part).model == "AX-200"
    category = (Answer("model", "NVR", "HIKVISION-MIB::deviceType"),)
    assert identify("", host_name="", vendor="Hikvision", chassis=Chassis(), ids=VendorIds(),
                    registry=category).model == ""


def test_a_commit_in_sysdescr_yields_to_the_mibs_release() -> None:
    """Mimosa's sysDescr names the build's commit ("Firmware v92329ce"); MIMOSA-NETWORKS-BFIVE-MIB
    mimosaFirmwareVersion names the release. A commit orders nothing, so it is no version at all."""
    from agent.scan.snmp.mib.identity_objects import Answer

    registry = (Answer("firmware", "2.3.3", "MIMOSA-NETWORKS-BFIVE-MIB::mimosaFirmwareVersion"),)
    got = identify("Mimosa B5c Firmware v92329ce", host_name="", vendor="Mimosa", chassis=Chassis(), ids=VendorIds(),
                   registry=registry)
    assert got.firmware == "2.3.3"
    assert identify("Mimosa B5c Firmware v92329ce", host_name="", vendor="", chassis=Chassis(),
                    ids=VendorIds()).firmware == ""
    # Hex-looking releases that are releases keep: H3C's "2509P61", a dotted "1.0.3a".
    assert identify("H3C Comware Software, Version 5.20, Release 2509P61", host_name="", vendor="", chassis=Chassis(),
                    ids=VendorIds()).firmware == "5.20"
    assert identify("Acme AP FW: 1.0.3a", host_name="", vendor="", chassis=Chassis(),
                    ids=VendorIds()).firmware == "1.0.3a"


def test_the_makers_name_before_a_serial_is_not_part_of_it() -> None:
    """AIX answers aixSeSerialNumber as `uname -u` prints it, "IBM,02061F57P"; the serial is 02061F57P."""
    from agent.scan.snmp.mib.identity_objects import Answer

    def serial(value: str, vendor: str) -> str:
        return identify("", host_name="", vendor=vendor, chassis=Chassis(), ids=VendorIds(),
                        registry=(Answer("serial", value, "IBM-AIX-MIB::aixSeSerialNumber"),)).serial

    assert serial("IBM,02061F57P", "IBM") == "02061F57P"
    assert serial("Acme,X1", "Acme Networks") == "X1"
    # Another name before the comma, or words after it, are the value as the device gave it.
    assert serial("IBM,02061F57P", "Lenovo") == "IBM,02061F57P"
    assert serial("IBM, rack 4", "IBM") == "IBM, rack 4"


def test_a_huawei_release_stays_beside_the_platform_version() -> None:
    # What Huawei's advisories name (V200R010C00SPC600) is kept with the VRP version the sysDescr leads with.
    got = identify("S5720-56C-PWR-EI-AC Huawei Versatile Routing Platform Software VRP (R) software,Version 5.170 "
                   "(S5720 V200R010C00SPC600) Copyright (C) 2007 Huawei Technologies Co., Ltd.", host_name="",
                   vendor="Huawei", chassis=Chassis(), ids=VendorIds())
    assert got.firmware == "5.170 (V200R010C00SPC600)"


def test_what_a_net_snmp_extend_publishes_fills_what_the_device_s_own_objects_leave() -> None:
    """The `hardware` and `serial` extends (snmp/mib/extend.py) rank after the vendor objects and the public
    MIBs', before sysDescr; the `distro` release is the caller's to place (with_release)."""
    uname = "Linux gw 5.4.137 #0 SMP Sat Jul 31 17:21:01 2021 armv7l"
    said = Published(release="OpenWrt 21.02.0-rc4", model="Linksys WRT1200AC", serial="SN-0001")
    got = identify(uname, host_name="gw", vendor="", chassis=Chassis(), ids=VendorIds(), published=said)
    assert got == Identity(serial="SN-0001", model="Linksys WRT1200AC", firmware="5.4.137")
    assert got.evidence == ("serial from NET-SNMP-EXTEND-MIB extend 'serial'; model from NET-SNMP-EXTEND-MIB "
                            "extend 'hardware'; firmware from sysDescr")
    own = identify(uname, host_name="gw", vendor="", chassis=Chassis(serial="C1"),
                   ids=VendorIds(models=("WRT1200AC",)), published=said)
    assert (own.serial, own.model) == ("C1", "WRT1200AC")
    released = with_release(got, said.release)
    assert released == Identity(serial="SN-0001", model="Linksys WRT1200AC", firmware="OpenWrt 21.02.0-rc4")
    assert released.evidence.endswith("; firmware from NET-SNMP-EXTEND-MIB extend 'distro'")
    assert with_release(got, "Unknown") is got


def test_quotes_around_a_whole_value_are_not_part_of_it() -> None:
    got = identify("", host_name="", vendor="", chassis=Chassis(),
                   ids=VendorIds(serials=('"DRSAKZR-1234"',), models=('"MSA 2040"',), firmwares=('"1.2" beta',)))
    assert got == Identity(serial="DRSAKZR-1234", model="MSA 2040", firmware='"1.2" beta')
    assert identify("", host_name="", vendor="", chassis=Chassis(), ids=VendorIds(serials=('""',))).serial == ""
