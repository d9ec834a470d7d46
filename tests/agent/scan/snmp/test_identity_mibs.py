"""The identity-objects registry is regenerated from MIBs with pysmi: which objects are candidates, and why.

A tiny vendor MIB written here (enterprise 99999, a number no vendor MIB of the shipped registry
uses) holds one object for each rule of the criterion in identity_mibs.py: a device serial, model
and firmware as scalars, a device table and a main-board table whose first row is the device, and
objects that must be left out (a battery's serial, a port table's serial, an integer "version", boot
firmware, a text convention that is an address, a table of other devices indexed by MAC). Its tables
come from one helper, `_table`.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from agent.scan.snmp import identity_mibs
from agent.scan.snmp.identity_mibs import BuildError, build, ends_in_serial_number, excluded, kind_of
from agent.scan.snmp.mib.identity_objects import IdObject, load
from tests.conftest import run_cli

pytest.importorskip("pysmi")

# The few SNMPv2-SMI nodes and the one SNMPv2-TC convention the tiny MIB needs (a checkout of
# netdisco-mibs has the whole modules).
BASE = {
    "SNMPv2-SMI.txt": """SNMPv2-SMI DEFINITIONS ::= BEGIN
org OBJECT IDENTIFIER ::= { iso 3 }
dod OBJECT IDENTIFIER ::= { org 6 }
internet OBJECT IDENTIFIER ::= { dod 1 }
private OBJECT IDENTIFIER ::= { internet 4 }
enterprises OBJECT IDENTIFIER ::= { private 1 }
END
""",
    "SNMPv2-TC.txt": """SNMPv2-TC DEFINITIONS ::= BEGIN
DisplayString ::= TEXTUAL-CONVENTION
    DISPLAY-HINT "255a"
    STATUS current
    DESCRIPTION "Text."
    SYNTAX OCTET STRING (SIZE (0..255))
END
""",
}

def _table(name: str, arc: int, indices: dict[str, str], column: str) -> str:
    """MIB text of table acme<name>Table at acmeIdentMib.<arc>: its index objects (name suffix -> syntax),
    then one text column acme<name><column>."""
    entry = f"acme{name}Entry"
    objects = [*(f"acme{name}{i}" for i in indices), f"acme{name}{column}"]
    syntaxes = [*indices.values(), "DisplayString"]
    head = "MAX-ACCESS not-accessible STATUS current DESCRIPTION"
    lines = [f"acme{name}Table OBJECT-TYPE",
             f"    SYNTAX SEQUENCE OF Acme{name}Entry {head} \"Rows.\"",
             f"    ::= {{ acmeIdentMib {arc} }}",
             f"{entry} OBJECT-TYPE",
             f"    SYNTAX Acme{name}Entry {head} \"A row.\"",
             f"    INDEX {{ {', '.join(objects[:-1])} }} ::= {{ acme{name}Table 1 }}",
             f"Acme{name}Entry ::= SEQUENCE {{ {', '.join(map(' '.join, zip(objects, syntaxes, strict=True)))} }}"]
    for n, (obj, syntax) in enumerate(zip(objects, syntaxes, strict=True), 1):
        access = "read-only" if obj == objects[-1] else "not-accessible"
        lines += [f"{obj} OBJECT-TYPE",
                  f"    SYNTAX {syntax} MAX-ACCESS {access} STATUS current DESCRIPTION \"Column.\"",
                  f"    ::= {{ {entry} {n} }}"]
    return "\n".join(lines) + "\n\n"


ACME_MIB = """ACME-IDENT-MIB DEFINITIONS ::= BEGIN
IMPORTS
    MODULE-IDENTITY, OBJECT-TYPE, Integer32, enterprises FROM SNMPv2-SMI
    TEXTUAL-CONVENTION, DisplayString FROM SNMPv2-TC;

acmeIdentMib MODULE-IDENTITY
    LAST-UPDATED "202601010000Z"
    ORGANIZATION "Acme"
    CONTACT-INFO "none"
    DESCRIPTION "Test MIB."
    ::= { enterprises 99999 }

AcmeText ::= TEXTUAL-CONVENTION
    STATUS current
    DESCRIPTION "Text."
    SYNTAX OCTET STRING (SIZE (0..64))

AcmeMacAddress ::= TEXTUAL-CONVENTION
    STATUS current
    DESCRIPTION "Six octets."
    SYNTAX OCTET STRING (SIZE (6))

acmeSystem OBJECT IDENTIFIER ::= { acmeIdentMib 1 }

acmeSysSerialNumber OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "Serial." ::= { acmeSystem 1 }
acmeSysModelName OBJECT-TYPE
    SYNTAX AcmeText MAX-ACCESS read-only STATUS current DESCRIPTION "Model." ::= { acmeSystem 2 }
acmeFirmwareVersion OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "Release." ::= { acmeSystem 3 }
acmeBatterySerialNumber OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "A part's." ::= { acmeSystem 4 }
acmeSoftwareVersionNumber OBJECT-TYPE
    SYNTAX Integer32 MAX-ACCESS read-only STATUS current DESCRIPTION "Not text." ::= { acmeSystem 5 }
acmeBootFirmwareVersion OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "Boot code." ::= { acmeSystem 6 }
acmeSerialMac OBJECT-TYPE
    SYNTAX AcmeMacAddress MAX-ACCESS read-only STATUS current DESCRIPTION "Binary." ::= { acmeSystem 7 }
acmeSysLocationNote OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "No kind." ::= { acmeSystem 8 }
acmeSerialno OBJECT-TYPE
    SYNTAX Integer32 MAX-ACCESS read-only STATUS current DESCRIPTION "A numeric serial." ::= { acmeSystem 9 }
acmeSerialBaudRate OBJECT-TYPE
    SYNTAX Integer32 MAX-ACCESS read-only STATUS current DESCRIPTION "A serial port's." ::= { acmeSystem 10 }

""" + "".join((
    # rows numbered by one integer, named for the device: its first row is the device
    _table("Unit", 2, {"Index": "Integer32"}, "Serial"),
    # named for no device: left out
    _table("Lane", 3, {"Index": "Integer32"}, "SerialNumber"),
    # the main board's, rows numbered by stack member and board
    _table("Board", 4, {"Member": "Integer32", "Index": "Integer32"}, "SerialNumber"),
    # indexed by MAC: a list of other devices, left out
    _table("AdoptedDevice", 5, {"Mac": "AcmeMacAddress"}, "Serial"),
)) + """
END
"""


def _folder(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    for name, text in BASE.items():
        (where / name).write_text(text)
    return where


def test_a_tiny_mib_regenerates_into_the_candidates_the_criterion_names(tmp_path: Path) -> None:
    mibs = _folder(tmp_path / "mibs" / "acme")
    # The file is named unlike its module, as in netdisco-mibs: the module is found by its DEFINITIONS line.
    (mibs / "acme-ident.my").write_text(ACME_MIB)
    (mibs / "NOTES.md").write_text("not a MIB")
    out = tmp_path / "identity_objects.tsv.gz"
    assert build(tmp_path / "mibs", out, source="tiny test MIB") == 6
    ent = (1, 3, 6, 1, 4, 1, 99999)
    assert load(out) == {99999: (
        IdObject("serial", (*ent, 1, 1, 0), "ACME-IDENT-MIB::acmeSysSerialNumber"),
        # a column of a device table (rows numbered): the column itself, read at its first row, the device
        IdObject("serial", (*ent, 2, 1, 2), "ACME-IDENT-MIB::acmeUnitSerial"),
        # a serial may be a number (a version may not: acmeSoftwareVersionNumber is left out)
        IdObject("serial", (*ent, 1, 9, 0), "ACME-IDENT-MIB::acmeSerialno", number=True),
        # the main board's table, rows numbered by stack member and board, ranks after the device's own
        IdObject("serial", (*ent, 4, 1, 3), "ACME-IDENT-MIB::acmeBoardSerialNumber"),
        IdObject("model", (*ent, 1, 2, 0), "ACME-IDENT-MIB::acmeSysModelName"),
        IdObject("firmware", (*ent, 1, 3, 0), "ACME-IDENT-MIB::acmeFirmwareVersion"),
    )}
    assert [o.first_row for o in load(out)[99999]] == [False, True, False, True, False, False]
    # Left out: the battery's serial, the lane table's (no device word), an Integer32 version, boot
    # firmware, an address-like text convention, an object of no kind, a serial port's setting, and
    # the serials of a table indexed by MAC (other devices, one per address).
    lines = gzip.decompress(out.read_bytes()).decode()
    assert lines.startswith("# netcensus identity objects") and "# source: tiny test MIB" in lines
    for left_out in ("Battery", "Lane", "VersionNumber", "Boot", "SerialMac", "Location", "BaudRate", "Adopted"):
        assert left_out not in lines.split("# columns")[1]
    # The same MIBs give the same bytes (no timestamp in the gzip header): no spurious diff on regeneration.
    again = tmp_path / "again.tsv.gz"
    build(tmp_path / "mibs", again, source="tiny test MIB")
    assert again.read_bytes() == out.read_bytes()


def test_the_cli_regenerates_and_says_how_many(tmp_path: Path) -> None:
    (_folder(tmp_path / "mibs") / "acme.mib").write_text(ACME_MIB)
    out = tmp_path / "reg.tsv.gz"
    res = run_cli("netcensus-agent", "identity-objects", "--mibs", str(tmp_path / "mibs"), "--out", str(out))
    assert res.code == 0, res.err
    assert "wrote 6 serial/model/firmware objects" in res.out and out.is_file()


def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    res = run_cli("netcensus-agent", "identity-objects", "--mibs", str(tmp_path / "nope"), "--out",
                  str(tmp_path / "x.gz"))
    assert res.code == 1 and "not a folder of MIBs" in res.err and "Traceback" not in res.err
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError, match="no MIB module"):
        build(tmp_path / "empty", tmp_path / "x.gz")
    assert not (tmp_path / "x.gz").exists()


@pytest.mark.parametrize(("name", "kind"), [
    ("upsAdvIdentSerialNumber", "serial"), ("snChasSerNum", "serial"), ("jnxBoxSerialNo", "serial"),
    ("fnSysSerial", "serial"), ("snwlSysModel", "model"), ("cpqSiProductName", "model"),
    ("rPDU2IdentModelNumber", "model"), ("snwlSysFirmwareVersion", "firmware"), ("panSysSwVersion", "firmware"),
    ("fgSysVersion", "firmware"), ("swOpCodeVer", "firmware"), ("ahFwVersion", "firmware"),
    ("mtxrOsVersion", "firmware"), ("upsIdentUPSSoftwareRev", "firmware"),
    ("fextInfoSN", "serial"), ("snAgentBrdIndex", ""),
    ("deviceFirmware", "firmware"), ("sysFirmware", "firmware"), ("upsFirmware", ""),
    ("sysContact", ""), ("ifSpeed", ""), ("hwVersion", ""), ("versionString", ""),
    ("serialnum", "serial"), ("serialno", "serial"), ("sernum", "serial"), ("devVersion", "firmware"),
    ("softwVersion", "firmware"),
    ("version", "firmware"),
    ("nsBgpInfoVersion", ""), ("firmwareUpdateBundleVersion", ""), ("deviceRevision", ""), ("mibVersion", ""),
    # one lowercase word (ServersCheck), and "Software" after a device word, alone
    ("productversion", "firmware"), ("productname", "model"), ("sysSoftware", "firmware"),
    # IBM's, Lenovo's and NetApp's word for the model ("8233-E8B"), and FASTPATH's beside its model
    ("aixSeMachineType", "model"), ("agentInventoryMachineType", "model"), ("machineTypeCount", ""),
    # the device's or product's type (a model, weighed after sysDescr by the scanner), not a unit's or a trap's
    ("deviceType", "model"), ("sfosDeviceType", "model"), ("systemDevType", "model"), ("dmmProductType", "model"),
    ("deviceTypeIndex", ""), ("sysType", ""), ("unitType", ""),
    # the device's own part number (the catalogue's name), not a part's nor one standing alone
    ("xupsIdentPartNumber", "model"), ("productPartNumber", "model"), ("devicePartNumber", "model"),
    ("hwPartNumber", ""), ("PartNo", ""), ("acosPartNumber", ""), ("partNumberRevision", ""),
    ("inventoryPartnumber", "model"), ("advaInventoryPartnumber", "model"), ("cardPartnumber", ""),
    ("hwEasyOperationDefaultSysSoftware", ""), ("endptSBM1SWVER", ""), ("software", ""),
    # the device's electronic serial number, not a modem's or a session's
    ("hwDeviceEsn", "serial"), ("c3gEsn", ""), ("cCdmaSessionEsn", ""),
    # words split by their capitals, "Nbr" after "serial", and a release between "firmware" and "version"
    ("deviceSoftWareVersion", "firmware"), ("etcSerialNbr", "serial"), ("firmwarePackageRev", "firmware"),
    ("sysBuildVersion", "firmware"), ("swRunningVersion", "firmware"), ("osKernelVersion", ""),
    # "serial" the port: its settings, what it carries, which protocols it serves
    ("gsysioSerialTimeOutputFormat", ""), ("csysioSerialTimeNMEASentence1", ""), ("cySerialSsh", ""),
    ("ddmTransSerialBitRate", ""), ("mSysSerialNumberPlatform", "serial"), ("hmSerialNumM1", ""),
    # a lowercase run closing in "serial", where the author missed a capital
    ("fruBaseInfoserialNumber", "serial"), ("zxr10SystemserialNo", "serial"),
    # the identified controller's version is a DC power system's own; another controller's is not named
    ("vpwrIdentControllerVersion", "firmware"), ("raidControllerVersion", ""),
    # a word left lowercase after an abbreviation in capitals, not a protocol's or a MIB's version
    ("bmcFWversion", "firmware"), ("deviceFWversion", "firmware"), ("cyACSversion", ""), ("asgVSXIPver", ""),
    # a release word between "software" and "version" only where they close the descriptor: a word after
    # them names a package of its own
    ("storageSystem-PackageVerTomcat", ""), ("rlSwPackageVersionName", ""),
])
def test_kinds_are_read_from_camel_case_words(name: str, kind: str) -> None:
    assert kind_of(name) == kind


@pytest.mark.parametrize(("name", "closes"), [
    ("serialNumber", True), ("raySerNum", True), ("acmeSerialno", True),
    ("mSysSerialNumberPlatform", True),  # MDS-SYSTEM-MIB: the platform's serial number, an Unsigned32
    ("acmeSerialBaudRate", False), ("acmeSerialParity", False), ("serialNumberPort", False),
])
def test_which_numbers_may_be_serials(name: str, closes: bool) -> None:
    """Only a number named for a serial number is read as one (a serial port's settings are numbers too)."""
    assert ends_in_serial_number(name) is closes


@pytest.mark.parametrize(("kind", "names", "out"), [
    ("serial", ("upsBatterySerialNumber", ""), True),
    ("serial", ("cardSerial", ""), True),
    ("serial", ("apSerialNumber", "apInfoTable"), True),  # a managed access point's, on a controller
    ("model", ("unifiApSystemModel", ""), False),     # an access point's own scalar
    ("serial", ("agentInventorySerialNumber", ""), False),  # FASTPATH switches' own inventory
    ("serial", ("entrySerial", "sfpInfoTable"), True),  # the table names the part
    ("firmware", ("biosFwVersion", ""), True),       # boot code, not the release the device runs
    ("serial", ("chassisSerialNumber", "chassisTable"), False),
    ("model", ("sysProductName", ""), False),
    ("serial", ("etcSerialNbr", ""), False),          # "Nbr" after "serial" is its number, not a neighbour
    ("serial", ("ospfNbrSerial", ""), True),
    ("firmware", ("h3cSysPackageVersion", "h3cSysPackageTable"), True),  # a row per package, boot code too
    ("firmware", ("firmwarePackageRev", ""), False),                     # the device's scalar
    ("serial", ("chassisDeviceIdPackageSerialNumber", "chassisDeviceIdTable"), False),
    ("serial", ("hpicfXcvrSerial", ""), True),                           # a transceiver's
    ("serial", ("hpSwitchServerCertificateSerialNumber", ""), True),     # a certificate's
    ("model", ("agentInventorySupportedUnitModelIdentifier", ""), True),  # every unit a stack accepts
    ("firmware", ("snAgFlashImgVer", ""), True),                         # the image in flash, not running
    ("serial", ("componentLevelVpdSerialNumber", ""), True),
    ("firmware", ("cufwFOSwVersionMate", ""), True),                     # the failover partner's
    ("serial", ("identControllerSerialNumber", ""), False),   # EES-POWER-MIB: a power system's controller
    ("firmware", ("identControllerFirmwareVersion", ""), False),
    ("serial", ("raidControllerSerialNumber", ""), True),     # elsewhere a controller is a part
    ("serial", ("sysControllerSerial", ""), True),
    ("model", ("cpqSeUSBDeviceType", ""), True), ("model", ("himSCSIDevType", ""), True),  # a part's type
    ("model", ("lcsPTPClockConfEntryDeviceType", ""), True), ("model", ("h3cEOCComCnuDeviceType", ""), True),
    ("model", ("sfosDeviceType", ""), False),
    ("model", ("cucsAdaptorUnitPartNumber", ""), True), ("model", ("cpqIoDrvInfoPartNumber", ""), True),
    # a date or time, whatever it dates (ENLOGIC-PDU2-MIB: when the firmware was built)
    ("firmware", ("pduNamePlateFirmwareVersionTimeStamp", ""), True), ("firmware", ("swBuildDate", ""), True),
    ("firmware", ("bakBmcFWversion", ""), True), ("firmware", ("snmp540MIBversion", ""), True),  # a backup's, a MIB's
    ("serial", ("inventory-preampSerialNumber", ""), True),
    ("serial", ("cmmSerialNo", ""), False),  # a Cambium CMM's own
])
def test_other_parts_are_left_out(kind: str, names: tuple[str, str], out: bool) -> None:
    assert excluded(kind, *names) is out


def test_the_device_words_rank_first() -> None:
    sys_serial = identity_mibs.rank("fooSysSerialNumber", "", scalar=True, status="current")
    other = identity_mibs.rank("fooSerialNumber", "", scalar=True, status="current")
    column = identity_mibs.rank("fooSerial", "fooUnitTable", scalar=False, status="current")
    old = identity_mibs.rank("fooSysSerial", "", scalar=True, status="deprecated")
    assert sorted([other, old, column, sys_serial]) == [sys_serial, old, column, other]


def _module_head(module: str, root: str, pen: int, groups: tuple[str, ...]) -> str:
    """The opening of a tiny vendor MIB: `root` at enterprises.`pen`, then `groups` numbered 1, 2, ... below it."""
    numbered = "".join(f"{g} OBJECT IDENTIFIER ::= {{ {root} {n} }}\n" for n, g in enumerate(groups, 1))
    return (f"{module} DEFINITIONS ::= BEGIN\nIMPORTS\n    OBJECT-TYPE, enterprises FROM SNMPv2-SMI\n"
            f"    DisplayString FROM SNMPv2-TC;\n\n{root} OBJECT IDENTIFIER ::= {{ enterprises {pen} }}\n{numbered}\n")


# A vendor that names its device's release only with the prefix of its serial (criterion 5).
WIDGET_MIB = _module_head("WIDGET-MIB", "widget", 99998, ("widgetInfo", "widgetOther", "widgetHw")) + """\
widgetInfoSerial OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "Serial." ::= { widgetInfo 1 }
widgetInfoVersion OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "Release." ::= { widgetInfo 2 }
widgetInfoThreatVersion OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "Signatures." ::= { widgetInfo 3 }
widgetSysSoftwareVersion OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "Named." ::= { widgetOther 1 }
widgetOtherVersion OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "No serial beside." ::= { widgetOther 2 }
hwSerialNumber OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "Serial." ::= { widgetHw 1 }
hwVersion OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "The board's." ::= { widgetHw 2 }
END
"""


def test_a_release_named_with_the_serials_prefix_is_the_firmware_ranked_after_named_ones(tmp_path: Path) -> None:
    (_folder(tmp_path / "mibs") / "widget.mib").write_text(WIDGET_MIB)
    out = tmp_path / "reg.tsv.gz"
    build(tmp_path / "mibs", out, source="tiny test MIB")
    firmware = [o.name for o in load(out)[99998] if o.kind == "firmware"]
    # Left out: a further word (another thing's release), no serial or model beside it, the hardware's.
    assert firmware == ["WIDGET-MIB::widgetSysSoftwareVersion", "WIDGET-MIB::widgetInfoVersion"]


@pytest.mark.parametrize(("name", "prefixes", "names"), [
    ("etcVersion", [("etc",)], True),                   # SYMM-SMI beside etcSerialNbr
    ("sdsSoftware", [("sds",)], True),                  # IMCO-LSPS-MIB beside sdsSerialNumber
    ("panSysThreatVersion", [("pan", "sys")], False),   # a further word: the threat database's
    ("hwVersion", [("hw",)], False),                    # the hardware's
    ("etcVersion", [("other",)], False),
])
def test_which_names_are_a_release_of_the_identity_prefix(name: str, prefixes: list[tuple[str, ...]],
                                                          names: bool) -> None:
    assert identity_mibs.names_release_of(name, prefixes) is names
    assert identity_mibs.identity_prefix("etcSerialNbr") == ("etc",)


def _scalar(name: str, parent: str, arc: int, description: str, access: str = "read-only") -> str:
    """MIB text of one DisplayString scalar `name` at `parent`.`arc`, described by `description`."""
    return (f"{name} OBJECT-TYPE\n    SYNTAX DisplayString MAX-ACCESS {access} STATUS current\n"
            f"    DESCRIPTION \"{description}\" ::= {{ {parent} {arc} }}\n")


# A vendor that names objects tersely and says in their DESCRIPTION what they hold (criterion 6).
GADGET_MIB = _module_head("GADGET-MIB", "gadget", 99997, ("gadgetStatus", "gadgetPhd")) + "".join(
    _scalar(name, "gadgetStatus", arc, description) for arc, (name, description) in enumerate((
    ("gadgetAppRelease", "Version of the application running at the moment in the system. Set at the factory."),
    ("gadgetTypeName", "The product name (model) of this unit."),
    ("gadgetEsnText", "Device serial number, as on its label."),
    ("gadgetSysFirmwareVersion", "Named."),
    ("gadgetFallbackImage", "System fallback image version."),
    ("gadgetPsuIdent", "The serial number of the power supply unit."),
    ("gadgetNtpName", "The product name of the installed NTP software of the device."),
    ("gadgetDlsw", "Information about this node (e.g., product name, code release)."),
    ("gadgetGroupKey", "The serial number of the group this node is in."),
), 1)) + "".join((
    # one sentence copied onto two objects of a group (one of them writable)
    _scalar("gadgetPhdAssetTag", "gadgetPhd", 1, "Serial number of the product.", access="read-write"),
    _scalar("gadgetPhdHardwareRev", "gadgetPhd", 2, "Serial number of the product."),
)) + """END
"""


def test_a_description_that_says_what_the_object_holds_makes_it_a_candidate_ranked_last(tmp_path: Path) -> None:
    (_folder(tmp_path / "mibs") / "gadget.mib").write_text(GADGET_MIB)
    out = tmp_path / "reg.tsv.gz"
    build(tmp_path / "mibs", out, source="tiny test MIB")
    ent = (1, 3, 6, 1, 4, 1, 99997, 1)
    assert load(out)[99997] == (
        IdObject("serial", (*ent, 3, 0), "GADGET-MIB::gadgetEsnText"),
        IdObject("model", (*ent, 2, 0), "GADGET-MIB::gadgetTypeName"),
        # the object whose own name says it comes first
        IdObject("firmware", (*ent, 4, 0), "GADGET-MIB::gadgetSysFirmwareVersion"),
        IdObject("firmware", (*ent, 1, 0), "GADGET-MIB::gadgetAppRelease"),
    )
    # Left out: a fallback image, a part's serial, some software's product name, an example in
    # parentheses, a descriptor naming a key, and one sentence copied onto two objects of a group.


@pytest.mark.parametrize(("sentence", "kind"), [
    ("Version of the application running at the moment in the system.", "firmware"),
    ("Chassis serial number.", "serial"),
    ("Service tag serial-number of the switch.", "serial"),
    ("Product name", "model"),
    ("The UPS Model designation.", "model"),
    ("The software version of the switch.", "firmware"),
    ("The Rohde&Schwarz revision number of the software, for example 1.2.1.", "firmware"),  # "the software"
    ("Name of product", "model"),
    ("SP product id.", "model"),
    ("The product number of the device.", ""),                   # a part number, not the model
    ("The serial number of the power supply.", ""),              # a part's
    ("System fallback image version.", ""),                       # not the running one
    ("The software release to which the system is upgrading.", ""),
    ("This attribute defines the major version of the Operating System.", ""),  # a part of a version
    ("The product name of the systems management software.", ""),  # software's, not the device's
    ("Serial number.", ""),                                       # names no device
    ("This is the boot monitor firmware revision of the system.", ""),
    ("The system Linux kernel firmware version.", ""),
])
def test_which_descriptions_say_what_an_object_holds(sentence: str, kind: str) -> None:
    assert identity_mibs.described_kind(sentence) == kind


def test_the_first_sentence_leaves_parentheses_out() -> None:
    assert identity_mibs.first_sentence("Gives  product info (e.g., product name).  More.") == "Gives product info ."


def test_a_descriptor_copied_for_each_product_line_ranks_after_the_makers_own(tmp_path: Path) -> None:
    # D-Link's shape: one module per product line, each with the same sysSerialNumber under its line's
    # OID, and a MIB for every product whose serial object ranks after "sys" words otherwise.
    def head(module: str, root: str, where: str, group: str) -> str:
        opening = _module_head(module, root, 99996, (group,))
        return opening.replace("{ enterprises 99996 }", f"{{ enterprises {where} }}")

    lines = "".join(head(f"LINE{n}-MIB", f"line{n}", f"99996 10 {n}", "lineSys")
                    + _scalar("sysSerialNumber", "lineSys", 1, "S.") + "END\n" for n in (1, 2, 3))
    every = head("EVERY-MIB", "every", "99996 12", "everyUnit") \
        + _scalar("swUnitMgmtSerialNumber", "everyUnit", 1, "S.") + "END\n"
    (_folder(tmp_path / "mibs") / "lines.mib").write_text(lines + every)
    out = tmp_path / "reg.tsv.gz"
    build(tmp_path / "mibs", out, source="tiny test MIB")
    serials = [o.name for o in load(out)[99996] if o.kind == "serial"]
    assert serials[0] == "EVERY-MIB::swUnitMgmtSerialNumber" and len(serials) == 4


def test_every_modules_definition_of_an_oid_counts_and_says_its_syntax(tmp_path: Path) -> None:
    # ARICENT-ISS-MIB's shape: one release puts a retry count at .120, a later one the hardware serial
    # number; the registry lists the serial (text), and the scanner takes no number for it
    # (identity_objects.answers).
    def module(name: str, obj: str, syntax: str, access: str) -> str:
        return (f"{name} DEFINITIONS ::= BEGIN\nIMPORTS\n    OBJECT-TYPE, Integer32, enterprises FROM SNMPv2-SMI\n"
                f"    DisplayString FROM SNMPv2-TC;\n\nrelSys OBJECT IDENTIFIER ::= {{ enterprises 99995 1 }}\n"
                f"{obj} OBJECT-TYPE\n    SYNTAX {syntax} MAX-ACCESS {access} STATUS current\n"
                f"    DESCRIPTION \"One release's.\" ::= {{ relSys 120 }}\nEND\n")

    mibs = _folder(tmp_path / "mibs")
    (mibs / "a-rel.mib").write_text(module("A-REL-MIB", "relConfigRestoreRetries", "Integer32", "read-write"))
    (mibs / "b-rel.mib").write_text(module("B-REL-MIB", "relHardwareSerialNumber", "DisplayString", "read-only"))
    out = tmp_path / "reg.tsv.gz"
    build(tmp_path / "mibs", out, source="tiny test MIB")
    assert load(out)[99995] == (IdObject("serial", (1, 3, 6, 1, 4, 1, 99995, 1, 120, 0),
                                         "B-REL-MIB::relHardwareSerialNumber"),)
    assert gzip.decompress(out.read_bytes()).decode().rstrip().endswith("B-REL-MIB::relHardwareSerialNumber\ttext")


def test_a_table_indexed_by_a_hyphenated_descriptor_is_read(tmp_path: Path) -> None:
    # QUANTASTOR-SYS-STATS' shape: pysmi keys `storageSystem-Index` by a Python name, the INDEX clause by
    # the MIB's; the table's first row is still the device's.
    text = (_module_head("HYPHEN-MIB", "hyphen", 99994, ("hyphenSys",))
            .replace("OBJECT-TYPE, enterprises", "OBJECT-TYPE, Unsigned32, enterprises") + """\
storageSystemTable OBJECT-TYPE
    SYNTAX SEQUENCE OF StorageSystemEntry MAX-ACCESS not-accessible STATUS current DESCRIPTION "Rows."
    ::= { hyphenSys 1 }
storageSystemEntry OBJECT-TYPE
    SYNTAX StorageSystemEntry MAX-ACCESS not-accessible STATUS current DESCRIPTION "A row."
    INDEX { storageSystem-Index } ::= { storageSystemTable 1 }
StorageSystemEntry ::= SEQUENCE { storageSystem-Index Unsigned32, storageSystem-SerialNumber DisplayString }
storageSystem-Index OBJECT-TYPE
    SYNTAX Unsigned32 MAX-ACCESS not-accessible STATUS current DESCRIPTION "Index." ::= { storageSystemEntry 1 }
storageSystem-SerialNumber OBJECT-TYPE
    SYNTAX DisplayString MAX-ACCESS read-only STATUS current DESCRIPTION "Serial." ::= { storageSystemEntry 2 }
END
""")
    (_folder(tmp_path / "mibs") / "hyphen.mib").write_text(text)
    out = tmp_path / "reg.tsv.gz"
    build(tmp_path / "mibs", out, source="tiny test MIB")
    assert load(out)[99994] == (IdObject("serial", (1, 3, 6, 1, 4, 1, 99994, 1, 1, 1, 2),
                                         "HYPHEN-MIB::storageSystem-SerialNumber"),)
