"""Model, serial and firmware of a device from every place they live, in order of trust.

- serial: the ENTITY-MIB chassis' entPhysicalSerialNum, then the vendor's or the standard MIB's
  serial object (mib/vendor_ids.py), then the serial a net-snmp `serial` extend publishes (mib/extend.py:
  an administrator's word for a computer, whose agent has no serial object), then a serial sysDescr
  names ("SN: ..."), then the serial objects the public vendor MIBs define (mib/identity_objects.py);
- model: the chassis' entPhysicalModelName, then the vendor's or standard MIB's model object, then
  the public vendor MIBs' model objects (a vendor's own "model" object names the model exactly where
  sysDescr often names a series: "ACS 6000" for an ACS6048), then the product a `hardware` extend
  publishes (a computer's DMI product name, a board's device-tree model), then the model sysDescr names
  (describe.py), then the chassis' entPhysicalDescr/Name when they read as a product name, then a vendor
  MIB's "device type" or the device's "part number" object where its value reads as one (HIK-DEVICE-MIB
  deviceType "DS-2CD2185FWD-I", ATEN-IPMI-MIB productPartNumber "SYS-1019P-WTR"; elsewhere a type may
  hold a category, "NVR", and a part number is the catalogue's name), and last
  the product the sysObjectID is registered as in the vendor's MIB (classify/products.py): the model
  its DESCRIPTION names, else its name without the prefix its siblings share -- the device's own
  objects first, the registry only where they name nothing. A chassis model of digits alone is the
  maker's part number ("1078904600-01"): it comes after entPhysicalDescr/Name;
- firmware: the vendor's or UPS-MIB's version object (it names the release the device runs), then the
  chassis' entPhysicalSoftwareRev, then the version sysDescr names, then the public vendor MIBs'
  version objects (before sysDescr when sysDescr is uname's: a kernel release is no appliance's
  release), then the chassis' entPhysicalFirmwareRev (often boot code or a BIOS: a hypervisor's
  smbios entity reports its BIOS there while sysDescr names the OS). The release a `distro` extend
  publishes replaces them on a device that is not a computer (with_release; the caller knows the type).

The registry's objects come after the standard sources and the checked hand list: they are found
by name in MIBs nobody checked against a device, so they fill what the others leave empty -- and,
but for the model, what sysDescr leaves empty too (a vendor MIB's "version" may be a part's). Each
field keeps where it came from (Identity.evidence, "serial from PowerNet-MIB::upsAdvIdentSerialNumber"),
which the observation carries.

Placeholders are never an answer, here or anywhere: a serial such as "<private>", "0000" or a date,
a model or version such as "Unknown" or "N/A" is skipped for the next source (the agent's one junk
filter, agent/facts/identifiers.py, which the collector's matches: tests/data/identity/vectors.json).
Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from agent.facts.identifiers import is_placeholder
from agent.scan.classify.products import Product, model_name
from agent.scan.snmp.describe import WITH_PRODUCT_RELEASE, describe, is_uname
from agent.scan.snmp.mib.entity import Chassis, model_like, names_a_kind
from agent.scan.snmp.mib.extend import NOTHING_PUBLISHED, Published
from agent.scan.snmp.mib.identity_objects import Answer
from agent.scan.snmp.mib.vendor_ids import VendorIds

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Identity:
    """The device's serial, model and firmware; "" where no source names one."""

    serial: str = ""
    model: str = ""
    firmware: str = ""
    # Where each answered field came from, (field, source); not part of the identity itself.
    sources: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def evidence(self) -> str:
        """The sources as the observation shows them: "serial from ENTITY-MIB chassis; model from sysDescr"."""
        return "; ".join(f"{name} from {source}" for name, source in self.sources)


Sourced = tuple[str, str]  # (value, where it came from)


def identify(descr: str, *, host_name: str, vendor: str, chassis: Chassis, ids: VendorIds,
             registry: tuple[Answer, ...] = (), product: Product | None = None,
             published: Published = NOTHING_PUBLISHED) -> Identity:
    """Serial, model and firmware from the chassis, vendor/standard MIB objects and sysDescr.

    Args:
        descr: sysDescr.
        host_name: sysName (never the model).
        vendor: the vendor already decided (its name is never the model).
        chassis: the ENTITY-MIB box (mib/entity.py).
        ids: what the vendor and standard MIB objects answered (mib/vendor_ids.py).
        registry: what the public vendor MIBs' objects answered (mib/identity_objects.py).
        product: the registry's entry for sysObjectID (classify/products.py), None when it has none.
        published: what the administrator's net-snmp extends publish (mib/extend.py); its release is
            the caller's to weigh (with_release), as it depends on the device's type.
    """
    said = describe(descr, host_name=host_name, vendor=vendor)
    ent, hand, text = "ENTITY-MIB chassis", "vendor/standard MIB object", "sysDescr"
    extend = "NET-SNMP-EXTEND-MIB extend "

    def mib(kind: str, *, weak: bool = False) -> list[Sourced]:
        found = [(a.value, a.name) for a in registry if a.kind == kind and a.weak == weak]
        # A model name without a digit often names a category ("Switched PDU" in DigiPower-PDU-MIB
        # pdu01ModelName beside pdu01ModelNo "SWV-1623K-24N1"): one of the vendor's objects with a digit first.
        return sorted(found, key=lambda vs: kind == "model" and not any(c.isdigit() for c in vs[0]))

    serial = _first([(chassis.serial, ent), *((v, hand) for v in ids.serials),
                     (published.serial, f"{extend}'serial'"), (said.serial, text), *mib("serial")], dates=True)
    # A chassis model of digits alone is the maker's part number ("1078904600-01", "40-1000832-08"): the
    # product's name, where another place gives it, comes first.
    chassis_model: list[Sourced] = [(chassis.model, ent)]
    part_number = not any(c.isalpha() for c in chassis.model)
    models = [(_model_of(m), src) for m, src in
              [*([] if part_number else chassis_model), *((v, hand) for v in ids.models), *mib("model"),
               (published.model, f"{extend}'hardware'"), (said.model, text), (chassis.descr, ent),
               *((m, src) for m, src in mib("model", weak=True) if model_like(m)),
               *(chassis_model if part_number else []),
               (product_model(product, vendor=vendor), f"product registry {product.module}::{product.name}"
                if product else "")]]
    model = _first([(m, src) for m, src in models if _could_be_a_model(m, host_name)])
    # A uname sysDescr names the kernel, not the appliance's release: the vendor MIB's version comes first.
    uname = is_uname(descr)
    firmware = _first([(v, src) for v, src in [
        *((v, hand) for v in ids.firmwares), *([] if uname else [(said.version, text)]), (chassis.firmware, ent),
        *(mib("firmware") if uname else []), (said.version, text), *([] if uname else mib("firmware")),
        (chassis.firmware_rev, ent), *((v, hand) for v in ids.last_firmwares)]
        if not _all_zero(v) and not _BUILD_STAMP.match(v)])
    found = (("serial", serial), ("model", model), ("firmware", firmware))
    return Identity(serial=_without_maker(serial[0], vendor), model=model[0], firmware=_version_of(firmware[0]),
                    sources=tuple((k, src) for k, (v, src) in found if v))


def with_release(identity: Identity, release: str) -> Identity:
    """The identity with the OS release an administrator's `distro` extend publishes as its firmware.

    The caller decides where it belongs: on a router or a board running a Linux build (OpenWrt, DD-WRT,
    a vendor's image) the release *is* the firmware, while a computer's stays the kernel release its
    sysDescr names, as the tools that read these extends report it. Kept whole ("OpenWrt 21.02.0-rc4"):
    the script names the build and its release, and the build is what tells one image from another.
    """
    value, source = _first([(release, "NET-SNMP-EXTEND-MIB extend 'distro'")])
    if not value:
        return identity
    return replace(identity, firmware=value,
                   sources=(*((k, s) for k, s in identity.sources if k != "firmware"), ("firmware", source)))


# ASN.1 descriptors (lower case first, a capital inside: `hpSwitchJ9573`) listed in a DESCRIPTION name
# other registered products (HP-ICF-OID hpStack: "the stack can have the devices like hpSwitchJ9573,
# hpSwitchJ9574, ..."), not this one; one alone may be its own name ("... for the npt2100A").
_DESCRIPTOR = re.compile(r"[a-z][a-z0-9]*[A-Z][\w-]*")


# A product registered as the SNMP agent's software names no hardware (XMSERVD-PERF-MIB `risc6000snmpd`, the
# sysObjectID of AIX's daemon; WHISP-GLOBAL-REG-MIB `canopySnmpAgent`, SNMP-RESEARCH-MIB `loadSubagent`).
_AGENT_PRODUCT = re.compile(r"(?:snmpd|snmp_?agent|subagent)$", re.IGNORECASE)


def product_model(product: Product | None, *, vendor: str = "") -> str:
    """The model a registry product names: the one its DESCRIPTION names ("... for the HP ProCurve
    Switch 2510-24"), else its name without the shared prefix (`ciscoWSC2960X48TSL` -> "WSC2960X48TSL");
    "" when neither carries a digit (a family word such as `ciscoRouter` names no model)."""
    if product is None or product.family or _AGENT_PRODUCT.search(product.name):
        return ""
    if product.description and (said := describe(product.description, vendor=vendor).model) \
            and sum(1 for word in said.split() if _DESCRIPTOR.fullmatch(word)) < 2:
        return said
    name = model_name(product)
    return name if any(c.isdigit() for c in name) else ""


# A version is no model ("v5.4.7-2.1", "R23.6", git's describe of a build: "4-10-g036b52a", the 10th commit
# after tag 4), whatever object holds it; nor is a name around a release of three or more numbers
# ("IPOS-18.1.1.9.98p30-", "CMTS_V08.02.00.97", "OD-5.10.1 (32333)").
_VERSION_SHAPED = re.compile(r"^[vVrR]?\d+(?:\.\d+)+[\w.\-]*$|(?<![\d.])[vVrR]?\d+\.\d+\.\d+"
                             r"|^[vVrR]?\d+(?:\.\d+)*-\d+-g[0-9a-f]{7,40}$")


# A release and its build after the product name, as one object names both ("FortiSwitch-424E-Fiber
# v7.4.0,build0767,230602 (GA)": FORTINET-FORTISWITCH-MIB fsSysVersion).
_RELEASE_AFTER = re.compile(r"\s+[vV]?\d+(?:\.\d+)+[,\s]+build.*$"
                            # ... or a release of three numbers or more at its end ("HPE 5900AF-48G-4XG-2QSFP+
                            # Switch Software Version 7.1.045", "ExaGrid EX40000E-SEC, 4.8.1.1209.P60").
                            r"|[,\s]+(?:software\s+)?(?:version\s+)?[vV]?\d+(?:\.\d+){2,}\S*$", re.IGNORECASE)


def _model_of(value: str) -> str:
    """The product name alone, without the release and build an object may name after it."""
    return _RELEASE_AFTER.sub("", value)


def _could_be_a_model(value: str, host_name: str) -> bool:
    """Not a kind of entity ("Chassis", "Stack"), not a version, not the device's own name."""
    v = value.strip()
    return not (names_a_kind(v) or _VERSION_SHAPED.search(v) or (host_name and v.casefold() == host_name.casefold()))


def _version_of(value: str) -> str:
    """The version a firmware string names: MIB objects often wrap it in words ("Version 5.170
    V200R010C00SPC600", "INV: 2.08.0011", "15.5.4 (Build 1045)"); a single token stays as it is."""
    words = value.replace(",", " ").split()
    if len(words) <= 1 or WITH_PRODUCT_RELEASE.fullmatch(value):
        return value
    if words[0][:1].isdigit() or (words[0][:1] in "vV" and words[0][1:2].isdigit()):
        return words[0]
    return describe(value).version or value


# A value that opens with a date and a time says when an image was built ("2018-03-23 12:11:15 +1100
# (964571d)": EXALINK-FUSION-MIB fusionInfoSoftware), not which release it is.
_BUILD_STAMP = re.compile(r"\s*\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}")


def _without_maker(serial: str, vendor: str) -> str:
    """The serial without the maker's name some systems write before it ("IBM,02061F57P": AIX's
    IBM-AIX-MIB aixSeSerialNumber, as `uname -u` prints the machine's serial)."""
    maker, comma, rest = serial.partition(",")
    words = vendor.casefold().split()
    if comma and rest and " " not in rest and words and maker.strip().casefold() in (words[0], vendor.casefold()):
        return rest.strip()
    return serial


def _all_zero(version: str) -> bool:
    """A release whose numbers are all zero ("KA.00.00.0000", "0.0.0"): a stack's or an unset image's
    placeholder, never what the device runs (HP's stacks answer it in sysDescr for the whole stack)."""
    digits = [c for c in version if c.isdigit()]
    return bool(digits) and set(digits) == {"0"}


def _first(values: Iterable[Sourced], *, dates: bool = False) -> Sourced:
    """The first value that is not a placeholder, with its spaces squeezed, and its source (a date is
    one only where a serial belongs: "01.17.4945" is a fine firmware version)."""
    for raw, source in values:
        # Control characters are never part of these values (HP's PML objects, for one, start with two
        # octets of type and length).
        v = " ".join(_CONTROL.sub("", raw).split())
        # Some agents quote a whole string value ("\"SiteBoss 571 2.12.570 STD\""): the quotes are not its.
        if len(v) > 2 and v[0] == v[-1] == '"' and '"' not in v[1:-1]:
            v = v[1:-1].strip()
        if v and not is_placeholder(v, dates=dates):
            return v, source
    return "", ""
