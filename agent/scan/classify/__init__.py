"""Identification of devices from what they say: maker, device type, OS family, MAC classes.

Pure except for three registries read lazily once (the IANA enterprise numbers, enterprises.py, the
IEEE OUI registry netaddr ships, macs.py, and the product registry derived from vendor MIBs,
products.py), so every rule is unit-tested with plain values.
One module per job: macs (MAC spelling, class, OUI maker), enterprises (the PEN registry), products
(sysObjectID -> the product a vendor's MIB assigned it; product_mibs regenerates it with pysmi),
vendor_names (one spelling per maker), vendor (which source names the maker), device_type (the
scored type decision), os_family. `classify` is the short form for callers that have only a
system group (LLDP neighbours, tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.scan.classify.device_type import TypeDecision, TypeSignals, decide_type
from agent.scan.classify.enterprises import enterprise_number
from agent.scan.classify.macs import hardware_vendor, mac_class, mac_is_local, mac_vendor, normalise_mac
from agent.scan.classify.os_family import os_family
from agent.scan.classify.vendor import VendorChoice, choose_vendor

__all__ = [
    "Classification", "TypeDecision", "TypeSignals", "VendorChoice", "choose_vendor", "classify", "decide_type",
    "enterprise_number", "hardware_vendor", "mac_class", "mac_is_local", "mac_vendor", "normalise_mac", "os_family",
]


@dataclass(frozen=True, slots=True)
class Classification:
    """Result of classifying an SNMP system group; empty strings mean unknown."""

    vendor: str = ""
    device_type: str = "unknown"
    os_family: str = ""


def classify(sys_object_id: str = "", sys_descr: str = "", *, services: int = 0,
             mibs: frozenset[str] = frozenset()) -> Classification:
    """Vendor, device type and OS family from a system group alone (plus sysServices and PRESENCE MIBs).

    The scanner's own devices go through `choose_vendor` and `decide_type` with every signal
    (snmp/observations.py); this is for what has no more to give, such as an LLDP neighbour's
    system description.
    """
    decision = decide_type(TypeSignals(sys_object_id=sys_object_id, sys_descr=sys_descr, services=services,
                                       mibs=mibs))
    return Classification(vendor=choose_vendor(sys_object_id, descr=sys_descr).vendor, device_type=decision.device_type,
                          os_family=os_family(sys_object_id, sys_descr))
