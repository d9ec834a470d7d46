"""Regenerating the product registry with pysmi from a tiny MIB written here: which nodes are products."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.scan.classify import product_mibs, products
from agent.scan.classify.device_type import product_kind
from agent.scan.classify.product_mibs import Node

# The few SNMPv2-SMI nodes the tiny MIB needs (a checkout of netdisco-mibs has the whole module).
SMI = """SNMPv2-SMI DEFINITIONS ::= BEGIN
org OBJECT IDENTIFIER ::= { iso 3 }
dod OBJECT IDENTIFIER ::= { org 6 }
internet OBJECT IDENTIFIER ::= { dod 1 }
private OBJECT IDENTIFIER ::= { internet 4 }
enterprises OBJECT IDENTIFIER ::= { private 1 }
END
"""

# A products MIB in the shapes vendors write: value assignments and an OBJECT-IDENTITY under a product
# branch, beside an object tree (objects, traps, conformance) whose nodes are not products. The file
# name differs from the module name, and the file holds a second module after it, as some files of
# netdisco-mibs do.
ACME = """ACME-PRODUCTS-MIB DEFINITIONS ::= BEGIN
IMPORTS
    MODULE-IDENTITY, OBJECT-IDENTITY, OBJECT-TYPE, Integer32, enterprises FROM SNMPv2-SMI;

acmeProductsMIB MODULE-IDENTITY
    LAST-UPDATED "202601010000Z"
    ORGANIZATION "Acme Networks, Inc."
    CONTACT-INFO "support"
    DESCRIPTION "Product identities of Acme."
    ::= { acme 100 }

acme OBJECT IDENTIFIER ::= { enterprises 99999 }
acmeProducts OBJECT IDENTIFIER ::= { acme 1 }
acmeSwitches OBJECT IDENTIFIER ::= { acmeProducts 1 }
acmeSwitchAS2400 OBJECT IDENTIFIER ::= { acmeSwitches 1 }
acmeSwitchAS4800P OBJECT IDENTIFIER ::= { acmeSwitches 2 }
-- Defined twice, as some vendors' MIBs do: net-snmp and the build keep the first; pysmi alone fails.
acmeSwitchAS2400 OBJECT IDENTIFIER ::= { acmeSwitches 9 }
acmeRouterR100 OBJECT-IDENTITY
    STATUS current
    DESCRIPTION "The Acme R100 branch
                 router."
    ::= { acmeSwitches 3 }

acmeObjects OBJECT IDENTIFIER ::= { acme 2 }
acmeTraps OBJECT IDENTIFIER ::= { acme 3 }
acmeConformance OBJECT IDENTIFIER ::= { acme 4 }
acmeTemperature OBJECT-TYPE
    SYNTAX Integer32
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "Temperature."
    ::= { acmeObjects 1 }
acmeFanType OBJECT IDENTIFIER ::= { acmeObjects 2 }
END

ACME-CAMERAS-MIB DEFINITIONS ::= BEGIN
IMPORTS enterprises FROM SNMPv2-SMI;
acmeCameras OBJECT IDENTIFIER ::= { enterprises 99999 5 }
acmeCamC10 OBJECT IDENTIFIER ::= { acmeCameras 10 }
acmeCamC20 OBJECT IDENTIFIER ::= { acmeCameras 20 }
END
"""


@pytest.fixture
def mibs(tmp_path: Path) -> Path:
    folder = tmp_path / "mibs"
    (folder / "rfc").mkdir(parents=True)
    (folder / "acme").mkdir()
    (folder / "rfc" / "SNMPv2-SMI").write_text(SMI)
    (folder / "acme" / "acme-products.mib").write_text(ACME)
    (folder / "acme" / "NOTES.md").write_text("not a MIB\n")
    return folder


@pytest.fixture
def shipped() -> Iterator[None]:
    yield
    products.use_file(None)


def test_modules_are_found_by_the_name_they_define(mibs: Path) -> None:
    assert product_mibs.index_modules(mibs) == {"SNMPv2-SMI": mibs / "rfc" / "SNMPv2-SMI",
                                                "ACME-PRODUCTS-MIB": mibs / "acme" / "acme-products.mib",
                                                "ACME-CAMERAS-MIB": mibs / "acme" / "acme-products.mib"}


def test_only_products_are_kept(mibs: Path) -> None:
    nodes, orgs = product_mibs.compile_folder(mibs)
    kept = [(".".join(map(str, n.oid)), n.name, n.description) for n in product_mibs.products(nodes)]
    # Not the enterprise, the branch beside the module identity, the module identity, the OBJECT-TYPE,
    # the identity beside it (acmeFanType: an object tree's value), nor the empty trap and conformance
    # branches. The registry's own branch (acmeSwitches, identities only below it) is kept, and so is
    # another module's (acmeCameras: ACME-PRODUCTS-MIB's tree beside it is not its skeleton).
    assert kept == [("1.3.6.1.4.1.99999.1.1", "acmeSwitches", ""),
                    ("1.3.6.1.4.1.99999.1.1.1", "acmeSwitchAS2400", ""),
                    ("1.3.6.1.4.1.99999.1.1.2", "acmeSwitchAS4800P", ""),
                    ("1.3.6.1.4.1.99999.1.1.3", "acmeRouterR100", "The Acme R100 branch router."),
                    ("1.3.6.1.4.1.99999.5", "acmeCameras", ""),  # beside ACME-PRODUCTS-MIB's tree, not in it
                    ("1.3.6.1.4.1.99999.5.10", "acmeCamC10", ""), ("1.3.6.1.4.1.99999.5.20", "acmeCamC20", "")]
    assert product_mibs.enterprise_names(nodes, orgs) == {99999: ("acme", "Acme Networks, Inc.")}


def _oid(tail: str) -> tuple[int, ...]:
    return tuple(int(x) for x in f"1.3.6.1.4.1.{tail}".split("."))


def test_other_modules_rooted_beside_products_do_not_make_them_a_skeleton() -> None:
    Node = product_mibs.Node
    nodes = [
        # SW-MIB's branch of switches: its own objects under .1, two switches registered beside them...
        Node(_oid("99.2"), "fcSwitch", "SW-MIB", "objectidentity"),
        Node(_oid("99.2.1"), "sw", "SW-MIB", "objectidentity"),
        Node(_oid("99.2.1.1.1"), "swFirmware", "SW-MIB", "objecttype"),
        Node(_oid("99.2.2"), "sw28k", "SW-MIB", "objectidentity"),
        Node(_oid("99.2.3"), "sw21k", "SW-MIB", "objectidentity"),
        Node(_oid("99.2.3.0.2"), "sw21kTrap", "SW-TRAP-MIB", "notificationtype"),  # SMIv1: ENTERPRISE sw21k
        # ... and three other modules whose MIBs the vendor rooted in the same branch
        *(Node(_oid(f"99.2.{arc}"), f"other{arc}MIB", f"OTHER{arc}-MIB", "moduleidentity") for arc in (50, 51, 52)),
        *(Node(_oid(f"99.2.{arc}.1.1"), f"other{arc}", f"OTHER{arc}-MIB", "objecttype") for arc in (50, 51, 52)),
        # a skeleton of one module: objects and conformance beside an empty trap branch
        Node(_oid("99.3.1"), "fooObjects", "FOO-MIB", "objectidentity"),
        Node(_oid("99.3.1.1"), "fooValue", "FOO-MIB", "objecttype"),
        Node(_oid("99.3.2"), "fooConformance", "FOO-MIB", "objectidentity"),
        Node(_oid("99.3.2.1"), "fooGroup", "FOO-MIB", "objectgroup"),
        Node(_oid("99.3.3"), "fooTraps", "FOO-MIB", "objectidentity"),
    ]
    kept = [n.name for n in product_mibs.products(nodes)]
    assert kept == ["sw28k", "sw21k"]  # fcSwitch has objects below: a family, not a product


def test_the_written_registry_is_what_lookup_reads(mibs: Path, tmp_path: Path, shipped: None) -> None:
    out = tmp_path / "products.tsv.gz"
    assert product_mibs.build(mibs, out, source="tiny test MIBs") == 7
    text = gzip.decompress(out.read_bytes()).decode()
    assert "# source: tiny test MIBs" in text and "Temperature" not in text
    again = tmp_path / "again.tsv.gz"
    product_mibs.build(mibs, again, source="tiny test MIBs")
    assert again.read_bytes() == out.read_bytes()  # reproducible: no timestamp in the gzip header
    products.use_file(out)
    found = products.lookup("1.3.6.1.4.1.99999.1.1.2")
    assert found is not None and found.label == "ACME-PRODUCTS-MIB::acmeSwitchAS4800P" and found.exact
    assert products.model_name(found) == "AS4800P"  # the siblings' shared "acmeSwitch" is dropped
    assert products.enterprise_name(99999) == "Acme Networks, Inc."
    variant = products.lookup(".1.3.6.1.4.1.99999.1.1.3.7")
    assert variant is not None and variant.name == "acmeRouterR100" and not variant.exact
    # The products' parent is their family: a device the MIB does not list falls under it (type words
    # only, never a model); the object tree is not in the table.
    branch = products.lookup("1.3.6.1.4.1.99999.1.1.42")
    assert branch is not None and branch.name == "acmeSwitches" and not branch.exact and not branch.family
    cameras = products.lookup("1.3.6.1.4.1.99999.5.99")  # a branch of its own module, as acmeSwitches is
    assert cameras is not None and cameras.name == "acmeCameras" and not cameras.exact
    assert products.lookup("1.3.6.1.4.1.99999.2.1") is None
    upper = products.lookup("1.3.6.1.4.1.99999.1.7")  # acmeProducts holds a product (acmeSwitches)
    assert upper is not None and upper.family and upper.name == "acmeProducts"
    assert products.lookup("1.3.6.1.4.1.99999.3") is None  # acmeTraps: skeleton


@pytest.mark.parametrize(("content", "message"), [
    (None, "is not a folder"),
    ("", "no MIB module"),
])
def test_a_bad_folder_is_a_one_line_error(tmp_path: Path, content: str | None, message: str) -> None:
    folder = tmp_path / "mibs"
    if content is not None:
        folder.mkdir()
        (folder / "README").write_text("nothing here\n")
    with pytest.raises(product_mibs.BuildError, match=message) as err:
        product_mibs.build(folder, tmp_path / "out.tsv.gz")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out.tsv.gz").exists()


def test_netcensus_agent_products_regenerates_the_registry(mibs: Path, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    out = tmp_path / "products.tsv.gz"
    made = run_cli("netcensus-agent", "products", "--mibs", str(mibs), "--out", str(out), "--source", "tiny")
    assert made.code == 0 and "wrote 7 product OIDs" in made.out
    assert "# source: tiny" in gzip.decompress(out.read_bytes()).decode()
    # A fallback collection adds the modules the folder lacks (here a product line of another vendor).
    spare = tmp_path / "spare"
    spare.mkdir()
    (spare / "OTHER-MIB").write_text("OTHER-MIB DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\n"
                                     "other OBJECT IDENTIFIER ::= { enterprises 99997 }\n"
                                     "otherBox9 OBJECT IDENTIFIER ::= { other 1 }\nEND\n")
    more = run_cli("netcensus-agent", "products", "--mibs", str(mibs), "--fallback-mibs", str(spare),
                   "--out", str(out))
    assert more.code == 0 and "wrote 8 product OIDs" in more.out
    # Bad input: one line naming the folder, no traceback, nothing written.
    bad = run_cli("netcensus-agent", "products", "--mibs", str(tmp_path / "missing"), "--out", str(tmp_path / "x"))
    assert bad.code == 1 and len(bad.err.strip().splitlines()) == 1 and "missing" in bad.err
    assert not (tmp_path / "x").exists()


# A module pysmi's code generator fails on with a Python error rather than its own (an INDEX that
# names a number, as a vendor MIB in the wild does): it must be left out, not stop the build.
BROKEN = """ACME-BROKEN-MIB DEFINITIONS ::= BEGIN
IMPORTS OBJECT-TYPE, Integer32, enterprises FROM SNMPv2-SMI;
acmeBroken OBJECT IDENTIFIER ::= { enterprises 99998 }
acmeBrokenTable OBJECT-TYPE
    SYNTAX SEQUENCE OF AcmeBrokenEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "A table."
    ::= { acmeBroken 1 }
acmeBrokenEntry OBJECT-TYPE
    SYNTAX AcmeBrokenEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "A row."
    INDEX { 1 }
    ::= { acmeBrokenTable 1 }
AcmeBrokenEntry ::= SEQUENCE { acmeBrokenValue Integer32 }
acmeBrokenValue OBJECT-TYPE
    SYNTAX Integer32
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "A value."
    ::= { acmeBrokenEntry 1 }
END
"""


# A small vendor's MIB in the SMIv1 shape: no MODULE-IDENTITY, its objects under one branch, which is
# what the device answers as sysObjectID (no products MIB lists it).
THERMOMETER = """ACME-THERMOMETER-MIB DEFINITIONS ::= BEGIN
IMPORTS OBJECT-TYPE, Integer32, enterprises FROM SNMPv2-SMI;
acmeSensors OBJECT IDENTIFIER ::= { enterprises 99999 7 }
acmeThermo1 OBJECT IDENTIFIER ::= { acmeSensors 1 }
acmeThermoTemp OBJECT-TYPE
    SYNTAX Integer32
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "Temperature."
    ::= { acmeThermo1 1 }
acmeThermoAlarm OBJECT-TYPE
    SYNTAX Integer32
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "Alarm."
    ::= { acmeThermo1 2 }
END
"""


def test_modules_are_rooted_where_their_objects_hang(mibs: Path, tmp_path: Path, shipped: None) -> None:
    (mibs / "acme" / "ACME-THERMOMETER-MIB").write_text(THERMOMETER)
    nodes, _ = product_mibs.compile_folder(mibs)
    rows = product_mibs.products(nodes)
    roots = [(".".join(map(str, n.oid)), n.name, n.module) for n in product_mibs.module_roots(nodes)]
    # The MODULE-IDENTITY where there is one, else the deepest node above all the module's objects.
    assert roots == [("1.3.6.1.4.1.99999.7.1", "acmeThermo1", "ACME-THERMOMETER-MIB"),
                     ("1.3.6.1.4.1.99999.100", "acmeProductsMIB", "ACME-PRODUCTS-MIB")]
    assert product_mibs.module_roots(nodes, [r.oid for r in rows]) == product_mibs.module_roots(nodes)
    out = tmp_path / "products.tsv.gz"
    product_mibs.build(mibs, out)
    products.use_file(out)
    assert products.module_rooted_at(".1.3.6.1.4.1.99999.7.1") == "ACME-THERMOMETER-MIB::acmeThermo1"
    # Exactly there: below it is a variable, above it the vendor's whole tree.
    assert products.module_rooted_at("1.3.6.1.4.1.99999.7.1.1") == ""
    assert products.module_rooted_at("1.3.6.1.4.1.99999.7") == ""
    assert products.lookup("1.3.6.1.4.1.99999.7.1") is None  # never a product, never a model


def test_a_module_that_breaks_the_code_generator_is_left_out(mibs: Path) -> None:
    (mibs / "acme" / "ACME-BROKEN-MIB").write_text(BROKEN)
    nodes, _ = product_mibs.compile_folder(mibs)
    names = {n.name for n in product_mibs.products(nodes)}
    assert "acmeSwitchAS2400" in names and not any(n.startswith("acmeBroken") for n in names)


def _line_mib(line: str, arc: int | str, object_names: list[str]) -> str:
    """A product line's management MIB, ACME-<LINE>-MIB rooted at enterprises.99999.<arc>, with these
    OBJECT-TYPEs under its one branch."""
    root, branch = f"acme{line.title()}MIB", f"acme{line.title()}Mgt"
    objects = "".join(f"""{name} OBJECT-TYPE
    SYNTAX Integer32
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION "{name}."
    ::= {{ {branch} {i} }}
""" for i, name in enumerate(object_names, 1))
    return f"""ACME-{line}-MIB DEFINITIONS ::= BEGIN
IMPORTS MODULE-IDENTITY, OBJECT-TYPE, Integer32, enterprises FROM SNMPv2-SMI;
{root} MODULE-IDENTITY
    LAST-UPDATED "202601010000Z"
    ORGANIZATION "Acme Networks, Inc."
    CONTACT-INFO "support"
    DESCRIPTION "Management of the {line} line."
    ::= {{ enterprises 99999 {arc} }}
{branch} OBJECT IDENTIFIER ::= {{ {root} 1 }}
{objects}END
"""


# A product line's own MIB, rooted above the sysObjectIDs its switches answer (as Edge-Core roots
# ECS3510-MIB at ...259.10.1.27 and its switches answer ...27.102): its name says nothing of the kind,
# its objects speak of VLANs and spanning tree -- and of a few things every device has.
SWITCH_LINE = _line_mib("AS9", 9, [
    "vlanPortMode", "vlanStaticName", "vlanEgressPorts", "dot1qVlanCount", "stpPortState", "rstpBridgePriority",
    "mstpInstanceVlans", "spanningTreeMode", "igmpSnoopingStatus", "portMirrorSource", "lacpPortKey", "poePortPower",
    "sysTemperature", "fanSpeed", "batteryVoltage", "portSpeed"])
# A console server's MIB: mostly the serial ports and the PDUs plugged into them, a few of each.
MIXED_LINE = _line_mib("CS", 11, [*(f"pduOutlet{n}State" for n in range(9)), *(f"vlanPort{n}" for n in range(4))])


@pytest.mark.parametrize(("names", "expected"), [
    (["vlanPortMode", "stpPortState", "STPPortCost", "igmpSnoopingStatus", "lacpPortKey", "portMirrorSource",
      "poePortPower", "mstpRegion", "sysTemperature", "upsBatteryTest"], ("switch", 8, 10)),
    # Optical transport (a DWDM shelf's channels, its EDFA amplifiers and ROADM degrees) is typed with switches.
    (["dwdmChannelFrequency", "dwdmChannelPower", "cwdmPortWavelength", "edfaInputPower", "edfaOutputPower",
      "edfaPumpCurrent", "roadmDegreeState", "otuFecErrors", "otnOduStatus", "laserBias", "shelfSerial"],
     ("switch", 9, 11)),
    # A kind needs KIND_MIN_OBJECTS objects naming it ...
    (["vlanPortMode", "stpPortState", "sysName"], ("", 2, 3)),
    # ... and KIND_LEAD times as many as the next kind.
    ([*(f"upsBattery{n}" for n in range(9)), *(f"vlan{n}" for n in range(4))], ("", 9, 13)),
    ([*(f"upsBattery{n}" for n in range(12)), *(f"vlan{n}" for n in range(4))], ("ups", 12, 16)),
    # Words every kind of device uses say nothing: ports, sensors, relays, RF.
    ([*(f"portSensor{n}" for n in range(20)), "alarmRelayState", "rfLevel"], ("", 0, 22)),
])
def test_a_module_speaks_of_the_kind_most_of_its_objects_name(names: list[str], expected: tuple[str, int, int]) -> None:
    assert product_mibs.spoken_kind(names) == expected


def _build_lines(mibs: Path, out: Path, prefix: str) -> list[str]:
    """Build the registry from `mibs` with the switch line's and the console server's MIBs added, use it,
    and return its header lines opening with `prefix`."""
    (mibs / "acme" / "ACME-AS9-MIB").write_text(SWITCH_LINE)
    (mibs / "acme" / "ACME-CS-MIB").write_text(MIXED_LINE)
    product_mibs.build(mibs, out)
    products.use_file(out)
    with gzip.open(out, "rt") as fin:
        return [line.rstrip("\n") for line in fin if line.startswith(prefix)]


def test_the_mib_above_a_sysobjectid_says_its_kind(mibs: Path, tmp_path: Path, shipped: None) -> None:
    lines = _build_lines(mibs, tmp_path / "products.tsv.gz", "#root\t")
    assert "#root\t1.3.6.1.4.1.99999.9\tacmeAs9MIB\tACME-AS9-MIB\tswitch\t12\t16" in lines
    assert "#root\t1.3.6.1.4.1.99999.11\tacmeCsMIB\tACME-CS-MIB" in lines  # 9 PDU objects, 4 VLAN: no lead
    # A switch of the line answers a sysObjectID below the MIB's root (or the root itself).
    for oid in ("1.3.6.1.4.1.99999.9.102", ".1.3.6.1.4.1.99999.9.7.3", "1.3.6.1.4.1.99999.9"):
        assert products.module_kind_above(oid) == products.SpokenKind("switch", "ACME-AS9-MIB::acmeAs9MIB", 12, 16)
    # The nearest root decides: the console server's module says nothing, and its vendor's tree above
    # it (the products MIB at 99999.100, the enterprise node) is not asked.
    assert products.module_kind_above("1.3.6.1.4.1.99999.11.5") is None
    assert products.module_kind_above("1.3.6.1.4.1.99999.12") is None
    assert products.module_kind_above("1.3.6.1.4.1.99999") is None
    assert products.module_kind_above("") is None


def test_a_module_the_device_answers_says_its_kind_by_name(mibs: Path, tmp_path: Path, shipped: None) -> None:
    # A device answering the module's objects implements it, whatever its sysObjectID: the registry
    # keeps every speaking module by name, roots or not.
    lines = _build_lines(mibs, tmp_path / "products.tsv.gz", "#module\t")
    assert "#module\tACME-AS9-MIB\tswitch\t12\t16\t1.3.6.1.4.1.99999.9.1" in lines  # where its objects lie
    assert not any(line.startswith("#module\tACME-CS-MIB\t") for line in lines)  # no kind leads
    assert products.module_kind("ACME-AS9-MIB") == products.SpokenKind("switch", "ACME-AS9-MIB", 12, 16)
    assert products.module_kind("ACME-CS-MIB") is None
    assert products.module_kind("NO-SUCH-MIB") is None
    assert products.speaking_modules(99999) == [((1, 3, 6, 1, 4, 1, 99999, 9, 1), "ACME-AS9-MIB")]


def test_the_speaking_modules_of_an_enterprise_nearest_sysobjectid_first(tmp_path: Path, shipped: None) -> None:
    registry = tmp_path / "products.tsv.gz"
    registry.write_bytes(gzip.compress(
        b"#module\tACME-PDU-MIB\tups\t40\t200\t1.3.6.1.4.1.99999.7.1\n"
        b"#module\tACME-PDU-COPY-MIB\tups\t40\t200\t1.3.6.1.4.1.99999.7.1\n"   # the same subtree: asked once
        b"#module\tACME-SWITCH-MIB\tswitch\t30\t900\t1.3.6.1.4.1.99999.20.3\n"
        b"#module\tACME-RADIO-MIB\twireless\t12\t60\t1.3.6.1.4.1.99999.20.4\n"
        b"#module\tACME-ALL-MIB\tups\t9\t20\t1.3.6.1.4.1.99999\n"              # the enterprise node: not askable
        b"#module\tOTHER-MIB\tswitch\t9\t20\t1.3.6.1.4.1.88888.1\n"
        # A module spanning its enterprise node is asked at its branches.
        b"#module\tWIDE-MIB\tstorage\t9\t20\t1.3.6.1.4.1.66666.1.1,1.3.6.1.4.1.66666.2.3\n"))
    products.use_file(registry)
    assert products.speaking_modules(99999, "1.3.6.1.4.1.99999.20.4.1") == [
        ((1, 3, 6, 1, 4, 1, 99999, 20, 4), "ACME-RADIO-MIB"), ((1, 3, 6, 1, 4, 1, 99999, 20, 3), "ACME-SWITCH-MIB"),
        ((1, 3, 6, 1, 4, 1, 99999, 7, 1), "ACME-PDU-COPY-MIB")]
    # Without a sysObjectID to be near, the larger MIB first; at most `limit`.
    assert products.speaking_modules(99999, "", limit=1) == [((1, 3, 6, 1, 4, 1, 99999, 20, 3), "ACME-SWITCH-MIB")]
    assert products.speaking_modules(77777) == []
    assert products.speaking_modules(66666) == [((1, 3, 6, 1, 4, 1, 66666, 1, 1), "WIDE-MIB"),
                                                ((1, 3, 6, 1, 4, 1, 66666, 2, 3), "WIDE-MIB")]
    assert products.module_kind("ACME-ALL-MIB") == products.SpokenKind("ups", "ACME-ALL-MIB", 9, 20)



# Product lines numbered under one node of the vendor's tree, enterprises.99999.20 (as Edge-Core's under
# ...259.10.1): two switch lines and a console server line, whose MIB speaks of no kind.
SWITCHES_AT_20 = [_line_mib(f"S{arc}", f"20 {arc}", [f"vlanPort{n}Mode" for n in range(12)]) for arc in (7, 9)]
CONSOLES_AT_20 = _line_mib("C11", "20 11",
                           [*(f"pduOutlet{n}State" for n in range(9)), *(f"vlanPort{n}" for n in range(4))])


def test_the_mibs_beside_a_sysobjectid_say_its_kind_when_they_agree(mibs: Path, tmp_path: Path, shipped: None) -> None:
    for text in (*SWITCHES_AT_20, CONSOLES_AT_20):
        (mibs / "acme" / text.split()[0]).write_text(text)
    out = tmp_path / "products.tsv.gz"
    product_mibs.build(mibs, out)
    products.use_file(out)
    # A product newer than the MIBs, answering where no MIB is rooted: two of the two speaking MIBs say switch.
    assert products.kind_beside("1.3.6.1.4.1.99999.20.42.101", product_kind) == products.NeighbourKind(
        "switch", "1.3.6.1.4.1.99999.20", 2, 2)
    # A device of a line with its own MIB: that MIB is not its own neighbour, and one neighbour is one
    # product line, not the vendor's habit.
    assert products.kind_beside("1.3.6.1.4.1.99999.20.9", product_kind) is None
    # The enterprise node is the vendor's whole tree: what is rooted under it together names no kind.
    assert products.kind_beside("1.3.6.1.4.1.99999.30", product_kind) is None
    assert products.kind_beside("1.3.6.1.2.1.1", product_kind) is None
    assert products.kind_beside("", product_kind) is None


def test_the_mibs_beside_a_sysobjectid_say_nothing_when_they_disagree(mibs: Path, tmp_path: Path,
                                                                      shipped: None) -> None:
    ups = _line_mib("U8", "20 8", [f"upsBattery{n}" for n in range(12)])
    for text in (*SWITCHES_AT_20, ups, ups.replace("U8", "U10").replace("u8", "u10").replace("20 8", "20 10")):
        (mibs / "acme" / text.split()[0]).write_text(text)
    out = tmp_path / "products.tsv.gz"
    product_mibs.build(mibs, out)
    products.use_file(out)
    assert products.module_kind_above("1.3.6.1.4.1.99999.20.10.1").kind == "ups"  # type: ignore[union-attr]
    assert products.kind_beside("1.3.6.1.4.1.99999.20.42.101", product_kind) is None  # 2 switch, 2 UPS lines


def test_the_products_registered_beside_a_sysobjectid_say_its_kind(tmp_path: Path, shipped: None) -> None:
    # A products MIB listing a vendor's switches under one node (ENTERASYS-OIDS-MIB-like), one entry
    # naming no kind, and an access point: two of three named say switch.
    _use_registry(tmp_path,
                  "1.3.6.1.4.1.99999.2.1.1\tacmeDevB5G124x48\tACME-OIDS-MIB\tAcme B5 48-port Ethernet Switch\n"
                  "1.3.6.1.4.1.99999.2.1.2\tacmeDevC5K125x48\tACME-OIDS-MIB\tAcme C5 stackable switch\n"
                  "1.3.6.1.4.1.99999.2.1.3\tacmeDevG3G124x24\tACME-OIDS-MIB\tAcme G3 24 port\n"
                  "1.3.6.1.4.1.99999.2.1.4\tacmeDevAP3605\tACME-OIDS-MIB\tAcme 3605 wireless access point\n"
                  "1.3.6.1.4.1.99999.3.7\tacmeSensor\tACME-OIDS-MIB\tAcme temperature sensor\n")
    # The G3 names no kind of its own; its neighbours do: two switches and an access point.
    assert products.kind_beside("1.3.6.1.4.1.99999.2.1.3", product_kind) == products.NeighbourKind(
        "switch", "1.3.6.1.4.1.99999.2.1", 2, 3)
    # The access point's own entry is not its neighbour.
    assert products.kind_beside("1.3.6.1.4.1.99999.2.1.4", product_kind) == products.NeighbourKind(
        "switch", "1.3.6.1.4.1.99999.2.1", 2, 2)
    # A product newer than the MIB: all four neighbours count.
    assert products.kind_beside("1.3.6.1.4.1.99999.2.1.9", product_kind) == products.NeighbourKind(
        "switch", "1.3.6.1.4.1.99999.2.1", 2, 3)
    # One sensor beside it is one product, not a line.
    assert products.kind_beside("1.3.6.1.4.1.99999.3.8", product_kind) is None


def test_a_mib_whose_objects_hang_directly_below_the_sysobjectid_is_the_devices_own(tmp_path: Path,
                                                                                     shipped: None) -> None:
    # InterSeptor-MIB-like: the device answers ...99999.5.3.1 and its MIB's objects hang from ...5.3.1.1;
    # a products node (...99999.1) that registers products and also roots a wireless MIB; a node with two
    # MIBs below it.
    _use_registry(tmp_path,
                  "#root\t1.3.6.1.4.1.99999.5.3.1.1\tsensObjects\tACME-SENS-MIB\tiot\t22\t125\n"
                  "#root\t1.3.6.1.4.1.99999.1.9\tproWireless\tACME-NWA-MIB\twireless\t12\t69\n"
                  "#root\t1.3.6.1.4.1.99999.7.1\tpduObjects\tACME-PDU-MIB\tups\t200\t250\n"
                  "#root\t1.3.6.1.4.1.99999.7.2\tenvObjects\tACME-ENV-MIB\tiot\t30\t90\n"
                  "1.3.6.1.4.1.99999.1.5\tacmeSwitch5\tACME-PRODUCTS-MIB\tAcme 5 switch\n")
    assert products.module_kind_above("1.3.6.1.4.1.99999.5.3.1") == products.SpokenKind(
        "iot", "ACME-SENS-MIB::sensObjects", 22, 125)
    # Two levels down is another MIB's, not the device's own.
    assert products.module_kind_above("1.3.6.1.4.1.99999.5.3") is None
    # Below a node products are registered under, a MIB is one of the vendor's, not the device's.
    assert products.module_kind_above("1.3.6.1.4.1.99999.1") is None
    # Two MIBs below: neither is the device's own.
    assert products.module_kind_above("1.3.6.1.4.1.99999.7") is None


def _use_registry(tmp_path: Path, lines: str) -> None:
    """Look products up in a registry file of these lines (the shipped format, written by hand)."""
    out = tmp_path / "products.tsv.gz"
    with gzip.open(out, "wt", encoding="utf-8") as fout:
        fout.write("# test registry\n" + lines)
    products.use_file(out)


def _routers(updated: str, products_: str) -> str:
    return f"""ACME-ROUTERS-MIB DEFINITIONS ::= BEGIN
IMPORTS MODULE-IDENTITY, enterprises FROM SNMPv2-SMI;
acmeRoutersMIB MODULE-IDENTITY
    LAST-UPDATED "{updated}"
    ORGANIZATION "Acme Networks, Inc."
    CONTACT-INFO "support"
    DESCRIPTION "Router identities of Acme."
    ::= {{ enterprises 99999 6 }}
acmeRouters OBJECT IDENTIFIER ::= {{ acmeRoutersMIB 1 }}
{products_}
END
"""


def test_the_latest_revision_of_a_module_two_collections_hold_is_read(mibs: Path, tmp_path: Path,
                                                                     shipped: None) -> None:
    """netdisco-mibs and LibreNMS's folder hold many of the same modules; a vendor's newer revision names
    newer products, and what it retired stays. Where the newer copy does not compile, the older one serves."""
    older = _routers("201001010000Z", "acmeR10 OBJECT IDENTIFIER ::= { acmeRouters 10 }\n"
                                      "acmeR05 OBJECT IDENTIFIER ::= { acmeRouters 5 }")
    newer = _routers("202401010000Z", "acmeR10 OBJECT IDENTIFIER ::= { acmeRouters 10 }\n"
                                      "acmeR20 OBJECT IDENTIFIER ::= { acmeRouters 20 }")
    (mibs / "a-first").mkdir()
    (mibs / "a-first" / "ACME-ROUTERS-MIB").write_text(older)
    (mibs / "b-second").mkdir()
    (mibs / "b-second" / "ACME-ROUTERS-MIB").write_text(newer)
    assert product_mibs.index_modules(mibs)["ACME-ROUTERS-MIB"] == mibs / "b-second" / "ACME-ROUTERS-MIB"
    out = tmp_path / "products.tsv.gz"
    product_mibs.build(mibs, out)
    products.use_file(out)
    assert _named("1.3.6.1.4.1.99999.6.1.20") == "acmeR20"  # only the newer revision names it
    assert _named("1.3.6.1.4.1.99999.6.1.5") == "acmeR05"   # ... and it retired this one, still in the field
    # A newer copy pysmi cannot read: the older one is read instead.
    broken = newer.replace("::= { acmeRouters 20 }", "::= { acmeRouters")
    (mibs / "b-second" / "ACME-ROUTERS-MIB").write_text(broken)
    product_mibs.build(mibs, out)
    products.use_file(out)
    assert (_named("1.3.6.1.4.1.99999.6.1.10"), _named("1.3.6.1.4.1.99999.6.1.20")) == ("acmeR10", "")


def _named(oid: str) -> str:
    """The product the registry registers exactly at `oid`, "" for none."""
    found = products.lookup(oid)
    return found.name if found is not None and found.exact else ""


def test_a_module_name_two_vendors_share_speaks_for_the_larger_vendors_objects() -> None:
    pdu = [f"outlet{w}" for w in ("Current", "Voltage", "Power", "State", "Name", "Label", "Energy", "Count")]
    nodes = [Node(_oid(f"13742.4.1.{i}"), name, "PDU-MIB", "objecttype") for i, name in enumerate(pdu, 1)]
    nodes += [Node(_oid("534.6.6.2.1"), "serialNumber", "PDU-MIB", "objecttype"),
              Node(_oid("534.6.6.2.2"), "firmwareVersion", "PDU-MIB", "objecttype")]
    said = product_mibs.module_kinds(nodes)["PDU-MIB"]
    assert (said.kind, said.objects, said.subtrees) == ("ups", 8, (_oid("13742.4.1"),))


def test_a_module_spanning_its_enterprise_node_is_asked_at_its_largest_branches() -> None:
    # A vendor's one MIB with objects under two branches of the enterprise node (as TEGILE-MIB's): a GETNEXT
    # of the node would find any object of the vendor's, so each branch's own subtree is asked instead.
    oids = [_oid(f"99999.1.1.{i}") for i in range(1, 6)] + [_oid(f"99999.2.3.{i}") for i in range(1, 4)]
    oids += [_oid("99999.3.1")]
    assert product_mibs.module_subtrees(oids) == (_oid("99999.1.1"), _oid("99999.2.3"))
    assert product_mibs.module_subtrees([_oid("99999.4.2.1"), _oid("99999.4.2.7.1")]) == (_oid("99999.4.2"),)
    assert product_mibs.module_subtrees([]) == ()


def test_disks_beside_swap_space_are_a_computers_file_systems_not_storage_gear() -> None:
    disks = [f"disk{w}" for w in ("Index", "Dev", "Dir", "FSType", "Total", "Free", "Used", "Percent")]
    assert product_mibs.spoken_kind([*disks, "memTotal", "swapTotal", "swapFree"])[0] == ""
    assert product_mibs.spoken_kind([*disks, "diskHotSwapState"]) == ("storage", 9, 9)
