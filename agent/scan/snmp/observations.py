"""Raw SNMP answers of one device -> its Observations: the device itself, then what it has seen.

Pure (unit-tested with recorded values): the MIB areas in mib/ do the reading; this module only
composes them. A new sighting area is a new module in mib/ and one line in SIGHTINGS.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from agent.scan.classify import TypeSignals, choose_vendor, decide_type, mac_is_local, os_family, products
from agent.scan.classify.device_type import product_kind, product_text
from agent.scan.classify.enterprises import enterprise_number, organisation
from agent.scan.classify.vendor import names_agent_software, names_its_maker
from agent.scan.classify.vendor_names import canonical
from agent.scan.model import COMPUTER_TYPES, Method, Observation
from agent.scan.snmp.identify import identify, with_release
from agent.scan.snmp.maker_probe import enterprise_of, maker_enterprise, maker_object, wanted
from agent.scan.snmp.mib import (
    Sightings,
    Tables,
    arp_cache,
    bridge,
    entity,
    entity_sensor,
    extend,
    host_resources,
    interfaces,
    lldp,
    system,
)
from agent.scan.snmp.mib.identity_objects import KINDS, Answer, IdObject, RegistryError, answers, choose
from agent.scan.snmp.mib.identity_objects import load as load_identity_objects
from agent.scan.snmp.mib.vendor_ids import VendorIds, vendor_ids
from agent.scan.snmp.mib.vendor_ids import request as vendor_requests
from agent.scan.snmp.oids import FIRST_ROWS, Oid

# Tables that report other hosts the device has seen, in the order their sightings are listed.
SIGHTINGS: tuple[Sightings, ...] = (arp_cache.sightings, bridge.sightings, lldp.sightings)


MAX_SIBLINGS = 2  # a maker's other enterprise numbers asked for one whose own the registry lacks
MAX_OTHER_MAKERS = 2  # other makers' enterprises, whose MIBs a device answers, asked for identity objects


def _identity_sources(object_id: str, answering: tuple[Oid, ...]) -> tuple[str, ...]:
    """Whose identity objects to ask: sysObjectID's enterprise, then the same maker's other enterprise
    numbers where the registry has no objects under sysObjectID's (brand_siblings); then, where sysObjectID
    names no maker, the maker the probe found (maker_probe.py) and its own such numbers, else the other
    makers whose MIBs the device answers (other_makers); the others as bare enterprise OIDs, so no
    product subtree is preferred."""
    pen = enterprise_number(object_id)
    if wanted(object_id):
        maker_pen = maker_enterprise(answering)
        others = [*brand_siblings(pen), *([maker_pen] if maker_pen else []), *brand_siblings(maker_pen)]
    else:
        others = [*brand_siblings(pen), *other_makers(pen, answering)]
    return (object_id, *(f"1.3.6.1.4.1.{other}" for other in dict.fromkeys(others)))


def other_makers(pen: int, answering: tuple[Oid, ...]) -> tuple[int, ...]:
    """The enterprises other than `pen` (sysObjectID's, naming the maker) whose MIBs the device answers
    (maker_probe.first_objects), that name a maker and that the identity registry holds objects for; at
    most MAX_OTHER_MAKERS, in OID order.

    Why: a box built on another maker's software answers that maker's MIB for its own serial (Eltex's
    MES2400 switches, sysObjectID under 35265, ARICENT-ISS-MIB's issHardwareSerialNumber under 2076), and a
    product sold on under a new owner's number keeps its old MIB (a SyncServer under 39165 answers
    Symmetricom's SYMM-SMI under 9070). Their objects are asked after the maker's own, and identify.py takes
    each field's first answer in that order; the vendor stays sysObjectID's.
    """
    try:
        table = load_identity_objects()
    except RegistryError:
        return ()
    found = dict.fromkeys(enterprise_of(name) for name in answering)
    return tuple(other for other in found if other != pen and other in table
                 and not names_agent_software(other))[:MAX_OTHER_MAKERS]


def brand_siblings(pen: int) -> tuple[int, ...]:
    """The enterprise numbers registered to the same maker as `pen` (one canonical name: the alias table's
    acquisitions and renames) that the identity registry holds objects for, when it holds no objects of
    some kind (serial, model, firmware) for `pen`.

    Why: a maker that registers a new number for a new name keeps answering the MIBs written under the
    old one (Pepwave's routers, sysObjectID under 27662, answer Peplink's DEVICE MIB under 23695; the one
    MIB under 27662, for Pepwave's access points, has a serial only). () when `pen` has objects of every
    kind, names only an SNMP agent's software, or the registry is missing.
    """
    try:
        table = load_identity_objects()
    except RegistryError:
        return ()
    if not pen or {o.kind for o in table.get(pen, ())} >= set(KINDS) or names_agent_software(pen) \
            or not (maker := canonical(organisation(pen))):
        return ()
    return tuple(other for other in sorted(table)
                 if other != pen and canonical(organisation(other)) == maker)[:MAX_SIBLINGS]


def _hand_requests(object_id: str, mibs: frozenset[str], answering: tuple[Oid, ...]) -> tuple[Oid, ...]:
    sources = _identity_sources(object_id, answering)
    # The standard MIBs' objects come with the first source only (they do not depend on the maker).
    return tuple(dict.fromkeys(o for i, src in enumerate(sources)
                               for o in vendor_requests(src, mibs if i == 0 else frozenset())))


def _registry_choice(object_id: str, mibs: frozenset[str], answering: tuple[Oid, ...]) -> tuple[IdObject, ...]:
    """The public MIBs' candidates to ask, per source in turn, none of them asked twice.

    Raises:
        RegistryError: the registry cannot be read.
    """
    skip = set(_hand_requests(object_id, mibs, answering))
    out: list[IdObject] = []
    for src in _identity_sources(object_id, answering):
        chosen = choose(src, skip=frozenset(skip))
        out += chosen
        skip.update(o.oid for o in chosen)
    return tuple(out)


def identity_requests(object_id: str, mibs: frozenset[str],
                      answering: tuple[Oid, ...] = ()) -> tuple[tuple[Oid, ...], tuple[IdObject, ...], str]:
    """What to ask for identity: the OIDs of the hand-checked vendor and standard objects
    (vendor_ids.py, by GET), then the public vendor MIBs' candidates not already among them
    (identity_objects.py: scalars by GET, columns at their first row by GETNEXT), and a note when the
    registry of the latter cannot be read (the hand-checked ones are still asked). With `answering`
    (maker_probe.first_objects), the objects of the makers whose MIBs the device answers are asked too
    (_identity_sources)."""
    hand = _hand_requests(object_id, mibs, answering)
    try:
        return hand, _registry_choice(object_id, mibs, answering), ""
    except RegistryError as exc:
        return hand, (), str(exc)


def _registry_answers(object_id: str, mibs: frozenset[str], scalars: Mapping[Oid, Any],
                      answering: tuple[Oid, ...]) -> tuple[Answer, ...]:
    try:
        chosen = _registry_choice(object_id, mibs, answering)
    except RegistryError:  # device.py notes it in the device's status
        return ()
    return answers(chosen, scalars)


def _first_row_answers(scalars: Mapping[Oid, Any]) -> tuple[Answer, ...]:
    """The standard identity columns the census read by their first row (oids.FIRST_ROWS)."""
    return answers(tuple(IdObject(kind, column, name) for kind, column, name in FIRST_ROWS), scalars)


def _vendor_ids(object_id: str, mibs: frozenset[str], scalars: Mapping[Oid, Any],
                answering: tuple[Oid, ...]) -> VendorIds:
    """The hand-checked objects' answers, sysObjectID's enterprise first, then the other makers'."""
    found = [vendor_ids(src, mibs if i == 0 else frozenset(), scalars)
             for i, src in enumerate(_identity_sources(object_id, answering))]
    return VendorIds(serials=tuple(v for ids in found for v in ids.serials),
                     models=tuple(v for ids in found for v in ids.models),
                     firmwares=tuple(v for ids in found for v in ids.firmwares),
                     last_firmwares=tuple(v for ids in found for v in ids.last_firmwares),
                     makers=tuple(v for ids in found for v in ids.makers))


MAX_MODULE_PROBES = 16  # subtrees of the maker's MIBs asked in one GETNEXT (most makers have fewer)


def _speaking_probes(object_id: str, maker_pen: int) -> list[tuple[Oid, str]]:
    """The maker's MIBs that speak of a kind (products.speaking_modules): sysObjectID's enterprise where it
    names the maker, else the maker probe's."""
    pen = enterprise_number(object_id) if names_its_maker(object_id) else maker_pen
    return products.speaking_modules(pen, object_id, MAX_MODULE_PROBES) if pen else []


def module_probes(object_id: str, maker_pen: int = 0) -> tuple[Oid, ...]:
    """The subtrees to ask with one GETNEXT whether the device implements its maker's MIBs that speak of a
    kind (an answer within a subtree says it does; device.py keeps it under the subtree's OID)."""
    return tuple(arcs for arcs, _ in _speaking_probes(object_id, maker_pen))


def _answered_kinds(registry: tuple[Answer, ...], implemented: tuple[str, ...],
                    above: products.SpokenKind | None) -> tuple[str, ...]:
    """What the vendor MIBs the device answered speak of ("kind\tMODULE\tnaming\tobjects"): those whose
    serial, model or version objects answered first, then those whose subtree answered the module probe;
    not the MIB above its sysObjectID (counted already as module_kind)."""
    counted = above.module.partition("::")[0] if above else ""
    modules = dict.fromkeys([*(a.name.partition("::")[0] for a in registry), *implemented])
    return tuple(f"{said.kind}\t{said.module}\t{said.naming}\t{said.objects}" for module in modules
                 if module != counted and (said := products.module_kind(module)))


def build_observations(host: str, scalars: Mapping[Oid, Any], tables: Tables, *, seen_at: datetime,
                       mibs: frozenset[str] = frozenset(), answering: tuple[Oid, ...] = ()) -> list[Observation]:
    """The device's own observation, then the sightings of its ARP cache, forwarding tables and LLDP.

    Args:
        host: the address the device was asked at.
        scalars: the GET of oids.SCALARS (or DISCOVERY_SCALARS), with the vendor_ids.request() GET.
        tables: what was walked, by oids.COLUMNS name; absent tables are simply empty.
        seen_at: when the device answered.
        mibs: the PRESENCE MIBs the device answered (device-type evidence).
        answering: the first object it answers under each enterprise (maker_probe.py): where sysObjectID
            names no maker, the maker's; else the other makers' whose serial, model and firmware objects
            were asked too (the modules that answer speak for the type, as any vendor MIB's do).
    """
    sysgroup = system.system_group(scalars)
    ifs = interfaces.read_interfaces(host, tables)
    box = entity.chassis(tables)
    attributes = host_resources.attributes(scalars, tables)
    device_mac = ifs.device_mac
    maker_first = maker_object(answering) if wanted(sysgroup.object_id) else ()
    maker_pen = enterprise_of(maker_first) if maker_first else 0
    vendor_said = _vendor_ids(sysgroup.object_id, mibs, scalars, answering)
    published = extend.published(scalars)
    maker = choose_vendor(sysgroup.object_id, box.vendor, device_mac, sysgroup.descr, maker_pen,
                          device_id_maker=next(iter(vendor_said.makers), ""), published_maker=published.maker)
    # The product the vendor's MIB registers this sysObjectID as: a model and type signal of its own,
    # else the vendor MIB rooted there (type words only). Not for the agent-software enterprises
    # (net-snmp's `linux`): they name no product.
    agent_software = names_agent_software(enterprise_number(sysgroup.object_id))
    product = None if agent_software else products.lookup(sysgroup.object_id)
    module_root = "" if agent_software else products.module_rooted_at(sysgroup.object_id)
    spoken = None if agent_software else products.module_kind_above(sysgroup.object_id)
    beside = None if agent_software else products.kind_beside(sysgroup.object_id, product_kind)
    registry = _registry_answers(sysgroup.object_id, mibs, scalars, answering)
    # The standard first rows rank with the public MIBs' objects: like them, named by a registry, not
    # hand-checked per vendor.
    ids = identify(sysgroup.descr, host_name=sysgroup.name, vendor=maker.vendor, chassis=box,
                   ids=vendor_said,
                   registry=registry + _first_row_answers(scalars), product=product, published=published)
    implemented = tuple(module for arcs, module in _speaking_probes(sysgroup.object_id, maker_pen) if arcs in scalars)
    kind = decide_type(TypeSignals(
        sys_object_id=sysgroup.object_id, sys_descr=sysgroup.descr, services=system.services(scalars), mibs=mibs,
        if_types=interfaces.if_types(tables), entity_classes=entity.classes(tables),
        product=product_text(product.label, product.name, product.description) if product else "",
        product_family=bool(product and product.family), vendor_objects=tuple(a.name for a in registry),
        model=ids.model, lldp=lldp.capabilities(scalars), if_names=tuple(ifs.names.values()),
        host_devices=host_resources.device_types(tables), sensor_types=entity_sensor.sensor_types(tables),
        module_root=module_root, maker_object=".".join(map(str, maker_first)),
        module_kind=f"{spoken.kind}\t{spoken.module}\t{spoken.naming}\t{spoken.objects}" if spoken else "",
        answered_kinds=_answered_kinds(registry, implemented, spoken),
        neighbour_kind=f"{beside.kind}\t{beside.under}\t{beside.agreeing}\t{beside.speaking}" if beside else ""))
    # The `distro` extend's release is a router's or a board's firmware; a computer's stays its kernel's
    # (identify.with_release), and the release is shown beside it.
    if published.release and kind.device_type not in COMPUTER_TYPES:
        ids = with_release(ids, published.release)
    elif published.release:
        attributes["osRelease"] = published.release
    if product is not None:
        attributes["productEvidence"] = (
            f"sysObjectID {'under product family' if product.family else 'registered as'} {product.label}"
            + ("" if product.exact else f" (nearest registered ancestor {product.oid})"))
    # Why this vendor and type: kept with the observation, so the collector shows the reasons.
    if maker.reason:
        attributes["vendorEvidence"] = maker.reason
    if kind.reasons:
        attributes["typeEvidence"] = "; ".join(kind.reasons)
    if ids.evidence:
        attributes["identityEvidence"] = ids.evidence
    device = Observation(
        method=Method.SNMP, seen_at=seen_at, ip=host, mac=device_mac, hostname=sysgroup.name,
        vendor=maker.vendor, device_type=kind.device_type, os_family=os_family(sysgroup.object_id, sysgroup.descr),
        snmp=sysgroup, software=host_resources.software(tables), serial=ids.serial, model=ids.model,
        interfaces=ifs.interfaces, mac_is_local=mac_is_local(device_mac) if device_mac else False,
        attributes=tuple(sorted(attributes.items())), firmware=ids.firmware,
    )
    out = [device]
    for area in SIGHTINGS:
        out += area(host, sysgroup.name, ifs.names, tables, seen_at)
    return out
