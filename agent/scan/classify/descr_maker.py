"""The maker a device names in its own sysDescr: a copyright line, a DOCSIS `VENDOR:` field, a company name.

Why it comes before the enterprise registry (vendor.py): an enterprise number stays with whoever
registered it, and products move — Ciena's 6500 answers under Nortel's number, HPE's Comware switches
under H3C's, a PDU under the number of the company that wrote its network card. The device's own
text says whose product it is now ("... (c) Ciena (R) Corporation", "Copyright (c) 2010-2014
Hewlett-Packard Development Company, L.P.").

Three general shapes are read, and nothing else:
* a copyright notice: `Copyright`, `(c)` or `©`, optional years and `by`, then the holder up to the
  end of its sentence ("All rights reserved", "Compiled ...", a full stop, a semicolon or the end);
* the `VENDOR:` field of the sysDescr DOCSIS devices must give (CableLabs OSSI, "<<HW_REV: 1; VENDOR:
  Motorola Corporation; BOOTR: ...>>");
* a company named with its legal form: one to four capitalised words followed by Inc., Corporation,
  Corp., Co., Ltd., Limited, LLC, GmbH or AG ("Infinera Corporation - Embedded Node Manager").

Names of software publishers are not makers: an operating system's or an SNMP agent's copyright
("Wind River Systems", "VMware, Inc." on a virtual appliance) says what runs on the box, not who
built it (SOFTWARE_PUBLISHERS).
"""

from __future__ import annotations

import re

from agent.scan.classify.vendor_names import canonical, shorten

# Copyright holders whose notice names the software, not the box (compared after canonical()).
SOFTWARE_PUBLISHERS = frozenset({
    "wind river", "wind river systems", "free software foundation", "the freebsd project", "red hat",
    "canonical", "microsoft", "vmware", "net-snmp", "ucd-snmp", "the regents of the university of california",
    "broadcom", "openbsd", "the openbsd project", "the apache software foundation", "oracle",
})

_YEARS = r"(?:\d{4}(?:\s*[-–,/]\s*\d{2,4})*\s*,?\s*)?"
_COPYRIGHT = re.compile(
    rf"(?:\bcopyright\b\s*(?:\(c\)|©)?|\(c\)|©)\s*{_YEARS}(?:by\s+)?"
    r"(?P<org>[A-Za-z][\w&'./-]*(?:[ ,]+(?!all\b|compiled\b)[\w&'./()-]+){0,6}?)"
    r"\s*(?=$|\.\s|\.$|;|,?\s*all rights|\s+compiled\b|\s+-\s|\s{2,}|[<>\n])",
    re.IGNORECASE)
_DOCSIS_VENDOR = re.compile(r"\bVENDOR:\s*(?P<org>[^;>]+)")
_LEGAL_FORM = re.compile(
    r"(?:^|[,;:]\s*|\s-\s)(?!Copyright\b)(?P<org>[A-Z][\w&-]*(?: [A-Z][\w&-]*){0,3}),? "
    r"(?:Inc\b|Incorporated\b|Corporation\b|Corp\b|Co\.,? Ltd\b|Ltd\b|Limited\b|LLC\b|GmbH\b|AG\b)")


# A holder's name ends at its legal form ("HUAWEI TECH CO., LTD HUAWEI S5720-28X": the product follows).
_ENDS_AT_FORM = re.compile(
    r"^(.*?\b(?:inc|incorporated|corporation|corp|co\.?,? ltd|ltd|limited|llc|gmbh|ag|l\.?p)\b\.?)", re.IGNORECASE)


def named_maker(descr: str) -> str:
    """The maker sysDescr names (canonical spelling), or "" when it names none or only software."""
    text = " ".join(descr.split())
    if not text:
        return ""
    for pattern in (_DOCSIS_VENDOR, _COPYRIGHT, _LEGAL_FORM):
        for match in pattern.finditer(text):
            org = match.group("org")
            if ended := _ENDS_AT_FORM.match(org):
                org = ended.group(1)
            org = org.strip(" ,.;-")
            if not re.search(r"[A-Za-z]{2}", org):
                continue
            name = canonical(org)
            software = {name.casefold(), shorten(org).casefold()} & SOFTWARE_PUBLISHERS
            if name and not software:
                return name
    return ""
