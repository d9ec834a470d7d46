"""sysDescr (SNMPv2-MIB, RFC 3418) -> the model, OS/firmware version and serial it names.

sysDescr is free text, but vendors write it in a handful of recurring shapes; each pattern below is
general by the kind of text it handles, never keyed on one device's values:

- labelled versions: "Version 12.2(55)SE3", "SoftWare Version 7.0.3.1", "EOS version 4.20.5F",
  "Version: V1.01.10.B19P06" (but not "BootRom Version" or "HardWare Version": those are not what
  the device runs, nor any version inside a boot loader's or the hardware's clause, up to its comma:
  "U-Boot 2013.01 (V1.0.1.29)", "Btldr 1.06.09", "H/w ZBBNC2 Rev 1.01.06");
- a product joined to its release opening the text ("TrueNAS-11.2-U7 ...", "XG6846_4.12ITT01.99"), and
  appliances' uname text ("pfSense <host> 2.4.5-RELEASE-p1 ...");
- other labels, the software's before the firmware's: "SW: 3.4", "software: PowerAlert 15.5.4", then
  "firmware 2.1", "fw:60.7050", then "Release 8.2.3", "revision Z.14.31", "Rel.NSAE.8.4.0.8";
- an OS product name followed by its version: "JUNOS 12.3R6.6", "OneFS v7.2.1.0", "RouterOS 6.45.9";
- bare version tokens: "V1.2.3", VRP-style "V200R007C20SPC200", a dotted "9.0.3.5";
- on "Linux <host> <kernel> #n ..." (uname -a, as net-snmp prints it) the kernel release, last;
- models: labelled ("MODEL: Aruba7010", "MN:AP7902B", "MD:PX3-5493U-K2"), "running on an Arista Networks
  DCS-7150S-52-CL", a parenthesised product code after a product word ("Routing Switch(S5750-24GT/12SFP)"),
  a product name and its number opening the text ("SiteBoss 360", "TZ 570"), else the first product
  token before the software part ("D-Link DES-3028 Fast Ethernet Switch", "Brocade Communications
  Systems, Inc. ICX6430-24, IronWare ...", "S12704");
- serials: labelled ("SN: 5A1551F39430", "(SN 11120051132123)", "Device serial number GOSWE120F...").

Pure; unit-tested with sysDescr strings of recorded devices (tests/agent/scan/snmp/test_describe.py),
including texts that must yield nothing (a host name, a CPU's "Model 9", a compile date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A version token: starts with a digit (or v/V + digit), then word characters, dots, dashes, and
# parenthesised parts as Cisco writes them ("15.2(4)E8", "6.0(2)N2(3)").
_VER = r"[vV]?\d[\w.\-]*(?:\([\w.]+\)[\w.\-]*)*"
# ... and after a word that names the running software ("Version: r13107_788", "Software R6.10"), also
# an "r"-prefixed release (a hardware "Rev:R3L" is no such word).
_RUNNING_VER = r"[rR]?" + _VER

# "Version X" and its spellings; the word before it must not name boot or hardware code.
_VERSION_LABEL = re.compile(
    r"(?<![\w-])(?:(?P<pre>[A-Za-z][\w-]*)[ \t]+)?(?:software[ \t]+)?ver(?:sion|\.)?[ \t]*[:=]?[ \t]*"
    r"(?P<v>" + _RUNNING_VER + ")",
    re.IGNORECASE)
_NOT_RUNNING = frozenset({"boot", "bootrom", "rom", "hardware", "hw", "bios", "pcb", "loader", "bootloader",
                          "uboot", "u-boot", "cpld", "fpga", "board", "hardwareversion", "manager", "protocol"})
# Other labels a version follows.
# Other labels, the software's before the firmware's before release/revision/build ("FW:6.0.0.18
# SW:v6.3.2.011": the software is what the device runs).
def _label(words: str, version: str = _VER) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + words + r")\b\.?[ \t]*[:=]?[ \t]*"
                      r"(?:[A-Za-z][\w\-]{2,}[ \t.]+)?(?P<v>(?:[A-Za-z]{1,2}\.)?" + version + ")", re.IGNORECASE)


_OTHER_LABELS = (_label("sw|swv|software|sw_rev", _RUNNING_VER), _label("firmware|fw", _RUNNING_VER),
                 _label("release|rel|revision|rev"))
# A build number is the release's only where no dotted release is named ("VMware-vCenter-Server-Appliance
# 7.0.0.10100 generic build 16386292", "15.5.4 (Build 1045)"): read after every other shape.
_BUILD_LABEL = _label("build")
# "TrueNAS-11.2-U7 ...", "XG6846_4.12ITT01.99", "CMTS_V08.02.00.97": a product name joined to its
# version opens the text.
_LEADING_PRODUCT_VERSION = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z][A-Za-z0-9]*)*[-_][vV]?"
                                      r"(?P<v>\d+(?:\.\d+)+[\w.\-]*)")
# Appliances whose sysDescr is uname text with their own product name first: the release is theirs.
_APPLIANCE_UNAME = re.compile(r"^(?:pfSense|OPNsense)[ \t]+\S+[ \t]+(?P<v>\d[\w.\-+~]*)")
# An OS product name and its version, e.g. "kernel JUNOS 12.3R6.6", "Isilon OneFS v7.2.1.0".
_OS_NAMES = (r"JUNOS|Junos OS|EOS|NX-OS|IOS(?:-XE|-XR)?|RouterOS|FortiOS|PAN-OS|ScreenOS|DSM|QTS|ONTAP|OneFS|AOS|"
             r"ExtremeXOS|FTOS|Comware|VRP|SonicOS|ArubaOS|AsyncOS|IronWare|FabOS|Fabric OS|airOS|EdgeOS|UniFi|"
             r"SwitchOS|Cumulus Linux|VyOS|pfSense|OPNsense|FreeBSD|OpenBSD|NetBSD|SunOS|Solaris|AIX|HP-UX|HiveOS|"
             r"AOS-CX|ArubaOS-CX|OcNOS|SONiC|TiMOS|SR OS|IOS XR|NX-OS|EXOS|FSOS|RGOS|Comware|ZyNOS|AirOS|RouterOS|ESXi|"
             r"KeeneticOS|OS/400|VxWorks|NOS")
_OS_VERSION = re.compile(r"(?<![\w-])(?:" + _OS_NAMES + r")(?:\(tm\))?[ \t]+(?:version[ \t]+)?(?P<v>" + _VER + ")",
                         re.IGNORECASE)
# Bare version tokens: "V1.2.3", Huawei/H3C VRP-style "V200R007C20SPC200", or three-part dotted numbers.
# ... and HP/Aruba-style letter-prefixed releases ("PK.1.38", "WC.16.10.0009", "FL.10.10.1030"), and a
# release "R6.5.02r" opening the text (Nokia ISAM: the release, then the shelf type).
_V_TOKEN = re.compile(
    r"(?<![\w.])(?P<v>[vV]\d+(?:\.\d+)+[\w\-]*|V\d{3,4}R\d{3,4}\w*|[A-Z]{1,3}\.\d+(?:\.\d+)+\w*|"
    r"(?<=^)R\d+(?:\.\d+){2,}[a-z]?)(?![\w.])")
# Labels that put a hardware or board revision, or the boot code's, before a version token ("MB:v4.1.0",
# "HW: V1.2", DOCSIS's "BOOTR: V00.01.00").
_HARDWARE_BEFORE = re.compile(r"(?:\b(?:MB|HR|HW|PCB|ROM|BOOTR|boot(?:rom|loader)?|BIOS|loader|board|hardware)"
                              r"[ \t]*[:=]?[ \t]*)$", re.IGNORECASE)
# ... or open a clause the version stands in, up to its comma or semicolon or a software word ("U-Boot
# 2013.01 (V1.0.1.29)", "Btldr 1.06.09", "H/w ZBBNC2 Rev 1.01.06"; "Hardware: ... - Software: Windows
# Version 6.3" names the software's).
_IN_HARDWARE_CLAUSE = re.compile(
    r"(?<![\w-])(?:u-?boot|boot(?:rom|loader|code)?|btldr|bios|h/w|hw|hardware|pcb)\b"
    r"(?:(?!\b(?:software|sw|firmware|fw|app|os)\b)[^,;])*$", re.IGNORECASE)
# Three dotted numbers or more, also after the "-" or "_" that joins them to a product's name in the
# middle of the text ("InstantOn_1930_1.0.5.0", "IPOS-18.1.1.9.98p30-Release").
_DOTTED = re.compile(r"(?<![A-Za-z0-9.:/#])(?P<v>\d+\.\d+\.\d+[\w.\-]*)(?![\w:/])")
# uname -a as net-snmp's default sysDescr prints it: "Linux <host> <release> #<n> ...".
_KERNELS = r"^(?:Linux|FreeBSD|OpenBSD|NetBSD|Darwin|SunOS)"
_UNAME = re.compile(_KERNELS + r"[ \t]+\S+[ \t]+(?P<v>\d[\w.\-+~]*)")
# uname text whose host name the device leaves out ("Linux 2.6.32.68 #1 Fri Dec 16 ..."; airOS does):
# the release, then the kernel build's "#<n>".
_UNAME_NO_HOST = re.compile(_KERNELS + r"[ \t]+(?P<v>\d[\w.\-+~]*)[ \t]+#\d")
_UNAME_START = re.compile(_KERNELS + r"\s", re.IGNORECASE)
# AIX's uname -a: "AIX <host> <release> <version> <machine id>", release and version apart ("AIX host 1 7":
# AIX 7.1), as net-snmp on AIX answers sysDescr.
_AIX_UNAME = re.compile(r"^AIX[ \t]+\S+[ \t]+(?P<r>\d+)[ \t]+(?P<v>\d+)(?![\w.])")
# The Windows SNMP service's "Software: Windows Version 6.3 (Build 17763 ...)": the service is not
# manifested for Windows 10, so Windows reports 6.3 to it on every NT 10.0 release (Windows 10 and 11,
# Server 2016 to 2025); the build (10240 and later) says which, and is what Microsoft's advisories name.
_WINDOWS_BUILD = re.compile(r"\bWindows\b[^-;]*?\bVersion 6\.3\s*\(Build(?: Number:)?\s*(?P<b>\d{5,})\b")
_FIRST_NT10_BUILD = 10240
# IBM's VRMF fileset level as the AIX agent writes it, zero-padded ("06.01.0009.0300"): lslpp and IBM's
# advisories write the same level without the padding ("6.1.9.300").
_VRMF_PADDED = re.compile(r"\d{2}\.\d{2}\.\d{4}\.\d{4}")
# Dates and times are never versions ("3/10/2017", "2014-03-13", "14:00:00").
_DATE = re.compile(r"^\d{1,4}[/-]\d{1,2}[/-]\d{1,4}$|^\d{1,2}:\d{2}")
# Nor is a source commit, a run of 7 to 40 hex digits with letters among them ("Mimosa B5c Firmware
# v92329ce" names the build's commit; its MIB names the release, 2.3.3): it orders no release.
_COMMIT = re.compile(r"[vV]?(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}")

# Models.
_MODEL_LABEL = re.compile(r"(?<![\w-])(?:model|MN|MD|product|prod)[ \t]*[:=][ \t]*(?P<m>[\w][\w\-/+.]*)",
                          re.IGNORECASE)
# A whole sysDescr that is a product name (one to four words, the first starting with a letter) and its
# release: nothing else in the text could be the model.
# (its label, "Version 1.00.07", is no part of the name, and no word of the name is a label or a dash).
_RELEASE_LABELS = r"(?:version|ver|release|rel|firmware|fw|software|sw|rev|revision)"
_NAME_WORD = r"(?!" + _RELEASE_LABELS + r"\b)[\w\-/+]*[A-Za-z0-9][\w\-/+]*"
_NAME_THEN_RELEASE = re.compile(r"(?P<m>[A-Za-z][\w\-/+]*(?: " + _NAME_WORD + r"){0,3}?),?(?: " + _RELEASE_LABELS
                                + r"\.?:?)? (?P<v>[vV]?\d+(?:\.\d+)+[\w.\-]*)", re.IGNORECASE)
# ... whose release reads as one where two numbers alone may be a product's generation ("OSEDelta 4.6"):
# three numbers or more, or a letter closing it ("2.2w").
_READS_AS_RELEASE = re.compile(r"[vV]?\d+(?:\.\d+){2,}[\w.\-]*|[vV]?\d+(?:\.\d+)+[a-z]", re.IGNORECASE)
_RUNNING_ON = re.compile(r"\brunning on (?:an? )?(?P<rest>[^,;()]+)", re.IGNORECASE)
_PAREN_PRODUCT = re.compile(
    r"(?:switch|router|firewall|module|gateway|controller|appliance|server|camera|printer|ups)[ \t]*"
    r"\((?P<m>[A-Za-z0-9][\w\-/+.]*\d[\w\-/+.]*)\)", re.IGNORECASE)
# Where the software part of a sysDescr begins: no model token is taken from there on.
_SOFTWARE_PART = re.compile(
    r"\b(?:software|version|copyright|compiled|kernel|firmware|release|build|rev(?:ision)?)\b|\(c\)|©",
    re.IGNORECASE)
_TOKEN = re.compile(r"[^\s,;]+")
# Tokens that look like product codes but are not: CPU architectures, speeds, standards, codecs, hex codes
# (AIX's "Machine Type: 0x0800004c"), a commit (lowercase hex), a long hex id (a MAC, a processor id) and a
# MAC written with dashes; a short run of capitals and digits that happens to be hex is a product's code
# ("CE12804").
_NOT_MODELS = re.compile(
    r"^(?:x86(?:_64)?|i[3-6]86|amd64|arm\w*|aarch64|mips\w*|ppc\w*|sparc\w*|ia64|s390x?|"
    r"\d+(?:/\d+)+|\d+[mgt](?:b|bps)?|\d+g?base-?\w+|ipv[46]|802\.\w+|h\.26[45]|x\.\d+|"
    r"(?-i:[0-9a-f]{7,})|[0-9A-F]{10,}|0x[0-9a-f]+|[0-9a-f]{2}(?:-[0-9a-f]{2}){5}|\d+-?bit|\d+(?:st|nd|rd|th)|v?\d+(?:\.\d+)+[\w\-]*|#\d+|\d+[kmg]b|\w+\(tm\)|\w+\(r\)|.*V\d{3,4}R\d{3,4}.*|[A-Z]{1,3}\.\d+(?:\.\d+)+\w*)$",
    re.IGNORECASE)
_PRODUCT = re.compile(r"^[A-Za-z0-9][\w\-/+.]*$")
# Words that open a sysDescr before a number without naming a product ("Version 5", "Release 8").
_WORDS = frozenset({"version", "release", "build", "rev", "revision", "firmware", "software", "linux", "kernel",
                    "hardware", "model", "series", "type", "unit", "port", "slot", "the", "and", "for", "with",
                    "data", "center", "system", "switch", "router", "device", "module", "card", "ups", "pdu",
                    # a date's words: "Feb 13 2026" on the line after an OS's name is its build's date
                    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
                    "mon", "tue", "wed", "thu", "fri", "sat", "sun"})

# Serials.
_SERIAL_LABEL = re.compile(
    r"(?<![\w-])(?:S/?N(?=[ \t]|[ \t]*[:#=])|serial(?:[ \t]+(?:number|no\.?|num))?)[ \t]*[:#=]?[ \t]*"
    r"(?P<s>[A-Za-z0-9][\w\-]*(?:/\w+)?)",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Described:
    """What a sysDescr names; "" where it names nothing."""

    model: str = ""
    version: str = ""
    serial: str = ""


def describe(descr: str, *, host_name: str = "", vendor: str = "") -> Described:
    """The model, version and serial a sysDescr names.

    Args:
        descr: sysDescr as the device answered it (several lines allowed).
        host_name: the device's sysName; a token equal to it, or to the serial, is never its model.
        vendor: the vendor already known (sysObjectID, ENTITY-MIB); its name is never the model.
    """
    descr = descr.strip(" \t\r\n\"'\\")  # some agents quote the whole text
    text = " ".join(descr.split())
    if not text:
        return Described()
    serial = _serial(text)  # the serial a label names is never the model too
    maker = next(iter(vendor.split()), "").casefold()  # the vendor's first word: its name in a sysDescr
    not_models = {n.casefold() for n in (host_name, maker, serial) if n}
    return Described(model=_model(descr, text, not_models, maker), version=_version(text), serial=serial)


def is_uname(descr: str) -> bool:
    """True when sysDescr is uname -a text ("Linux <host> <kernel release> #1 SMP ..."), as net-snmp prints it,
    with or without the host name."""
    return bool(_UNAME.match(descr) or _UNAME_NO_HOST.match(descr))


def _clean_version(v: str) -> str:
    v = v.rstrip(".-,")
    while v.endswith(")") and v.count(")") > v.count("("):
        v = v[:-1]
    if v.count("(") > v.count(")"):
        v = v[:v.rindex("(")]
    if _DATE.match(v) or _COMMIT.fullmatch(v):
        return ""
    if _VRMF_PADDED.fullmatch(v):
        return ".".join(str(int(part)) for part in v.split("."))
    # "v7.2.1.0" and "7.2.1.0" are one version; VRP-style "V200R007" keeps its letter.
    if v[:1] in "vV" and re.fullmatch(r"[vV]\d+(?:\.\d+)+[\w\-]*", v):
        v = v[1:]
    return v if any(c.isdigit() for c in v) else ""


# The product's own release in parentheses after the platform's version, as Huawei's VRP and YunShan
# write it ("Version 5.170 (S5720 V200R010C00SPC600)"): the release advisories name, kept beside the version.
_PRODUCT_RELEASE_AFTER = re.compile(r"[ \t]*\((?:[\w\-]+[ \t]+){0,3}(?P<r>V\d{3}R\d{3}\w*)\)")
# ... and the version so kept: "5.170 (V200R010C00SPC600)" (snmp/identify.py keeps it whole).
WITH_PRODUCT_RELEASE = re.compile(r"\S+ \(V\d{3}R\d{3}\w*\)")


def _version(text: str) -> str:
    if (win := _WINDOWS_BUILD.search(text)) and int(win.group("b")) >= _FIRST_NT10_BUILD:
        return f"10.0.{win.group('b')}"
    for m in _VERSION_LABEL.finditer(text):
        if (m.group("pre") or "").lower() not in _NOT_RUNNING and (v := _clean_version(m.group("v"))):
            release = _PRODUCT_RELEASE_AFTER.match(text, m.end("v"))
            return f"{v} ({release.group('r')})" if release else v
    if aix := _AIX_UNAME.match(text):
        return f"{aix.group('v')}.{aix.group('r')}"
    for lead in (_LEADING_PRODUCT_VERSION, _APPLIANCE_UNAME):
        if (m0 := lead.match(text)) and (v := _clean_version(m0.group("v"))):
            return v
    if v := _running(text, _OS_VERSION, *_OTHER_LABELS, _V_TOKEN):
        return v
    if uname := _UNAME.match(text):
        return _clean_version(uname.group("v"))
    # The whole text is a product name and its release ("Alta AP6 2.2w"): the release is that last token.
    if (named := _NAME_THEN_RELEASE.fullmatch(text)) and _READS_AS_RELEASE.fullmatch(named.group("v")) \
            and (v := _clean_version(named.group("v"))):
        return v
    return _running(text, _DOTTED, _BUILD_LABEL)


def _running(text: str, *patterns: re.Pattern[str]) -> str:
    """The first version the patterns find, in their order, that no hardware or boot-code label precedes."""
    for pattern in patterns:
        for m in pattern.finditer(text):
            # (the clause is read up to the version itself: its own label may close it, "HW:0x10 FW:4.2")
            if not (_HARDWARE_BEFORE.search(text[:m.start()]) or _IN_HARDWARE_CLAUSE.search(text[:m.start("v")])) \
                    and (v := _clean_version(m.group("v"))):
                return v
    return ""


# A labelled name without digits: letters, perhaps in hyphenated parts ("Integra", "ArubaMC-VA").
_ALPHA_NAME = re.compile(r"[A-Za-z]{3,}(?:-[A-Za-z]+)*")


def _model(descr: str, text: str, not_models: set[str], maker: str) -> str:
    for found in _MODEL_LABEL.finditer(text):
        # A label vouches for the value: a model may be all digits ("MODEL: 225", not a lone "Model:2")
        # or a name without digits ("Prod: Integra", "MODEL: ArubaMC-VA"), never a date.
        label = found.group("m").rstrip(".)")
        vouched = (label.isdigit() and len(label) >= 3) or (_ALPHA_NAME.fullmatch(label) is not None
                                                              and label.casefold() not in _WORDS)
        if _is_model(label, not_models) or (vouched and label.casefold() not in not_models):
            return label
    if m := _RUNNING_ON.search(text):
        rest = m.group("rest").strip()
        tokens = [t for t in rest.split() if _is_model(t, not_models)]
        if tokens:
            return tokens[-1]
        if 1 < len(rest.split()) <= 6 and any(c.isdigit() for c in rest):
            return rest  # "running on a MetaMux 48 with L-Series"
    if m := _PAREN_PRODUCT.search(text):
        return m.group("m")
    if _UNAME_START.match(text) or text.lower().startswith("hardware:"):
        return ""  # uname text (the next word is the host name) or the Windows agent's CPU description
    # The whole text is a product name and its release ("USW-Flex 5.76.7.13442", "Room Alert 4E v4.2.4").
    if (named := _NAME_THEN_RELEASE.fullmatch(text)) and not _OS_VERSION.match(text):
        name = named.group("m")
        if name.split()[0].casefold() not in not_models | _WORDS:
            return name
    # Line by line: the product may open the second line where the first names the OS alone
    # ("MyPower (R) Operating System Software" then "MyPower S3220 version 6.6.4.1.3").
    for line in descr.strip().splitlines():
        if model := _model_in_line(line, not_models, maker):
            return model
    return ""


def _model_in_line(line: str, not_models: set[str], maker: str) -> str:
    """The product name or code one line of sysDescr opens with, before its software part."""
    cut = _SOFTWARE_PART.search(line)
    head = line[:cut.start()] if cut else line
    tokens = [_unglued(t.strip(".:()[]"), maker, not_models) for t in _TOKEN.findall(head)]
    # "SiteBoss 530", "Netman 204", "TZ 570": a product name and its number open the text (a one-digit
    # number only when the two words are the whole text: "ZyWALL 2X").
    for i in range(min(2, len(tokens) - 1)):
        name, number = tokens[i], tokens[i + 1]
        digits = r"\d{1,5}" if len(tokens) == 2 else r"\d{2,5}"
        if (name.isalpha() and len(name) >= 2 and name.casefold() not in not_models and name.casefold() not in _WORDS
                and re.fullmatch(digits + r"[A-Za-z]{0,2}", number)):
            return f"{name} {number}"
    for i, tok in enumerate(tokens):
        if _is_model(tok, not_models):
            # "ZXR10 5250-52TM-H", "EATON 93E 80": a following numeric or product token is part of it.
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt and (nxt.isdigit() or _is_model(nxt, not_models)) and len(tok) + len(nxt) < 32:
                return f"{tok} {nxt}"
            return tok
    return ""


def _unglued(tok: str, maker: str, not_models: set[str]) -> str:
    """A product code without its maker's name glued before it ("HUAWEICE12804" -> "CE12804")."""
    if len(maker) >= 3 and len(tok) > len(maker) and tok.casefold().startswith(maker) \
            and _is_model(rest := tok[len(maker):], not_models):
        return rest
    return tok


def _is_model(tok: str, not_models: set[str]) -> bool:
    """A product code: letters and digits (or digits with a dash), 3-32 characters, not a version or
    architecture, not the device's own name nor its vendor's."""
    if not (3 <= len(tok) <= 32) or not _PRODUCT.match(tok) or _NOT_MODELS.match(tok):
        return False
    if tok.casefold() in not_models:
        return False
    has_digit = any(c.isdigit() for c in tok)
    has_alpha = any(c.isalpha() for c in tok)
    return has_digit and (has_alpha or "-" in tok) and not _DATE.match(tok)


def _serial(text: str) -> str:
    for m in _SERIAL_LABEL.finditer(text):
        s = m.group("s")
        if len(s) >= 4 and any(c.isdigit() for c in s) and s.lower() not in ("number", "num"):
            return s
    return ""
