"""Vendor MIB slips pysmi rejects and net-snmp reads: repaired for the compile, names kept as written."""

from __future__ import annotations

from pathlib import Path

from agent.scan import mib_build
from agent.scan.mib_repair import cut_symbols, repair, restore_names, without
from tests.agent.scan.classify.test_product_mibs import SMI

# The shapes of BAICELLS-MIB (`SpecVersion OBJECT-TYPE`), ZMTEL-ODU-MIB (`ZMTEL MODULE-IDENTITY`) and
# HIKVISION-MIB (`SEQUENCE OF hikDiskEntry` beside `HikDiskEntry ::= SEQUENCE`), in one module.
BROKEN = """ACME-CPE-MIB DEFINITIONS ::= BEGIN
IMPORTS
    MODULE-IDENTITY, OBJECT-TYPE, Integer32, enterprises FROM SNMPv2-SMI
    DisplayString FROM SNMPv2-TC;

ACME MODULE-IDENTITY
    LAST-UPDATED "201508030000Z"
    ORGANIZATION "Acme"
    CONTACT-INFO "acme"
    DESCRIPTION "SerialNumber and ACME are written as in the vendor's text" -- SerialNumber too
    ::= { enterprises 99998 }

SerialNumber OBJECT-TYPE
    SYNTAX      DisplayString
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "The device's serial number."
    ::= { ACME 1 }

diskTable OBJECT-TYPE
    SYNTAX      SEQUENCE OF diskEntry
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "Disks."
    ::= { ACME 2 }

diskEntry OBJECT-TYPE
    SYNTAX      diskEntry
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "A disk."
    INDEX       { diskIndex }
    ::= { diskTable 1 }

diskEntry ::= SEQUENCE { diskIndex Integer32 }

diskIndex OBJECT-TYPE
    SYNTAX      Integer32
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "Its index."
    ::= { diskEntry 1 }
END
"""


def test_capital_descriptors_are_lowered_outside_strings_and_comments() -> None:
    text, renames = repair(BROKEN)
    assert renames == {"aCME": "ACME", "serialNumber": "SerialNumber"}
    assert "serialNumber OBJECT-TYPE" in text and "::= { aCME 1 }" in text and "aCME MODULE-IDENTITY" in text
    assert 'DESCRIPTION "SerialNumber and ACME are written' in text and "-- SerialNumber too" in text


def test_a_row_type_is_capitalised_where_a_type_stands_and_the_row_object_keeps_its_name() -> None:
    text, _ = repair(BROKEN)
    assert "SEQUENCE OF DiskEntry" in text and "SYNTAX      DiskEntry" in text
    assert "DiskEntry ::= SEQUENCE" in text
    assert "diskEntry OBJECT-TYPE" in text and "::= { diskEntry 1 }" in text and "INDEX       { diskIndex }" in text


def _mib(name: str, body: str) -> str:
    return f"{name} DEFINITIONS ::= BEGIN\n{body}END\n"


def test_enterprises_is_imported_where_a_module_uses_it_without() -> None:
    v1 = _mib("OLD-MIB", "IMPORTS\n    OBJECT-TYPE FROM RFC-1212;\nold OBJECT IDENTIFIER ::= { enterprises 7 }\n")
    assert "IMPORTS enterprises FROM SNMPv2-SMI\n    OBJECT-TYPE FROM RFC-1212;" in repair(v1)[0]
    bare = _mib("BARE-MIB", "hp OBJECT IDENTIFIER ::= { enterprises 11 }\n")
    assert repair(bare)[0].startswith("BARE-MIB DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\n")
    imported = _mib("OK-MIB", "IMPORTS enterprises FROM RFC1155-SMI;\nok OBJECT IDENTIFIER ::= { enterprises 9 }\n")
    assert repair(imported) == (imported, {})


def test_a_module_without_the_slips_comes_back_as_it_was() -> None:
    fine = _mib("FINE-MIB", "IMPORTS enterprises FROM SNMPv2-SMI;\nfine OBJECT IDENTIFIER ::= { enterprises 3 }\n")
    assert repair(fine) == (fine, {})


def test_a_capital_descriptor_whose_lowered_name_is_taken_gets_another() -> None:
    # BAICELLS-MIB defines the group lteStatus and the object LteStatus under it
    clash = _mib("C-MIB", "lteStatus OBJECT IDENTIFIER ::= { enterprises 1 }\n"
                          "LteStatus OBJECT IDENTIFIER ::= { lteStatus 2 }\nx OBJECT IDENTIFIER ::= { LteStatus 1 }\n")
    text, renames = repair(clash)
    assert renames == {"lteStatusx": "LteStatus"}
    assert "lteStatusx OBJECT IDENTIFIER ::= { lteStatus 2 }" in text and "::= { lteStatusx 1 }" in text


def test_enumeration_labels_start_lowercase_and_a_closing_comma_goes() -> None:
    text, renames = repair(_mib("E-MIB", "fw OBJECT-TYPE\n  SYNTAX Integer32 { Disabled(0), Enabled(1) }\n"
                                         "  DEFVAL { Enabled }\n  ::= { e 1 }\n"
                                         "tz OBJECT-TYPE\n  SYNTAX TimeZone\n  DEFVAL { GMT }\n  ::= { e 4 }\n"
                                         "speed OBJECT-TYPE\n  SYNTAX INTEGER { 10M(1),100M(2) }\n"
                                         '  DESCRIPTION "Enabled(1) stays in text"\n  ::= { e 2 }\n'
                                         "g OBJECT-GROUP\n  OBJECTS { fw, speed, }\n  ::= { e 3 }\n"))
    assert "{ disabled(0), enabled(1) }" in text and "DEFVAL { enabled }" in text and "DEFVAL { gMT }" in text
    assert "{ n10M(1),n100M(2) }" in text and '"Enabled(1) stays in text"' in text
    assert "OBJECTS { fw, speed }" in text and renames == {}


def test_bits_without_named_bits_are_read_as_an_octet_string() -> None:
    text, _ = repair(_mib("B-MIB", "IMPORTS Integer32, BITS FROM SNMPv2-SMI;\nBitField ::=\t-- alias type\n\tBITS\n"
                                   "f OBJECT-TYPE\n  SYNTAX BITS { a(0), b(1) }\n  ::= { b 1 }\n"
                                   "g OBJECT-TYPE\n  SYNTAX BITS\n  MAX-ACCESS read-write\n  ::= { b 2 }\n"
                                   "h OBJECT-TYPE\n  SYNTAX BITS -- its bits:\n  { c(0) }\n  ::= { b 3 }\n"))
    assert "BitField ::=\t-- alias type\n\tOCTET STRING\n" in text and "Integer32, BITS FROM SNMPv2-SMI;" in text
    assert "SYNTAX BITS { a(0), b(1) }" in text and "SYNTAX OCTET STRING\n  MAX-ACCESS" in text
    assert "SYNTAX BITS -- its bits:\n  { c(0) }" in text  # a comment between BITS and its list


def test_a_missing_comma_between_enumeration_labels_is_put_in_and_oid_values_are_left_alone() -> None:
    text, _ = repair(_mib("I-MIB", "svc OBJECT-TYPE\n  SYNTAX INTEGER {\n    ftp(2),\n    snmp(3)\n    web(4) }\n"
                                   "  ::= { i 1 }\nroot OBJECT IDENTIFIER ::= { iso(1) org(3) dod(6) }\n"))
    assert "snmp(3),\n    web(4) }" in text and "{ iso(1) org(3) dod(6) }" in text


def test_a_missing_comma_in_a_row_sequence_or_the_imports_is_put_in() -> None:
    text, _ = repair(_mib("R-MIB", "IMPORTS\n    Counter32,\n    Integer32\n    enterprises\n        FROM SNMPv2-SMI\n"
                                   "    DisplayString FROM SNMPv2-TC;\n"
                                   "RadiusEntry ::= SEQUENCE {\n   radiusServerStatus   ValidStatus\n"
                                   "   radiusServerType     EnabledStatus -- a comment\n   radiusTimeout Integer32 }\n"
                                   "HistEntry ::= SEQUENCE {\n\thistRelay1\n\t\tINTEGER\n"
                                   "\thistRelay2\n\t\tINTEGER\n}\n"))
    assert "Integer32,\n    enterprises\n        FROM SNMPv2-SMI\n    DisplayString FROM" in text
    assert "ValidStatus,\n   radiusServerType     EnabledStatus, -- a comment\n   radiusTimeout Integer32 }" in text
    assert "histRelay1\n\t\tINTEGER,\n\thistRelay2\n\t\tINTEGER\n}" in text
    crlf = repair(_mib("W-MIB", "E ::= SEQUENCE {\r\n   a   Integer32\r\n   b   Integer32\r\n}\r\n"))[0]
    assert "a   Integer32,\r\n   b   Integer32\r\n}" in crlf  # Windows line ends, as ECS4100-52T-MIB's



def test_a_comment_between_tokens_hides_no_slip_and_is_kept_as_written() -> None:
    # AH-SMI-MIB's labels each followed by a comment, TPLINK-SYSINFO-MIB's `19200(1), --config ...`,
    # CP-SYSTEM-MIB's closing comma before a commented line
    text, _ = repair(_mib("K-MIB", "use OBJECT-TYPE\n  SYNTAX INTEGER {\n    ahDual (4)  -- used for dual\n"
                                   "    ahSensor (5)  -- used for Sensor, Enabled(1)\n  }\n  ::= { k 1 }\n"
                                   "baud OBJECT-TYPE\n  SYNTAX INTEGER {\n    19200(1),\t--config 19200\n"
                                   "    38400(2)\t--config 38400\n  }\n  ::= { k 2 }\n"
                                   "kind OBJECT-TYPE\n  SYNTAX INTEGER {\n    lan(3),\n    sdwan(4),   -- SD WAN\n  }\n"
                                   "  ::= { k 3 }\n"))
    assert "ahDual (4),  -- used for dual\n    ahSensor (5)  -- used for Sensor, Enabled(1)\n" in text
    assert "n19200(1),\t--config 19200\n    n38400(2)\t--config 38400\n" in text
    assert "sdwan(4)   -- SD WAN\n  }" in text

def test_restored_symbols_carry_the_vendors_spelling() -> None:
    document = {"serialNumber": {"name": "serialNumber", "oid": "1.3.6.1.4.1.99998.1"}, "meta": {"module": "M"}}
    assert restore_names(document, {"serialNumber": "SerialNumber"}) == {
        "SerialNumber": {"name": "SerialNumber", "oid": "1.3.6.1.4.1.99998.1"}, "meta": {"module": "M"}}


def test_a_module_pysmi_rejects_compiles_repaired_under_its_vendors_names(tmp_path: Path) -> None:
    (tmp_path / "SNMPv2-SMI").write_text(SMI)
    (tmp_path / "ACME-CPE-MIB").write_text(BROKEN)
    compiled = mib_build.compile_folder(tmp_path, "test", texts=False)
    document = compiled["ACME-CPE-MIB"]
    assert document["SerialNumber"]["name"] == "SerialNumber"
    assert document["SerialNumber"]["oid"] == "1.3.6.1.4.1.99998.1"
    assert document["diskIndex"]["oid"] == "1.3.6.1.4.1.99998.2.1.1"
    assert "serialNumber" not in document


def test_the_definitions_pysmi_cannot_place_are_cut_and_the_rest_counts(tmp_path: Path) -> None:
    # BAICELLS-MIB's upTime has a SYNTAX nobody defines ("Interger"): pysmi fails the whole module
    typo = BROKEN.replace("diskIndex OBJECT-TYPE", 'upTime OBJECT-TYPE\n    SYNTAX      Interger\n'
                          '    MAX-ACCESS  read-only\n    STATUS      current\n    DESCRIPTION "Up time."\n'
                          "    ::= { ACME 3 }\n\ndiskIndex OBJECT-TYPE")
    assert cut_symbols("Unknown parents for symbols: upTime, b at MIB ACME-CPE-MIB") == ("upTime", "b")
    assert cut_symbols("Bad grammar near token type NUMBER") == ()
    text = without(repair(typo)[0], ("upTime",))
    assert "upTime" not in text and "Interger" not in text and text.count("\n") == repair(typo)[0].count("\n")
    (tmp_path / "SNMPv2-SMI").write_text(SMI)
    (tmp_path / "ACME-CPE-MIB").write_text(typo)
    document = mib_build.compile_folder(tmp_path, "test", texts=False)["ACME-CPE-MIB"]
    assert document["SerialNumber"]["oid"] == "1.3.6.1.4.1.99998.1" and "upTime" not in document


def test_the_latest_copy_is_the_one_repaired(tmp_path: Path) -> None:
    # HIKVISION-MIB: LibreNMS's copy and the fallback collection's both fail; the latest is repaired.
    (tmp_path / "main").mkdir()
    (tmp_path / "spare").mkdir()
    (tmp_path / "main" / "SNMPv2-SMI").write_text(SMI)
    (tmp_path / "main" / "ACME-CPE-MIB").write_text(BROKEN)
    (tmp_path / "spare" / "ACME-CPE-MIB").write_text(BROKEN.replace("SerialNumber", "OldSerial")
                                                     .replace("::= { ACME 2 }", "::= { ACME 2 ]"))
    document = mib_build.compile_folder(tmp_path / "main", "test", texts=False, fallback=tmp_path / "spare")
    assert "SerialNumber" in document["ACME-CPE-MIB"] and "OldSerial" not in document["ACME-CPE-MIB"]
