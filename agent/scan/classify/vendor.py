"""Who made the device: its own word first, the MAC's registry only as a last resort.

Order (issue 16, DESIGN.md Scanning):
0. the maker sysDescr names in a copyright notice, a DOCSIS `VENDOR:` field or a company name with its
   legal form (descr_maker.py): the device's own text, which follows a product to its present owner
   when the enterprise number stays with whoever registered it (Nortel's for Ciena's 6500, H3C's for
   HPE's Comware switches); then the maker a printer's IEEE 1284 device ID names (snmp/mib/device_id.py:
   the printer's own word to its drivers, where its print server answers under the enterprise number
   of the server card's maker, Extended Systems' for Zebra's);
0b. a brand sysDescr opens with ("Aruba JL635A 8325 ...") when the device's MAC is registered to
   that same brand, or its ENTITY-MIB chassis names it as manufacturer: two of the device's own
   sources agree on a maker other than the enterprise's registrant (HPE's enterprise number on
   Aruba's CX switches). A first word alone is not enough ("Cyclades ACS 6000" names a product line,
   "EDS Switch" a family), so the OUI or the chassis must confirm it (a chassis "manufacturer" with a
   digit in it is a model in the wrong column, and confirms nothing);
1. the enterprise number of sysObjectID through the IANA registry (enterprises.py): the agent's own
   registration, which a vendor sets in firmware; where IANA names nobody for it, the enterprise as
   the vendor's own MIBs name it (products.enterprise_name: its module's ORGANIZATION);
2. ENTITY-MIB entPhysicalMfgName of the chassis (RFC 6933): the manufacturer the device reports;
3. for a device whose sysObjectID names only its agent's software (or nothing), the enterprise whose
   own MIB it answers (snmp/maker_probe.py: SYNOLOGY-SYSTEM-MIB under 6574 on a net-snmp NAS);
3b. the maker a computer's administrator publishes through net-snmp's `manufacturer` extend (its
   DMI sys_vendor: snmp/mib/extend.py), a statement about the machine where the agent's is about itself;
4. the IEEE OUI of the device's MAC (macs.hardware_vendor), never from zero, broadcast, multicast,
   locally administered, virtual-machine or small-IEEE-block MACs.
Measured on real recordings, the MAC was wrong for a third of the devices it named (a network
module's maker named for the PDU it sits in, a vNIC's hypervisor for a Cisco appliance) and the
device's own word for one in twenty-six.

Some enterprise numbers name the SNMP agent's software, not the box's maker: Net-SNMP's (8072) and
its predecessor UCD-SNMP's (2021) on anything from a NAS to an access point, Microsoft's (311) on
any PC, OpenBSD's snmpd (30155), FreeBSD's bsnmpd (its own 12325 and the FreeBSD project's 2238, both
on any FreeBSD-based appliance), Broadcom's FASTPATH reference agent (4413) on white-label
switches, and the SNMP agents of two chip makers' reference stacks, which keep their maker's number
as sysObjectID in the boxes built on them: Microchip's TCP/IP stack (17095: environment monitors,
I/O and sensor boxes of many small makers) and Vitesse's switch software (6603, now Microchip's:
white-label switches). Neither chip maker sells such boxes; nor does any company the IANA registry
lists as a semiconductor maker (Freescale's 33118 in a generator controller): their numbers name the
chip's reference software too. Nor does a standards body (the IANA registry's "National Standardization
Committee of Radio & Television", whose EPON and HFC MIBs Chinese OLTs and optical amplifiers answer
under its 17409 as sysObjectID; a "... Forum"): its number names the standard the agent implements.
Nor does a monitoring tool's own number, under which its scripts extend the agent of the host it watches
(LibreNMS's 60652: a Linux host answers its MIB beside net-snmp's). They are skipped, and the next source
answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.scan.classify import enterprises, products
from agent.scan.classify.descr_maker import named_maker
from agent.scan.classify.macs import hardware_vendor
from agent.scan.classify.vendor_names import canonical

AGENT_SOFTWARE_PENS: frozenset[int] = frozenset({8072, 2021, 311, 30155, 12325, 2238, 4413, 17095, 6603, 60652})
_CHIP_MAKER = re.compile(r"\bsemiconductors?\b", re.IGNORECASE)
# A standards body as the IANA registry names it: a standardisation committee, or a name closing in
# "Forum" ("Broadband Forum (previously 'DSL Forum')"; "Forum Systems" is a company).
_STANDARDS_BODY = re.compile(r"\b(standardi[sz]ation|committee)\b|\bforum\s*(\(.*\))?\s*$", re.IGNORECASE)


def _named_instead(pen: int) -> str:
    """What enterprise `pen` names where it names no box's maker ("" where it does): an SNMP agent's or a
    chip's reference software (AGENT_SOFTWARE_PENS, a number the IANA registry lists for a semiconductor
    company), or a standard's MIB (a standards body's number)."""
    if pen in AGENT_SOFTWARE_PENS:
        return "the SNMP agent's software"
    organisation = enterprises.organisation(pen)
    if _STANDARDS_BODY.search(organisation):
        return f"a standard's MIB ({organisation})"
    return "the SNMP agent's software" if _CHIP_MAKER.search(organisation) else ""


def names_agent_software(pen: int) -> bool:
    """True when enterprise `pen` names an SNMP agent's or a chip's reference software, or a standard's MIB,
    not a box's maker (_named_instead)."""
    return bool(_named_instead(pen))


def names_its_maker(sys_object_id: str) -> bool:
    """True when sysObjectID is under a maker's own enterprise, not absent nor an SNMP agent's or an OS's
    (names_agent_software): the maker probe is needed only where it is not (snmp/maker_probe.py), and
    HOST-RESOURCES is a computer's only where it is not (device_type.py)."""
    pen = enterprises.enterprise_number(sys_object_id)
    return bool(pen) and not names_agent_software(pen)

# entPhysicalMfgName values that name nobody (seen on white-box and virtual chassis).
_NO_MAKER = frozenset({"", "unknown", "n/a", "na", "none", "null", "-", "default string", "to be filled by o.e.m.",
                       "oem", "generic"})


@dataclass(frozen=True, slots=True)
class VendorChoice:
    """The maker chosen, and why (one short line for the observation's evidence)."""

    vendor: str = ""
    reason: str = ""


def choose_vendor(sys_object_id: str = "", entity_mfg: str = "", mac: str = "", descr: str = "",
                  maker_pen: int = 0, device_id_maker: str = "", published_maker: str = "") -> VendorChoice:
    """The device's maker from its sources in order of trust (see the module docstring).

    Args:
        sys_object_id: dotted sysObjectID.0.
        descr: sysDescr.0.
        entity_mfg: entPhysicalMfgName of the chassis ("" when the device has no ENTITY-MIB).
        mac: the MAC that stands for the device (interfaces.read_interfaces), any spelling.
        maker_pen: the first enterprise whose own MIB the device answers (maker_probe.py), 0 if none.
        device_id_maker: the maker a printer's IEEE 1284 device ID names (snmp/mib/device_id.py), "" if none.
        published_maker: the maker the `manufacturer` extend publishes (snmp/mib/extend.py), "" if none.
    """
    refused: list[str] = []
    if said := named_maker(descr):
        return VendorChoice(said, f"sysDescr names {said!r}")
    if device_id_maker and (brand := canonical(device_id_maker)):
        return VendorChoice(brand, f"its IEEE 1284 device ID names {device_id_maker!r}")
    mac_org, mac_refusal = hardware_vendor(mac) if mac else ("", "")
    if mac_org and _opens_with(descr, brand := canonical(mac_org)):
        return VendorChoice(brand, f"sysDescr opens with {brand!r}, the maker of its MAC's OUI ({mac_org})")
    mfg = " ".join(entity_mfg.split())
    # A "manufacturer" with a digit is the model written in the wrong column ("S3900-24T4S" opening the
    # sysDescr too): it confirms nothing.
    names_a_maker = mfg.lower() not in _NO_MAKER and not any(c.isdigit() for c in mfg)
    if names_a_maker and _opens_with(descr, brand := canonical(mfg)):
        return VendorChoice(brand, f"sysDescr opens with {brand!r}, its ENTITY-MIB manufacturer")
    pen = enterprises.enterprise_number(sys_object_id)
    if pen and (instead := _named_instead(pen)):
        refused.append(f"enterprise {pen} names {instead}")
    elif pen:
        org = enterprises.organisation(pen)
        if org:
            return VendorChoice(canonical(org), f"sysObjectID enterprise {pen} ({org})")
        mib_org = products.enterprise_name(pen)
        if mib_org:
            return VendorChoice(canonical(mib_org), f"sysObjectID enterprise {pen}: not in the IANA registry; "
                                                     f"its MIBs name {mib_org!r}")
        refused.append(f"enterprise {pen} is not in the registry")
    if mfg.lower() not in _NO_MAKER:
        return VendorChoice(canonical(mfg), f"ENTITY-MIB manufacturer {mfg!r}")
    if maker_pen and (org := enterprises.organisation(maker_pen) or products.enterprise_name(maker_pen)):
        return VendorChoice(canonical(org), "; ".join([*refused, f"answers enterprise {maker_pen}'s MIB ({org})"]))
    published = " ".join(published_maker.split())
    if published.lower() not in _NO_MAKER and (brand := canonical(published)):
        return VendorChoice(brand, "; ".join([*refused, f"its snmpd's manufacturer extend says {published!r}"]))
    if mac_org:
        return VendorChoice(canonical(mac_org), "; ".join([*refused, f"MAC OUI ({mac_org})"]))
    if mac_refusal:
        refused.append(mac_refusal)
    return VendorChoice("", "; ".join(refused))


def _opens_with(descr: str, brand: str) -> bool:
    """True when sysDescr's first words are `brand` (case aside), followed by a word boundary."""
    words = " ".join(descr.split()).casefold()
    name = brand.casefold()
    return bool(name) and words.startswith(name) and (len(words) == len(name) or not words[len(name)].isalnum())
