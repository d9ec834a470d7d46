"""Regenerate the product registry (products.py reads it) from a folder of vendor MIBs, with pysmi.

Why: a device that says little more than its sysObjectID is still named by it. Vendors assign one
OBJECT IDENTIFIER per product in their MIBs (CISCO-PRODUCTS-MIB `ciscoWSC2960X48TSL`, HP-ICF-OID
`hpSwitchJ9019A`, FORTINET-FORTIGATE-MIB `fgt60E`), which is how Netdisco, LibreNMS and Observium
name such devices. The source is a folder of public vendor MIBs (the shipped table: netdisco-mibs
and LibreNMS's MIB folder, see registry/README.md); `netcensus-agent products --mibs DIR --out FILE` runs this module.

pysmi (the field's MIB compiler) does all the parsing, texts included, through the compile the
identity-objects registry shares (agent/scan/mib_build.py: modules served by the name in their
`DEFINITIONS ::= BEGIN` line, a symbol defined twice kept once, as net-snmp accepts). Nothing here
reads MIB syntax.

Which nodes are products (the criterion, general for every vendor):
1. an OBJECT IDENTIFIER value assignment or an OBJECT-IDENTITY (pysmi class "objectidentity"), never
   an OBJECT-TYPE, NOTIFICATION-TYPE, MODULE-IDENTITY, conformance group or compliance, AGENT-
   CAPABILITIES or textual convention;
2. under a private enterprise (1.3.6.1.4.1.<PEN>.<more>), not the enterprise node itself;
3. not part of an object tree: no OBJECT-TYPE, group or compliance of any compiled module lies below
   it (`fooObjects`, `fooMIB` have them); identities below it are fine (HP registers each switch's port
   modules under the switch's own OID), and so are notifications (an SMIv1 TRAP-TYPE's ENTERPRISE is
   the product's sysObjectID, so HP-SWITCH-TRAP-MIB puts each switch's traps below the switch);
4. in a registry of identities, not in the skeleton of an object tree: no sibling (a node with the
   same parent) is an OBJECT-TYPE, notification, group, compliance or module identity of the node's
   own module, and at most half the siblings are trees of its own module's objects (an empty `fooTraps` beside
   `fooObjects` and `fooConformance` is skeleton; `ciscoProducts`' thousands of entries are a
   registry, and so is Brocade's fcSwitch branch, where other modules' MIBs are rooted beside the
   switches SW-MIB registers: those MIBs are registered there too, and do not make it a skeleton).
A registry's own branch nodes (`ciscoProducts`, `hpEtherSwitch`) qualify too: as the nearest
registered ancestor of an unlisted sysObjectID they still say the family (a name without a digit
is never taken as a model). What remains also holds identities that are not products
(entPhysicalVendorType values, storage types); they are harmless, since only a device's
sysObjectID is looked up.

Output: gzip'd TSV, sorted by OID, one line per product: `oid<TAB>name<TAB>module<TAB>description`
(DESCRIPTION squeezed to one line and cut at DESCRIPTION_MAX characters), after `#` header lines
naming the source and one `#enterprise<TAB>pen<TAB>name<TAB>organisation` line per enterprise node
the MIBs define (the vendor a MIB names when the IANA registry names none), and one
`#family<TAB>oid<TAB>name<TAB>module<TAB>description` line per registered parent of products
(families()), which types a device whose own OID the MIBs do not list, and one
`#root<TAB>oid<TAB>name<TAB>module` line per module whose objects hang from a node under an enterprise
(module_roots()): a device whose sysObjectID is that node implements that MIB, whose name may say its kind.
A root line carries three more columns where the module's object names speak mostly of one kind of
device (spoken_kind()): the kind, how many of its objects name it, and how many objects it has; and one
`#module<TAB>module<TAB>kind<TAB>naming<TAB>objects<TAB>subtrees` line per module that speaks of one
(module_kinds(); subtrees: the deepest OID above all its objects, or, where that is the enterprise node
itself, the deepest above each of its largest branches, comma-separated), for a device that answers that
module's objects whatever its sysObjectID.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from agent.scan import mib_build
from agent.scan.mib_build import BuildError  # raised here too: one error for both registries

ENTERPRISES = "1.3.6.1.4.1"
_ENTERPRISE_ARCS = tuple(int(x) for x in ENTERPRISES.split("."))
DESCRIPTION_MAX = 240


@dataclass(frozen=True, slots=True)
class Node:
    """One compiled symbol that has an OID."""

    oid: tuple[int, ...]
    name: str
    module: str
    cls: str
    description: str = ""


WHAT = "product registry"
_SKELETON_CLASSES = frozenset({"objecttype", "notificationtype", "objectgroup", "notificationgroup",
                               "modulecompliance", "agentcapabilities", "moduleidentity"})


def index_modules(folder: Path, fallback: Path | None = None) -> dict[str, Path]:
    """MIB module name -> the file of its latest copy under `folder`, or in `fallback` (mib_build.module_copies)."""
    return mib_build.index_modules(folder, WHAT, fallback)


def compile_folder(folder: Path, fallback: Path | None = None) -> tuple[list[Node], dict[str, str]]:
    """Every OID-bearing symbol of every module in `folder` (and `fallback`: mib_build.module_copies), and
    each module's ORGANIZATION.

    Raises:
        BuildError: pysmi is not installed or the folder holds no MIB module.
    """
    nodes: list[Node] = []
    organisations: dict[str, str] = {}
    for module, symbols in mib_build.compile_folder(folder, WHAT, texts=True, fallback=fallback).items():
        for sym in symbols.values():
            if not isinstance(sym, dict) or not isinstance(sym.get("oid"), str):
                continue
            if sym.get("class") == "moduleidentity":
                organisations[module] = _one_line(str(sym.get("organization", "")))
            try:
                oid = tuple(int(x) for x in sym["oid"].split("."))
            except ValueError:
                continue
            nodes.append(Node(oid, str(sym.get("name", "")), module, str(sym.get("class", "")),
                              _one_line(str(sym.get("description", "")))))
    return nodes, organisations


def _one_line(text: str) -> str:
    return " ".join(text.split())


def products(nodes: Iterable[Node]) -> list[Node]:
    """The nodes that are products, by the criterion in the module docstring, sorted by OID."""
    by_oid: dict[tuple[int, ...], Node] = {}
    for n in nodes:
        # One OID defined by several modules: prefer the one with a DESCRIPTION, then the first.
        if n.oid not in by_oid or (n.description and not by_oid[n.oid].description):
            by_oid[n.oid] = n
    children: dict[tuple[int, ...], list[tuple[int, ...]]] = defaultdict(list)
    for oid in by_oid:
        children[oid[:-1]].append(oid)
    # The object trees: every node above an OBJECT-TYPE, group or compliance (even where no module names
    # it). A product's subtree holds identities (HP registers each switch's port modules below the switch,
    # `hpSwitchJ4121A.1`...) and traps (an SMIv1 trap's ENTERPRISE is the product) only.
    tree: dict[tuple[int, ...], set[str]] = defaultdict(set)  # object-tree node -> modules with objects below
    for n in by_oid.values():
        if n.cls not in ("objectidentity", "notificationtype"):
            for i in range(1, len(n.oid)):
                tree[n.oid[:i]].add(n.module)
    ent = _ENTERPRISE_ARCS
    out: list[Node] = []
    for oid, node in by_oid.items():
        if node.cls != "objectidentity" or oid[:len(ent)] != ent or len(oid) < len(ent) + 2 or oid in tree:
            continue
        siblings = [by_oid[s] for s in children[oid[:-1]] if s != oid]
        if any(s.cls in _SKELETON_CLASSES and s.module == node.module for s in siblings):
            continue
        if siblings and sum(1 for s in siblings if node.module in tree.get(s.oid, ())) * 2 > len(siblings):
            continue
        out.append(node)
    return sorted(out, key=lambda n: n.oid)


def families(nodes: Iterable[Node], rows: Iterable[Node]) -> list[Node]:
    """The registered parents of products (`hpEtherSwitch`, `jnxProductNameEX`...): a product family.

    A device whose sysObjectID is newer than the MIBs (or a variant below no product) still falls
    under its family, whose name often says the kind ("...EtherSwitch", "...Routers"). Only nodes
    below the enterprise node itself, and only OBJECT IDENTIFIER/OBJECT-IDENTITY nodes.
    """
    by_oid: dict[tuple[int, ...], Node] = {}
    for n in nodes:
        if n.cls == "objectidentity" and (n.oid not in by_oid or (n.description and not by_oid[n.oid].description)):
            by_oid[n.oid] = n
    ent_len = len(ENTERPRISES.split(".")) + 1
    parents = {r.oid[:-1] for r in rows if len(r.oid) > ent_len + 1}
    return sorted((by_oid[p] for p in parents if p in by_oid), key=lambda n: n.oid)


def module_roots(nodes: Iterable[Node], taken: Iterable[tuple[int, ...]] = ()) -> list[Node]:
    """The node each module's objects hang from, under a private enterprise: its MODULE-IDENTITY, else
    the named node deepest above all of its OBJECT-TYPEs (SMIv1 modules have no MODULE-IDENTITY).

    Why: many small vendors give a device the OID its own MIB is rooted at as sysObjectID (Moxa's
    MOXA-EDSG508E-MIB `edsg508e`, W&T's WebGraph-Thermometer-MIB `wtWebioAn1Graph`), which no products
    registry lists; the module's name still says what the device is ("...-Thermometer-MIB"). A node
    already in `taken` (a product or a family) is left out, as is the enterprise node itself.
    """
    ent = _ENTERPRISE_ARCS
    by_oid: dict[tuple[int, ...], Node] = {}
    per_module: dict[str, list[Node]] = defaultdict(list)
    for n in nodes:
        by_oid.setdefault(n.oid, n)
        per_module[n.module].append(n)
    skip = set(taken)
    out: dict[tuple[int, ...], Node] = {}
    for module, own in per_module.items():
        identity = next((n for n in own if n.cls == "moduleidentity"), None)
        if identity is not None:
            root, name, cls = identity.oid, identity.name, identity.cls
        else:
            root = _above_all([n.oid for n in own if n.cls == "objecttype"])
            while root and root not in by_oid:  # the deepest common ancestor some module names
                root = root[:-1]
            name, cls = (by_oid[root].name, by_oid[root].cls) if root else ("", "")
        if root[:len(ent)] == ent and len(root) >= len(ent) + 2 and root not in skip:
            out.setdefault(root, Node(root, name, module, cls))
    return sorted(out.values(), key=lambda n: n.oid)


# The words a MIB's object names use for what only one kind of device manages, as a network engineer reads a
# MIB to learn what its device is: VLANs and spanning tree are a switch's (and so are wavelength multiplexing,
# EDFA amplifiers, ROADMs and OTN framing: optical transport, typed with switches as device_type's sysDescr
# words type it), BGP and OSPF a router's, SSIDs and radios a wireless device's, batteries and outlets power
# gear's, humidity and door contacts an environment monitor's, VPNs and threats a firewall's, RAID and LUNs
# storage's, toner and trays a printer's. Matched as whole words of the camelCase name (`vlanPortMode` ->
# vlan, port, mode). Words many kinds of device use are none of them: port, interface, temperature, fan,
# policy; sensor and probe (every chassis has sensors); relay (a switch's alarm relay, a DHCP relay); RF and
# modulation (cable and video headends modulate RF as much as radios do).
KIND_WORDS: dict[str, frozenset[str]] = {
    "switch": frozenset({"vlan", "vlans", "stp", "rstp", "mstp", "spanning", "snooping", "fdb", "lacp", "gvrp",
                         "mvrp", "mirror", "mirroring", "poe", "wdm", "dwdm", "cwdm", "edfa", "roadm", "otn", "otu"}),
    "router": frozenset({"bgp", "ospf", "rip", "isis", "mpls", "vrf", "ldp", "routing"}),
    "wireless": frozenset({"ssid", "wlan", "radio", "rssi", "snr", "wifi", "wireless", "antenna", "dot11"}),
    "ups": frozenset({"battery", "batteries", "ups", "inverter", "bypass", "rectifier", "outlet", "outlets",
                      "pdu", "breaker"}),
    "iot": frozenset({"humidity", "dewpoint", "leak", "smoke", "door"}),
    "firewall": frozenset({"firewall", "vpn", "ipsec", "ips", "threat", "antivirus", "spam"}),
    "camera": frozenset({"camera", "ptz", "lens", "video"}),
    "storage": frozenset({"raid", "lun", "disk", "disks", "nas", "volume", "volumes", "drive", "drives"}),
    "printer": frozenset({"printer", "toner", "tray", "paper", "print", "cartridge", "fuser"}),
}
# A kind is spoken when at least KIND_MIN_OBJECTS objects name it and KIND_LEAD times as many as name
# the next kind: a MIB that manages a UPS's batteries and its network card's VLAN says "ups"; one whose
# objects mention a few of everything says nothing.
KIND_MIN_OBJECTS = 8
KIND_LEAD = 3
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def spoken_kind(object_names: Iterable[str]) -> tuple[str, int, int]:
    """(kind, objects naming it, objects) for a module's OBJECT-TYPE names; kind "" when none leads."""
    counts: Counter[str] = Counter()
    total = 0
    computer = False
    for name in object_names:
        total += 1
        ordered = [w.lower() for w in _NAME_WORDS.findall(name)]
        words = set(ordered)
        counts.update(kind for kind, kind_words in KIND_WORDS.items() if words & kind_words)
        computer = computer or any(w == "swap" and ordered[i - 1:i] != ["hot"] for i, w in enumerate(ordered))
    if computer:
        # Swap space is an operating system's: the disks and volumes beside it are the computer's own
        # file systems (FROGFOOT-RESOURCES-MIB, an OS's resource MIB), not a storage system's (a "hot
        # swap" bay is one's).
        del counts["storage"]
    ranked = counts.most_common(2)
    if not ranked or ranked[0][1] < KIND_MIN_OBJECTS or (len(ranked) > 1 and ranked[0][1] < KIND_LEAD * ranked[1][1]):
        return "", ranked[0][1] if ranked else 0, total
    return ranked[0][0], ranked[0][1], total


@dataclass(frozen=True, slots=True)
class ModuleKind:
    """What a module's object names speak of, and the subtrees its objects lie in (module_subtrees)."""

    kind: str
    naming: int
    objects: int
    subtrees: tuple[tuple[int, ...], ...]


def module_kinds(nodes: Iterable[Node]) -> dict[str, ModuleKind]:
    """The kind each module's OBJECT-TYPE names speak of (spoken_kind), for the modules that speak of one,
    with the deepest OID above all of its objects.

    Why: a device answers its vendor's MIB under a sysObjectID that names no product line (the
    enterprise node, an agent's software): the MIB it implements still says what it manages
    (ELTEK-BC2000-DC-POWER-MIB's rectifiers and batteries, MIMOSA-NETWORKS-BFIVE-MIB's radios), and one
    GETNEXT of the subtree asks whether it does.
    """
    ent = _ENTERPRISE_ARCS
    objects: dict[str, dict[int, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for n in nodes:
        if n.cls == "objecttype":
            under = n.oid[len(ent)] if n.oid[:len(ent)] == ent and len(n.oid) > len(ent) else -1
            objects[n.module][under].append(n)
    out: dict[str, ModuleKind] = {}
    for module, by_enterprise in objects.items():
        # Two vendors' modules of one name are read as one (mib_build keeps the other copy's symbols:
        # Raritan's and Eaton's PDU-MIB): the larger vendor's objects speak, under their own subtree.
        own = max(by_enterprise.values(), key=len)
        kind, naming, total = spoken_kind(n.name for n in own)
        if not kind:
            continue
        out[module] = ModuleKind(kind, naming, total, module_subtrees([n.oid for n in own]))
    return out


BRANCHES_MAX = 2  # branches of an enterprise node kept for a module spanning it (the largest first)


def module_subtrees(oids: list[tuple[int, ...]]) -> tuple[tuple[int, ...], ...]:
    """Where one GETNEXT each asks whether a device implements the module whose objects are `oids`.

    The deepest OID above all of them; where that is the enterprise node itself (a vendor's one MIB,
    TEGILE-MIB's objects under 43906.1 and 43906.2), a GETNEXT there would find any object of that
    vendor, so the deepest above each branch of the enterprise node the objects lie in instead, the
    BRANCHES_MAX with most objects (on equal counts the lower branch). () for none.
    """
    above = _above_all(oids)
    ent = _ENTERPRISE_ARCS
    if len(above) != len(ent) + 1 or above[:len(ent)] != ent:
        return (above,) if above else ()
    branches: dict[int, list[tuple[int, ...]]] = defaultdict(list)
    for oid in oids:
        if len(oid) > len(above) + 1:
            branches[oid[len(above)]].append(oid)
    largest = sorted(branches.items(), key=lambda b: (-len(b[1]), b[0]))[:BRANCHES_MAX]
    return tuple(_above_all(members) for _, members in largest)


def _above_all(oids: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The deepest OID above every one of `oids` (a parent, never one of them), () for none."""
    above = oids[0][:-1] if oids else ()
    for oid in oids[1:]:
        while oid[:len(above)] != above:
            above = above[:-1]
    return above


def enterprise_names(nodes: Iterable[Node], organisations: dict[str, str]) -> dict[int, tuple[str, str]]:
    """PEN -> (node name, ORGANIZATION of the module defining it) for each enterprise node the MIBs name."""
    ent = _ENTERPRISE_ARCS
    out: dict[int, tuple[str, str]] = {}
    for n in nodes:
        if len(n.oid) == len(ent) + 1 and n.oid[:len(ent)] == ent:
            pen = n.oid[-1]
            org = organisations.get(n.module, "")
            if pen not in out or (org and not out[pen][1]):
                out[pen] = (n.name, org)
    return out


def render(rows: list[Node], enterprises: dict[int, tuple[str, str]], source: str,
           family_rows: Iterable[Node] = (), root_rows: Iterable[Node] = (),
           kinds: dict[tuple[int, ...], tuple[str, int, int]] | None = None,
           module_said: dict[str, ModuleKind] | None = None) -> Iterator[str]:
    """The registry file's lines (see the module docstring)."""
    yield "# netcensus product registry: sysObjectID values vendors assign to their products\n"
    yield f"# source: {_clean(source)}\n"
    yield "# columns: oid, name, module, description (derived from the MIBs; no MIB text beyond DESCRIPTION)\n"
    for pen in sorted(enterprises):
        name, org = enterprises[pen]
        yield f"#enterprise\t{pen}\t{_clean(name)}\t{_clean(org)}\n"
    for n in family_rows:
        yield f"#family\t{'.'.join(map(str, n.oid))}\t{_clean(n.name)}\t{_clean(n.module)}\t" \
              f"{_clean(n.description[:DESCRIPTION_MAX])}\n"
    for n in root_rows:
        spoken = (kinds or {}).get(n.oid)
        columns = f"\t{spoken[0]}\t{spoken[1]}\t{spoken[2]}" if spoken else ""
        yield f"#root\t{'.'.join(map(str, n.oid))}\t{_clean(n.name)}\t{_clean(n.module)}{columns}\n"
    for module, said in sorted((module_said or {}).items()):
        yield (f"#module\t{_clean(module)}\t{said.kind}\t{said.naming}\t{said.objects}\t"
               f"{','.join('.'.join(map(str, arcs)) for arcs in said.subtrees)}\n")
    for n in rows:
        descr = n.description[:DESCRIPTION_MAX]
        yield f"{'.'.join(map(str, n.oid))}\t{_clean(n.name)}\t{_clean(n.module)}\t{_clean(descr)}\n"


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def build(folder: Path, out: Path, *, source: str = "", fallback: Path | None = None) -> int:
    """Compile `folder` (with `fallback`'s modules it lacks), write the registry to `out` (gzip'd, replaced
    atomically); the product count.

    Raises:
        BuildError: as compile_folder, when no product is found, or `out` cannot be written.
    """
    nodes, organisations = compile_folder(folder, fallback)
    rows = products(nodes)
    if not rows:
        raise BuildError(f"product registry: no product OIDs under enterprises in {folder}")
    family_rows = families(nodes, rows)
    roots = module_roots(nodes, [n.oid for n in (*rows, *family_rows)])
    spoken = module_kinds(nodes)
    # A root speaks as its module does: many devices say no more than a sysObjectID under their product
    # line's own MIB (Edge-Core's ECS3510-MIB, Panduit's HAWK-I2-MIB), whose objects say its kind.
    root_said = {root.oid: (said.kind, said.naming, said.objects) for root in roots
                 if (said := spoken.get(root.module))}
    mib_build.write_registry(out, render(rows, enterprise_names(nodes, organisations), source or folder.name,
                                         family_rows, roots, root_said, spoken), WHAT)
    return len(rows)
