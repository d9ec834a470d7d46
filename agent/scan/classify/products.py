"""The product registry: sysObjectID -> the product a vendor's MIB assigned it, read lazily once.

Why: many devices give little more than sysDescr and a private sysObjectID, and the sysObjectID is
the vendor's own name for the product -- the OBJECT IDENTIFIER its products MIB assigns
(CISCO-PRODUCTS-MIB `ciscoWSC2960X48TSL` is 1.3.6.1.4.1.9.1.1208). Network engineers' tools
(Netdisco, LibreNMS, Observium) name such devices that way. The table is derived from two
public MIB collections (netdisco-mibs and LibreNMS's MIB folder) by product_mibs.py (pysmi) and
ships as registry/products.tsv.gz beside this module (its README says where it comes from and how
to regenerate it).

Lookup: the exact OID first. Failing that, the nearest registered ancestor: a product (a
sysObjectID below a product's OID names a variant of that product, an agent that appends a
sub-model arc) or a product family (the registered parent of products, `hpEtherSwitch`: a device
newer than the MIBs still falls under it). A family is marked as such: it is type evidence only
(weaker than a product's), never a model. Other interior nodes are not in the table, except the
nodes vendor MIBs are rooted at (module_rooted_at): matched exactly, their module's name is type
evidence too, never a model.

Readable model (model_name): the product's name without the prefix its sibling products share
(the vendor's or the family's: `ciscoWSC2960X48TSL` -> `WSC2960X48TSL`, `jnxProductNameEX4200` ->
`EX4200`, `hpSwitchJ9019A` -> `J9019A`), where what remains still reads as a product code.
"""

from __future__ import annotations

import bisect
import gzip
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("registry") / "products.tsv.gz"
ENTERPRISES = "1.3.6.1.4.1"
_ENTERPRISE_ARCS = tuple(int(x) for x in ENTERPRISES.split("."))

_LOCK = threading.Lock()
_state: dict[str, object] = {"file": DEFAULT_FILE, "table": None}
# Where a camelCase name may be cut: before a capital or a digit that follows a lower-case letter.
_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z0-9])")


@dataclass(frozen=True, slots=True)
class Product:
    """One registry entry as it matched a device."""

    oid: str
    name: str
    module: str
    description: str = ""
    prefix: str = ""     # the part of `name` its siblings share (see model_name)
    exact: bool = True   # False: matched through the nearest registered ancestor
    family: bool = False  # a product family (the registered parent of products), not one product

    @property
    def label(self) -> str:
        """`MODULE::name`, as evidence lines cite it."""
        return f"{self.module}::{self.name}"


class _Table:
    """The loaded registry: OID -> entry, and PEN -> the enterprise's name in the MIBs."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str, str]] = {}
        self.groups: dict[tuple[str, str], list[str]] = {}  # (parent OID, module) -> sibling names
        self.prefixes: dict[tuple[str, str], str] = {}      # filled on demand (see prefix_of)
        self.enterprises: dict[int, tuple[str, str]] = {}
        self.families: dict[str, tuple[str, str, str]] = {}
        self.roots: dict[str, str] = {}  # OID -> "MODULE::name" of the MIB rooted there
        self.root_kinds: dict[str, tuple[str, int, int]] = {}  # root OID -> what its module speaks of
        self.module_kinds: dict[str, tuple[str, int, int]] = {}  # module -> what its objects speak of
        self.speaking: dict[int, list[tuple[tuple[int, ...], str]]] = {}  # PEN -> (subtree, module) that speak
        self.ordered: list[str] = []  # the product and speaking-root OIDs, sorted: a subtree is one run
        self.kinds_below: dict[str, Counter[str]] = {}  # OID -> what is registered below it names (on demand)


def use_file(path: Path | None) -> None:
    """Read the registry from `path` from now on (None: the shipped file); the next lookup loads it."""
    with _LOCK:
        _state["file"], _state["table"] = path or DEFAULT_FILE, None


def _load(path: Path) -> _Table:
    table = _Table()
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fin:
            for line in fin:
                if line.startswith("#"):
                    if line.startswith("#enterprise\t"):
                        _, pen, name, org = ([*line.rstrip("\n").split("\t"), "", "", ""])[:4]
                        if pen.isdigit():
                            table.enterprises[int(pen)] = (name, org)
                    elif line.startswith("#family\t"):
                        fam = ([*line.rstrip("\n").split("\t"), "", "", "", ""])[1:5]
                        table.families[fam[0]] = (fam[1], fam[2], fam[3])
                    elif line.startswith("#root\t"):
                        root = ([*line.rstrip("\n").split("\t"), "", "", "", "", "", ""])[1:7]
                        table.roots[root[0]] = f"{root[2]}::{root[1]}"
                        if root[3] and root[4].isdigit() and root[5].isdigit():
                            table.root_kinds[root[0]] = (root[3], int(root[4]), int(root[5]))
                    elif line.startswith("#module\t"):
                        _add_module(table, ([*line.rstrip("\n").split("\t"), "", "", "", "", ""])[1:6])
                    continue
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 3:
                    table.rows[parts[0]] = (parts[1], parts[2], parts[3] if len(parts) > 3 else "")
                    table.groups.setdefault((parts[0].rpartition(".")[0], parts[2]), []).append(parts[1])
    except (OSError, EOFError, UnicodeDecodeError):
        return _Table()  # no registry: products are simply unknown, every other signal still answers
    table.ordered = sorted({*table.rows, *table.root_kinds})
    return table


def _add_module(table: _Table, columns: list[str]) -> None:
    """One `#module` line: the kind the module speaks of, and where its objects lie (under which PEN)."""
    module, kind, naming, objects, subtrees = columns
    if not (kind and naming.isdigit() and objects.isdigit()):
        return
    table.module_kinds[module] = (kind, int(naming), int(objects))
    for subtree in subtrees.split(","):
        try:
            arcs = tuple(int(x) for x in subtree.split("."))
        except ValueError:
            continue
        # Only a subtree below an enterprise's own node can be asked for: a GETNEXT of the enterprise node
        # finds any object of that vendor (a module spanning it names its branches: product_mibs.module_subtrees).
        if len(arcs) > len(_ENTERPRISE_ARCS) + 1 and arcs[:len(_ENTERPRISE_ARCS)] == _ENTERPRISE_ARCS:
            table.speaking.setdefault(arcs[len(_ENTERPRISE_ARCS)], []).append((arcs, module))


def shared_prefix(names: list[str]) -> str:
    """The name prefix (at a camelCase boundary) most of these sibling names share, or "".

    Siblings: entries of the same module under the same parent OID. The longest prefix that at least
    half of them (and two or more) start with is the family's or vendor's part of the name. Computed
    per group on its first lookup (half the registry's load time otherwise, for groups never asked).
    """
    if len(names) < 2:
        return ""
    counts: Counter[str] = Counter()
    for name in names:
        counts.update({name[:m.start()] for m in _BOUNDARY.finditer(name)})
    need = max(2, (len(names) + 1) // 2)
    common = [p for p, c in counts.items() if c >= need]
    return max(common, key=len) if common else ""


def _prefix_of(table: _Table, oid: str, name: str, module: str) -> str:
    key = (oid.rpartition(".")[0], module)
    if key not in table.prefixes:
        table.prefixes[key] = shared_prefix(table.groups.get(key, []))
    prefix = table.prefixes[key]
    return prefix if name.startswith(prefix) else ""


def _table() -> _Table:
    with _LOCK:
        table = _state["table"]
        if isinstance(table, _Table):
            return table
        path = _state["file"]
        loaded = _load(path if isinstance(path, Path) else DEFAULT_FILE)
        _state["table"] = loaded
        return loaded


def lookup(sys_object_id: str) -> Product | None:
    """The product registered at `sys_object_id`, else at its nearest registered ancestor; None if none.

    Only OIDs under a private enterprise (1.3.6.1.4.1.<PEN>.<more>) are looked up.
    """
    oid = sys_object_id.strip().lstrip(".")
    if not oid.startswith("1.3.6.1.4.1."):
        return None
    table = _table()
    exact = True
    while oid.count(".") >= 7:  # 1.3.6.1.4.1.PEN.x: never the enterprise node itself
        row = table.rows.get(oid)
        if row is not None:
            return Product(oid, row[0], row[1], row[2], _prefix_of(table, oid, row[0], row[1]), exact)
        fam = table.families.get(oid)
        if fam is not None:
            return Product(oid, fam[0], fam[1], fam[2], exact=exact, family=True)
        oid, exact = oid.rpartition(".")[0], False
    return None


def module_rooted_at(sys_object_id: str) -> str:
    """`MODULE::name` of the vendor MIB whose objects hang from exactly this OID, "" when none.

    Exact only: the node a module is rooted at names that module's device (W&T's
    WebGraph-Thermometer-MIB `wtWebioAn1Graph`), while its ancestors are the vendor's whole tree.
    """
    return _table().roots.get(sys_object_id.strip().lstrip("."), "")


@dataclass(frozen=True, slots=True)
class SpokenKind:
    """The kind the vendor MIB a sysObjectID lies under speaks of (product_mibs.spoken_kind)."""

    kind: str
    module: str  # "MODULE::name" of the MIB's root
    naming: int  # how many of its objects name the kind
    objects: int


def module_kind_above(sys_object_id: str) -> SpokenKind | None:
    """The kind spoken by the vendor MIB rooted nearest above (or at) sysObjectID, None when none speaks.

    Why: a vendor puts a product line's sysObjectIDs under the line's own MIB (Edge-Core's ECS3510-MIB
    is rooted at 1.3.6.1.4.1.259.10.1.27, its switches answer ...27.102), and that MIB's objects say
    what the device manages where its name does not. Only the nearest root counts (an ancestor's is the
    vendor's wider tree), and never the enterprise node itself; a module whose objects hang directly
    below sysObjectID is the device's own MIB and comes first.
    """
    table = _table()
    oid = sys_object_id.strip().lstrip(".")
    floor = len(ENTERPRISES.split(".")) + 2
    if oid.count(".") + 1 >= floor and (below := _speaking_child(table, oid)):
        return below
    while oid.count(".") + 1 >= floor:
        if oid in table.roots:
            spoken = table.root_kinds.get(oid)
            return SpokenKind(spoken[0], table.roots[oid], spoken[1], spoken[2]) if spoken else None
        oid = oid.rpartition(".")[0]
    return None


def module_kind(module: str) -> SpokenKind | None:
    """The kind the objects of MIB `module` speak of (product_mibs.module_kinds), None when none leads.

    For a device that answers that module's objects (its serial, model or version) whatever its
    sysObjectID says: an Eltek rectifier controller under its enterprise node answers
    ELTEK-BC2000-DC-POWER-MIB, whose objects name batteries and rectifiers.
    """
    spoken = _table().module_kinds.get(module)
    return SpokenKind(spoken[0], module, spoken[1], spoken[2]) if spoken else None


def speaking_modules(pen: int, sys_object_id: str = "", limit: int = 16) -> list[tuple[tuple[int, ...], str]]:
    """The subtrees (and modules) of enterprise `pen`'s MIBs whose objects speak of a kind, at most `limit`:
    one GETNEXT of each asks whether the device implements that MIB (module_kind then says what it speaks
    of). Those sharing most arcs with sysObjectID first (a product line's own MIB), then the larger; one
    per subtree (a module and its copy under another name answer alike)."""
    sys_arcs = tuple(int(x) for x in sys_object_id.strip().lstrip(".").split(".") if x.isdigit())
    kinds = _table().module_kinds

    def shared(arcs: tuple[int, ...]) -> int:
        return next((i for i, (a, b) in enumerate(zip(arcs, sys_arcs, strict=False)) if a != b),
                    min(len(arcs), len(sys_arcs)))

    ranked = sorted(_table().speaking.get(pen, []), key=lambda am: (-shared(am[0]), -kinds[am[1]][2], am[1]))
    out: dict[tuple[int, ...], str] = {}
    for arcs, module in ranked:
        out.setdefault(arcs, module)
    return list(out.items())[:limit]


def _speaking_child(table: _Table, oid: str) -> SpokenKind | None:
    """The kind spoken by the MIB whose objects hang directly below `oid` (InterSeptor-MIB's inSeptObjects at
    sysObjectID.1: the sysObjectID names the device's own MIB), when its root is the only one there and no
    product is registered below `oid`."""
    below = _registered_below(table, oid)
    # Not a node products are registered under (ZyXEL's products node also roots a wireless MIB).
    if any(o in table.rows for o in below):
        return None
    children = [o for o in below if o.rpartition(".")[0] == oid and o in table.root_kinds]
    if len(children) != 1:
        return None
    kind, naming, objects = table.root_kinds[children[0]]
    return SpokenKind(kind, table.roots[children[0]], naming, objects)


@dataclass(frozen=True, slots=True)
class NeighbourKind:
    """The kind most of the vendor's products and product-line MIBs beside a sysObjectID name (kind_beside)."""

    kind: str
    under: str     # the OID whose subtree holds them
    agreeing: int  # how many of them name `kind`
    speaking: int  # how many name any kind


NEIGHBOURS_MIN = 2  # one neighbour is one product line, not a habit of the vendor


def kind_beside(sys_object_id: str, product_kind: Callable[[str, str], str]) -> NeighbourKind | None:
    """The kind the vendor's products and MIBs registered beside sysObjectID mostly name; None when they
    do not agree.

    Why: a vendor numbers a product line under one node, and the public MIBs list the products they
    knew of (ENTERASYS-OIDS-MIB's 74 etsysOidDev... entries, most "... Switch") and give lines their
    own MIB (Edge-Core's ECS2100-MIB, ECS3510-MIB and ECS4120-MIB are rooted at ...259.10.1.43, .27
    and .45, all switch MIBs). A product newer than the MIBs (an ECS4210 answering ...259.10.1.42.101),
    or one whose entry names no kind, has nothing of its own to read, but its neighbours say what the
    line makes. Counted: each registered product whose name and DESCRIPTION name a kind
    (`product_kind(name, description)`, the device-type words, "" for none) and each MIB root whose
    objects speak of one (root_kinds, from the build); the device's own entry and root are not its
    neighbours. The nearest ancestor with any below it decides, when at least NEIGHBOURS_MIN name a
    kind and two thirds agree: a vendor making switches and access points under one node says nothing
    about a new product. Never the enterprise node itself: a vendor's whole tree is the vendor, and a
    vendor is not a type.
    """
    table = _table()
    oid = sys_object_id.strip().lstrip(".")
    if not oid.startswith(ENTERPRISES + "."):
        return None
    own = _kinds_named(table, [oid], product_kind)
    ancestor = oid.rpartition(".")[0]
    while ancestor.count(".") >= 7:
        kinds = _kinds_below(table, ancestor, product_kind) - own
        if speaking := sum(kinds.values()):
            kind, agreeing = kinds.most_common(1)[0]
            if speaking >= NEIGHBOURS_MIN and 3 * agreeing >= 2 * speaking:
                return NeighbourKind(kind, ancestor, agreeing, speaking)
            return None
        ancestor = ancestor.rpartition(".")[0]
    return None


def _kinds_below(table: _Table, ancestor: str, product_kind: Callable[[str, str], str]) -> Counter[str]:
    """The kinds the products and speaking MIB roots registered below `ancestor` name, counted on the
    first device under it and kept, so a sweep reads only the subtrees its devices sit in. Only
    registered subtrees are kept: the OIDs a device invents cost two bisections each, and no memory."""
    with _LOCK:
        if (kinds := table.kinds_below.get(ancestor)) is not None:
            return kinds
    below = _registered_below(table, ancestor)
    if not below:
        return Counter()
    kinds = _kinds_named(table, below, product_kind)
    with _LOCK:
        table.kinds_below[ancestor] = kinds
    return kinds


def _registered_below(table: _Table, oid: str) -> list[str]:
    """The product and speaking-root OIDs strictly below `oid`: one run of the sorted registry, found by
    two bisections ("/" follows "." in ASCII, so `oid + "/"` ends the run)."""
    return table.ordered[bisect.bisect_left(table.ordered, oid + "."):bisect.bisect_left(table.ordered, oid + "/")]


def _kinds_named(table: _Table, oids: list[str], product_kind: Callable[[str, str], str]) -> Counter[str]:
    """What the product registered at each OID names for its kind, and the MIB rooted there speaks of."""
    kinds: Counter[str] = Counter()
    for oid in oids:
        if (row := table.rows.get(oid)) and (kind := product_kind(row[0], row[2])):
            kinds[kind] += 1
        if root := table.root_kinds.get(oid):
            kinds[root[0]] += 1
    return kinds


# ORGANIZATION clauses that name nobody: a template's words left in (DAHUA-SNMP-MIB's "Organization").
_PLACEHOLDER_ORGANISATIONS = frozenset({"organization", "organisation", "organization name", "company",
                                        "company name", "your company", "corporation", "vendor", "unknown",
                                        "none", "n/a", "na", "tbd", "xxx", "-"})


def enterprise_name(pen: int) -> str:
    """The maker a MIB names for enterprise `pen`: its module's ORGANIZATION, else (none, or a template's
    placeholder) the node's name; ""."""
    name, org = _table().enterprises.get(pen, ("", ""))
    named = org if " ".join(org.lower().strip(" .").split()) not in _PLACEHOLDER_ORGANISATIONS else ""
    return named or name


def model_name(product: Product) -> str:
    """The product's name as a model: without the prefix its siblings share, when what is left still
    reads as a product code (a digit and a letter, and four characters or two letters) and the cut
    parts no product line's letters from its number; else the whole name."""
    rest = product.name[len(product.prefix):] if product.prefix else product.name
    letters = sum(c.isalpha() for c in rest)
    # A short prefix before a number is a product line's letters, not a vendor's or family's name part:
    # `s9303`, `gs748t`, `ecs4100-28t`, `a10SoftAX` (A10's) keep them (`optix155622H` loses "optix").
    if rest[:1].isdigit() and len(product.prefix) <= 3:
        return product.name
    if rest != product.name and any(c.isdigit() for c in rest) and letters and (len(rest) >= 4 or letters >= 2):
        return rest
    return product.name


def size() -> int:
    """How many products the loaded registry holds (0 when it is missing)."""
    return len(_table().rows)
