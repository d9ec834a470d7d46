"""Regenerate the identity-objects registry (mib/identity_objects.py reads it) from vendor MIBs, with pysmi.

Why: most devices nobody tuned for keep their serial number, model and firmware release in an object
of their vendor's MIB (PowerNet-MIB `upsAdvIdentSerialNumber`, FORTINET-CORE-MIB `fnSysSerial`,
SONICWALL-COMMON-MIB `snwlSysFirmwareVersion`), not in ENTITY-MIB. A hand list of such objects holds
for the vendors someone listed; this registry holds them for every vendor whose MIBs are public. The
source is a folder of public vendor MIBs (the shipped table: netdisco-mibs and LibreNMS's MIB folder,
see mib/registry/README.md); `netcensus-agent identity-objects --mibs DIR --out FILE` runs this module.

pysmi (the field's MIB compiler) does all the parsing, through the compile the product registry
shares (agent/scan/mib_build.py: modules served by the name in their `DEFINITIONS ::= BEGIN` line, a
symbol defined twice kept once, as net-snmp accepts). Nothing here reads MIB syntax.

Which objects are candidates (general, for every vendor; the README beside the data says the same):
1. an OBJECT-TYPE under a private enterprise (1.3.6.1.4.1.<PEN>...), readable (read-only,
   read-write or read-create), with a text SYNTAX: OCTET STRING, DisplayString, SnmpAdminString or
   a textual convention that resolves to OCTET STRING and does not name an address, date or other
   binary value (`_BINARY_TC_WORDS`) -- or, for a descriptor closing in "serial number" (perhaps
   followed by device words: MDS-SYSTEM-MIB mSysSerialNumberPlatform), an integer (RAY-MIB serialNumber).
   Every module's definition of an OID is read: where modules disagree (ARICENT-ISS-MIB's releases put
   issHardwareSerialNumber and issConfigRestoreRetries at one OID), the registry lists the text object and
   says its syntax, and the scanner takes no number for text;
2. either a scalar (asked at instance .0), or a column of a table whose first row is the device: a
   table that names the device itself (`_DEVICE_WORDS`: an "ident", "system", "chassis", "unit",
   "nameplate" ... table, the way PowerNet-MIB's rPDU2IdentTable or PANDUIT-PDU-MIB's
   pduNamePlateTable describe "PDU 1"), its main board (`_BOARD_WORDS`: AT-INTERFACES-MIB
   arBoardTable, GW-EPON-MIB gwEponBoardTable, SUPERMICRO-SD5-MIB mbTable) or its physical
   entities as a copy of ENTITY-MIB does (`_ENTITY_WORDS`: SL-ENTITY-MIB slEntPhysicalTable, whose
   first entity is the chassis). Such a column is written as its own OID and the scanner reads
   its first row with a GETNEXT, whatever the index: a unit numbered 127 (MWRM-UNIT-MIB
   genEquipInventoryTable), a bus address (SCHLEIFENBAUER-DATABUS-MIB sdbDevIdTable, row 210), a
   stack member and a board (AT-RESOURCE-MIB rscBoardTable) or entity 0;
3. its descriptor, split into camelCase words, names one of three kinds (`kind_of`):
   serial ("Serial", "SerialNum", "SerialNo", "SerialNumber", "SerialNbr", "SerNum", a closing "SN",
   the device's "Esn"; after "Serial" only its number and device words, else it is the port),
   model ("Model", "ModelName", "ModelNumber", "ProductName", "ProductModel", "MachineType", and a
   closing "DeviceType" or "ProductType", or a device word then "PartNumber" or "PartNo", which the
   scanner weighs after sysDescr: `weak_model_name`) or
   firmware ("FirmwareVersion", "SoftwareVersion", "SwVersion", "FwVersion", "OsVersion", "SoftwareRev",
   "ImageVersion", "FirmwareRevision", "SysVersion", "ProductVersion" ..., with a running, current,
   active, build, main or package word between ("firmwarePackageRev", "sysBuildVersion"), words split
   by their capitals read whole ("SoftWare"), a word left lowercase after capitals as its own
   ("bmcFWversion"), also as one lowercase word,
   "productversion"; "Firmware" alone after a device word: "deviceFirmware", "sysFirmware", and
   "sysSoftware" as a whole descriptor; "Version" after "dev" or "device"; or "version" alone);
4. neither the descriptor nor its table names another part of the device (`PART_WORDS`: battery,
   module, port, slot, fan, power supply, SFP, transceiver, card, disk, sensor, licence, peer,
   neighbour, client, access point, certificate, the image in flash, a trap's payload,
   a failover partner, ...; a controller, except right after an identity group's word: a DC power
   system's `identControllerSerialNumber` is its own), nor a boot loader or BIOS for firmware (`_BOOT_WORDS`),
   and its table is no list of software packages (`_LIST_TABLE_WORDS`); their serials and versions
   are not the device's; nor does the descriptor name a date or time (`_DATE_WORDS`: a firmware's
   build "TimeStamp" is no release);
5. a firmware also where the descriptor names nothing by itself but is the device's serial or model
   prefix and one release word, beside that serial or model in the same group or row: vendors name
   the device's own objects with one prefix (SYMM-SMI etcSerialNbr and etcVersion, IMCO-LSPS-MIB
   sdsSerialNumber and sdsSoftware, EXALINK-FUSION-MIB fusionInfoSerial and fusionInfoVersion). A
   further word names another thing's release (PAN-COMMON-MIB panSysThreatVersion), a hardware word
   the board's (`hwVersion`); these rank after the objects whose own name says what they hold;
6. a serial, model or firmware also where the descriptor names nothing but the object's DESCRIPTION
   says what it holds, of the device (`described_kind`): vendors name objects tersely or in their
   own words (TELDAT-MIB telAdminStatusSystemAppVersion "Version of the application running at the
   moment in the system.", WHISP-BOX-MIBV2-MIB productTypeName "Basic product type...", CAMBIUM's
   cambiumESN "Device' serial number (ESN)...", Alteon's agChassis "Chassis serial number."). Only the
   first sentence counts, without its parentheses (an "e.g., product name" is an example); it must
   name the kind (serial number; model name, number or type, product name, type or ID, not its part
   number; software, firmware or application version or release), name the device (a device word:
   `_DESCRIBED_DEVICE_WORDS`, or "the software" or "the firmware" whose release it is: RS-XX8000-COMMON-MIB
   versionNumberSW "The Rohde&Schwarz revision number of the software, for example 1.2.1.") and
   no other part (criterion 4's words, and the description's own: a fallback image, the release an
   upgrade installs, a major or minor part of a version, the product name of some software); a
   sentence two objects of one group share says nothing about either (RADLAN's copied "Serial number
   of the product." on rlPhdUnitGenParamAssetTag and ...HardwareVersion), and a descriptor naming an
   address, date or key holds that (DRAGONWAVE-HORIZON-QUANTUM-MIB hzQtmGroupAuthenticationKey, "The
   serial number of the group..."). These rank after both kinds above.

Each candidate gets a rank (`rank`): a descriptor or table naming the device itself (`_DEVICE_WORDS`)
first, then scalars before table columns, current objects before deprecated or obsolete ones, then
the shorter, plainer name. The scanner picks per device among its enterprise's candidates, preferring
those under the device's own product subtree (see mib/identity_objects.py).

Output: gzip'd TSV sorted by enterprise, kind and rank, one line per candidate:
`pen<TAB>kind<TAB>oid<TAB>MODULE::descriptor<TAB>syntax`, the oid a scalar's instance (closing in .0) or a
column's own OID (read at its first row; no column of the collection closes in 0, and one that did
would be left out as ambiguous), the syntax "text" or "number", after `#` header lines naming the
source. At most PER_KIND candidates per enterprise and kind are kept. Only this derived table is
written: no MIB text.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from agent.scan import mib_build
from agent.scan.mib_build import BuildError  # raised here too: one error for both registries
from agent.scan.snmp.mib.identity_objects import (
    CAMEL_WORDS,
    COPIES,
    SYNTAXES,
    names_a_device_type,
    names_a_part_number,
    weak_model_name,
)

ENTERPRISES = (1, 3, 6, 1, 4, 1)
PER_KIND = 48  # candidates kept per enterprise and kind (the scanner asks those nearest its sysObjectID first)

# Words of a descriptor or its table that name another part of the device, or another device: the
# serial of a battery, a line card, a transceiver, a managed access point or a licence is not the
# device's. Matched as whole camelCase words, lowercased.
PART_WORDS = frozenset({
    "battery", "batt", "bat", "module", "modules", "mod", "port", "ports", "slot", "slots", "fan", "fans",
    "psu", "supply", "supplies", "sfp", "xfp", "gbic", "qsfp", "transceiver", "trx", "optic", "optics",
    "card", "cards", "blade", "disk", "disks", "drive", "drives", "hdd", "ssd", "raid", "volume", "sensor",
    "sensors", "probe", "license", "licence", "lic", "peer", "neighbor", "neighbour", "nbr", "client",
    "clients", "station", "sta", "remote", "rem", "cpe", "onu", "ont", "subscriber", "user",
    "radio", "antenna", "lamp", "toner", "cartridge", "drum", "ink", "tray", "media", "consumable",
    "option", "accessory", "outlet", "breaker", "inlet", "phase", "circuit", "link", "interface", "if",
    "lldp", "cdp", "sim", "modem", "vm", "guest", "host", "member", "expansion", "daughter", "mezzanine",
    "controller", "ctrl", "cpu", "processor", "memory", "dimm", "mem", "nic", "hba", "enclosure", "shelf",
    "tape", "library", "camera", "lens", "head", "panel", "display", "keypad", "sub", "child", "slave",
    "signature", "sig", "av", "ips", "virus", "engine", "db", "database", "definition",
    "mib", "snmp", "protocol", "spec", "api", "schema", "backup", "standby", "secondary", "previous",
    "prev", "old", "last", "next", "new", "pending", "upgrade", "download", "image2", "alternate", "alt", "bak",
    "inactive", "available", "latest", "required", "min", "max", "target", "file", "files", "filename", "url",
    "vendor", "manufacturer", "mfg", "oem", "contact", "customer", "owner",
    # more parts: transceivers (HP-ICF-TRANSCEIVER-MIB hpicfXcvrSerial, NAG-MIB ddmTransSerialNo), a
    # certificate's serial (HP-AUTH-MIB hpSwitchServerCertificateSerialNumber), a modem, HSM, charger or
    # rectifier inside, a component's VPD (IMM-MIB componentLevelVpdTrackingSerialNumber), a display, a
    # printer's fax or I/O card, the image kept in flash rather than the one running, an amplifier inside
    # (BTI7800-INVENTORY-MIB inventory-preampSerialNumber, TREDESS-FS-MIB amplifierStageSN)
    "xcvr", "ddm", "pluggable", "cert", "certificate", "keystore", "subject", "hsm", "mdm", "charger",
    "preamp", "amplifier", "rectifier", "rectifiers", "diplexer", "baseband", "tuner", "demodulator", "physdisk",
    "drawer", "aircond", "fanbox", "lcd", "mio", "fax", "component", "flash",
    # ... or another device's, or no device's: a trap's payload, what a neighbour sent, what the
    # configuration expects or supports (FASTPATH-INVENTORY-MIB agentInventorySupportedUnitModelIdentifier
    # lists every unit type a stack accepts), a redundancy partner's
    "trap", "received", "expected", "supported", "compatible", "partner", "mate", "alive",
    # ... or a component a table of the device's boards and entities also lists: its PoE controller
    # (ALCATEL-IND1-CHASSIS-MIB chasEntPhysPoeSwVersion), a chip (V1600D chipModel); or an event's
    # payload (SL-EVENT-MIB slEventInventorySerial, HIPATH-WIRELESS-HWC-MIB apEventAPSerialNumber)
    "poe", "chip", "event",
    # ... or a part a device type names (CPQSTDEQ-MIB cpqSeUSBDeviceType, SIEMENS-HP4KHIM-MIB himSCSIDevType,
    # CAMBIUM-PMP80211-MIB cambiumGPSDeviceType, a PTP clock's, an EoC line's far unit, H3C-EOC-COMMON-MIB
    # h3cEOCComCnuDeviceType, a Siemens C-Plug's), or an alert's payload
    "usb", "scsi", "gps", "ptp", "cnu", "cplug", "alert",
    # ... or a part a part number names (CISCO-UNIFIED-COMPUTING-ADAPTOR-MIB cucsAdaptorUnitPartNumber,
    # CPQIODRV-MIB cpqIoDrvInfoPartNumber)
    "adaptor", "adapter", "drv",
})
# Words of a table only (or a column of it) that name other devices: a controller's table of its access
# points has a row per AP, while an AP's own scalar "apSystemModel" is the device's.
_TABLE_PART_WORDS = frozenset({"ap", "aps", "wtp"})
# Words of a table's own name that make it a list of many things: a table of software packages
# (HH3C-SYS-MAN-MIB hh3cSysPackageTable) has a row per package, boot code among them, while a chassis
# table's "DeviceIdPackageSerialNumber" is still the chassis'.
_LIST_TABLE_WORDS = frozenset({"package", "packages"})
# Words that make firmware boot code, not the release the device runs ("hw" is no such word: Huawei's
# and H3C's MIBs prefix every descriptor with it).
_BOOT_WORDS = frozenset({"boot", "bios", "loader", "bootloader", "bootrom", "rom", "uboot", "bootstrap", "cpld",
                         "fpga", "pcb"})
# Words that make an object the management agent's (a UPS's network card: LIEBERT-GP-AGENT-MIB
# lgpAgentIdentSerialNumber) rather than surely the device's; FASTPATH switches, though, keep their own
# inventory under "agentInventory". Ranked after the others, not left out.
_AGENT_WORDS = frozenset({"agent"})
# Words of a descriptor or table that name the device itself (rank first); "ident" as in UPS-MIB's
# upsIdent group, which vendors copy (upsBasicIdent, rPDUIdent, xupsIdent).
_DEVICE_WORDS = frozenset({"sys", "system", "chassis", "unit", "device", "dev", "ident", "identity",
                           "identification", "box", "product", "prod", "appliance", "nameplate", "general",
                           "info", "inventory", "switch", "router", "platform", "node", "equipment", "base", "stack"})
# Words of a table's name that make its first row the device's main board (a device without a board table
# of its own has no other; a chassis' line cards come after the board the agent runs on), or the first of
# the device's physical entities in a vendor's copy of ENTITY-MIB (the chassis, as ENTITY-MIB numbers them).
_BOARD_WORDS = frozenset({"board", "mb", "mainboard", "motherboard", "baseboard"})
_ENTITY_WORDS = frozenset({"entity"})
_ENT_PHYSICAL = ("ent", "physical")  # SL-ENTITY-MIB slEntPhysicalTable, named as ENTITY-MIB's entPhysicalTable
# Textual conventions over OCTET STRING that are not text.
_BINARY_TC_WORDS = frozenset({"address", "addr", "mac", "date", "time", "bits", "octets", "oid", "key",
                              "hex", "password", "ip", "ipv4", "ipv6", "physaddress"})
_TEXT_BASES = frozenset({"OctetString", "DisplayString", "SnmpAdminString", "OCTET STRING"})
_INTEGER_BASES = frozenset({"Integer32", "Unsigned32", "Gauge32", "INTEGER", "Integer"})
_READABLE = frozenset({"read-only", "read-write", "read-create"})
KINDS = ("serial", "model", "firmware")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One object that may hold the device's serial, model or firmware."""

    pen: int
    kind: str
    oid: tuple[int, ...]  # a scalar's instance (.0), or a column's own OID, read at its first row
    name: str             # MODULE::descriptor
    rank: tuple[int, int, int, int, int, str]
    number: bool = False  # an integer in the MIB (RAY-MIB serialNumber), else text

    @property
    def object(self) -> tuple[int, ...]:
        """The OBJECT-TYPE's own OID (a scalar's without its .0)."""
        return self.oid[:-1] if self.oid[-1] == 0 else self.oid


# Words a descriptor's capitals split in two ("deviceSoftWareVersion", "sysFirmWare"), and "Nbr" after
# "serial" (SYMM-SMI etcSerialNbr), which elsewhere is a neighbour (PART_WORDS): read as one would say them.
_JOINED = {("soft", "ware"): "software", ("firm", "ware"): "firmware"}
_AFTER_SERIAL = {"nbr": "number", "nb": "number"}
# A lowercase run that closes in "serial" where the author missed a capital (BTI8xx-TC-MIB
# fruBaseInfoserialNumber): two words.
_GLUED_SERIAL = re.compile(r"([a-z]{2,})(serial)$")


# A word an author left lowercase after an abbreviation in capitals (INSYDE-IPMI-MIB bmcFWversion,
# deviceFWversion): read with its capital, or camelCase makes "F" and "Wversion" of it.
_LOWERCASE_AFTER_CAPITALS = re.compile(r"(?<=[A-Z]{2})(version|serial|model|revision|release)$")


def words(name: str) -> list[str]:
    """A descriptor's camelCase words, lowercased ("upsAdvIdentSerialNumber" -> ups adv ident serial number)."""
    out: list[str] = []
    name = _LOWERCASE_AFTER_CAPITALS.sub(lambda m: m.group(1).capitalize(), name)
    for w in (part for found in CAMEL_WORDS.findall(name) for part in _split_glued(found.lower())):
        if out and (out[-1], w) in _JOINED:
            out[-1] = _JOINED[(out[-1], w)]
        elif out and out[-1] == "serial" and w in _AFTER_SERIAL:
            out.append(_AFTER_SERIAL[w])
        else:
            out.append(w)
    return out


def _split_glued(word: str) -> tuple[str, ...]:
    m = _GLUED_SERIAL.match(word)
    return (m.group(1), m.group(2)) if m else (word,)


# "Serial number" written as one word (Serialnumber, SERIALNUM, serialno, and DB7001-MIB's `sernum`).
_SERIAL_NUMBER_WORDS = frozenset({"serialnumber", "serialnum", "serialno", "sernum"})
# What may follow "serial" in a serial number's descriptor: its number, or words naming the device
# (mSysSerialNumberPlatform). Anything else makes "serial" the port (SONOMA-MIB
# gsysioSerialTimeOutputFormat, CYCLADES-ACS-CONF-MIB cySerialSsh, a "serialBitRate").
_SERIAL_NUMBER_TAIL = frozenset({"number", "num", "no", "n", "numbers", "string", "id", "code"})
_VERSION_OWNERS = frozenset({"dev", "device"})
_ESN_OWNERS = frozenset({"dev", "device", "sys", "system", "chassis", "box", "unit"})
# Words between "software" and "version" that still name the release the device runs (ADVA-FSP3000ALM-MIB
# firmwarePackageRev, NS-ROOT-MIB sysBuildVersion, a "swRunningVersion"), closing the descriptor: a word
# after them names the package (QUANTASTOR-SYS-STATS storageSystem-PackageVerTomcat).
_RUNNING = frozenset({"running", "current", "active", "package", "build", "main"})
_FIRMWARE_OWNERS = frozenset({"device", "sys", "system", "unit", "product", "ident", "node", "chassis", "appliance"})


def kind_of(name: str) -> str:
    """Which of serial/model/firmware a descriptor names by its words, "" for none (criterion 3)."""
    ws = words(name)
    pairs = set(pairwise(ws))
    # ... or "SN" closing the descriptor (FORTINET-FORTIEXTENDER-MIB fextInfoSN; a leading "sn" is
    # Foundry's prefix for everything, snChasSerNum), or the device's ESN, its "electronic serial
    # number" (HUAWEI-DEVICE-EXT-MIB hwDeviceEsn; a cellular modem's or a session's ESN names no device word).
    if _names_a_serial_number(ws) or ("ser", "num") in pairs or ("ser", "no") in pairs \
            or _SERIAL_NUMBER_WORDS & set(ws) or (len(ws) >= 2 and ws[-1] == "sn") \
            or (len(ws) >= 2 and ws[-1] == "esn" and ws[-2] in _ESN_OWNERS):
        return "serial"
    # ... and a closing "MachineType", IBM's, Lenovo's and NetApp's word for the model (IBM-AIX-MIB aixSeMachineType).
    if "model" in ws or {"modelname", "productname"} & set(ws) or ("product", "name") in pairs \
            or ("prod", "name") in pairs or ws[-2:] == ["machine", "type"] or names_a_device_type(name) \
            or _names_the_devices_part_number(name, ws):
        return "model"
    soft = {"firmware", "fw", "software", "softw", "sw", "os", "image", "img", "sys", "system", "product", "prod",
            "code", "op", "opcode", "release", "firm"}
    version = {"version", "ver", "rev", "revision", "vers", "release"}
    # Also written as one word: fwVersion, swVersion, or a whole descriptor (ServersCheck's "productversion").
    if any(a in soft and b in version and a != b for a, b in pairs) or "fwversion" in ws or "swversion" in ws \
            or (len(ws) == 1 and any(ws[0].startswith(a) and ws[0][len(a):] in version for a in soft)) \
            or (len(ws) >= 3 and ws[-3] in soft and ws[-2] in _RUNNING and ws[-1] in version):
        return "firmware"
    # The device's own "Version" (DigiPower-PDU-MIB devVersion), and a descriptor that is "version" alone
    # (CPI-UNITY-MIB, CTMMIB, CXR-TS-MIB, SYNOLOGY-SYSTEM-MIB): in a vendor's MIB, the release of the
    # device it describes. ("infoVersion" is not: NETSCREEN-BGP4-MIB nsBgpInfoVersion is BGP's.)
    if ws == ["version"] or (len(ws) >= 2 and ws[-1] in ("version", "ver") and ws[-2] in _VERSION_OWNERS):
        return "firmware"
    # ... and the identified controller's "Version" (VPWR-DC-POWER-MIB vpwrIdentControllerVersion): a DC power
    # system's controller is the device that answers (see _IDENT_WORDS).
    if len(ws) >= 3 and ws[-1] in ("version", "ver") and ws[-2] == "controller" and _controller_identified(ws):
        return "firmware"
    # A device word then "Firmware" alone (ICT-DISTRIBUTION-PANEL-MIB deviceFirmware, sysFirmware), or
    # the two words alone with "Software" (HILLSTONE-SYSTEM-MIB sysSoftware; longer names such as
    # hwEasyOperationDefaultSysSoftware configure what to load): the release the device runs.
    if len(ws) >= 2 and ws[-2] in _FIRMWARE_OWNERS \
            and (ws[-1] == "firmware" or (len(ws) == 2 and ws[-1] == "software")):
        return "firmware"
    return ""


def _names_the_devices_part_number(name: str, ws: list[str]) -> bool:
    """True when a device word stands right before a closing part number, written as two words
    ("productPartNumber", "devicePartNo") or one (ADVA-MIB inventoryPartnumber); `ws` is words(name)."""
    if not names_a_part_number(name):
        return False
    before = ws[:-1] if ws[-1] in ("partnumber", "partno") else ws[:-2]
    return bool(before) and before[-1] in _DEVICE_WORDS


def _names_a_serial_number(ws: list[str]) -> bool:
    """True when "serial" closes the descriptor or only its number and device words follow it."""
    if "serial" not in ws:
        return False
    tail = ws[ws.index("serial") + 1:]
    return not tail or (tail[0] in _SERIAL_NUMBER_TAIL | _DEVICE_WORDS
                        and all(w in _SERIAL_NUMBER_TAIL | _DEVICE_WORDS or w.isdigit() for w in tail[1:]))


def ends_in_serial_number(name: str) -> bool:
    """Whether a descriptor closes in "serial number" ("serialNumber", "SerNum", "Serialno"), or in
    "serial number" and words naming the device ("mSysSerialNumberPlatform": MDS-SYSTEM-MIB)."""
    ws = words(name)
    while len(ws) > 2 and ws[-1] in _DEVICE_WORDS:
        ws.pop()
    return bool(ws) and (ws[-1] in _SERIAL_NUMBER_WORDS
                         or (len(ws) >= 2 and ws[-2] in ("serial", "ser") and ws[-1] in ("number", "num", "no")))


# Words of an identity group ("ident", as UPS-MIB's upsIdent) after which a controller is the device: a DC
# power system is managed by its controller, which answers SNMP (EES-POWER-MIB identControllerSerialNumber,
# VPWR-DC-POWER-MIB vpwrIdentControllerVersion); elsewhere a controller is one of a device's parts.
_IDENT_WORDS = frozenset({"ident", "identity", "identification"})


# Words that make a descriptor a date or time, whatever else it names (ENLOGIC-PDU2-MIB
# pduNamePlateFirmwareVersionTimeStamp is when the firmware was built, not its release).
_DATE_WORDS = frozenset({"date", "time", "timestamp", "stamp", "datetime"})


def excluded(kind: str, name: str, table: str = "") -> bool:
    """True when a descriptor or its table names another part of the device (criterion 4)."""
    if set(words(name)) & _DATE_WORDS:
        return True
    for n in (name, table):
        ordered = words(n)
        ws = set(ordered) - ({"controller"} if _controller_identified(ordered) else set())
        if ws & PART_WORDS or (kind == "firmware" and ws & _BOOT_WORDS) or (table and ws & _TABLE_PART_WORDS):
            return True
    return bool(set(words(table)) & _LIST_TABLE_WORDS)


def _controller_identified(ws: list[str]) -> bool:
    """True when "controller" directly follows an identity group's word (`_IDENT_WORDS`)."""
    return any(a in _IDENT_WORDS and b == "controller" for a, b in pairwise(ws))


def rank(name: str, table: str, *, scalar: bool, status: str) -> tuple[int, int, int, int, int, str]:
    """Sort key: device words first, agent words last, scalars before columns, current before deprecated,
    plainer names first."""
    ws = set(words(name)) | set(words(table))
    return (0 if ws & _DEVICE_WORDS else 1, 1 if ws & _AGENT_WORDS else 0, 0 if scalar else 1,
            0 if status in ("current", "mandatory", "") else 1, len(words(name)), name)


WHAT = "identity objects"


def index_modules(folder: Path, fallback: Path | None = None) -> dict[str, Path]:
    """MIB module name -> the file of its latest copy under `folder`, or in `fallback` (mib_build.module_copies)."""
    return mib_build.index_modules(folder, WHAT, fallback)


def compile_folder(folder: Path, fallback: Path | None = None) -> dict[str, dict[str, Any]]:
    """pysmi's JSON of every module in `folder` (and of `fallback`'s it lacks) that compiles, by module name
    (agent/scan/mib_build.py).

    Raises:
        BuildError: pysmi is not installed or the folder holds no MIB module.
    """
    # criterion 6 reads DESCRIPTION clauses
    return mib_build.compile_folder(folder, WHAT, texts=True, fallback=fallback)


def _resolved(modules: Mapping[str, Mapping[str, Any]], bases: frozenset[str], *,
              binary_words: frozenset[str] = frozenset()) -> set[str]:
    """`bases` and the names of the textual conventions (in any module) that resolve to one of them."""
    base: dict[str, str] = {}
    for symbols in modules.values():
        for sym in symbols.values():
            if isinstance(sym, dict) and sym.get("class") == "textualconvention":
                t = sym.get("type")
                base.setdefault(str(sym.get("name", "")), str(t.get("type", "")) if isinstance(t, dict) else "")
    found = set(bases)
    for _ in range(4):  # a convention over a convention over OCTET STRING
        found |= {n for n, b in base.items() if b in found and not set(words(n)) & binary_words}
    return found


def _oid(sym: Mapping[str, Any]) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in str(sym.get("oid", "")).split("."))
    except ValueError:
        return ()


def candidates(modules: Mapping[str, Mapping[str, Any]]) -> list[Candidate]:
    """Every candidate of every compiled module (criteria 1-5), best first per enterprise and kind."""
    text = _resolved(modules, _TEXT_BASES, binary_words=_BINARY_TC_WORDS)
    integers = _resolved(modules, _INTEGER_BASES)
    # Every definition of an OID counts, the first of each descriptor: modules disagree on what some OIDs are
    # (ARICENT-ISS-MIB's two releases put issHardwareSerialNumber and issConfigRestoreRetries at .120,
    # NSCRTV-FTTX-EPON-MIB devSn is NSCRTV-EPON-SYSTEM-MIB's Save), and the device's answer, text or number,
    # says which it implements (identity_objects.answers). Tables and rows are looked up at their first.
    by_oid: dict[tuple[int, ...], tuple[str, Mapping[str, Any]]] = {}
    defined: dict[tuple[tuple[int, ...], str], tuple[str, Mapping[str, Any]]] = {}
    for module, symbols in modules.items():
        for sym in symbols.values():
            if isinstance(sym, dict) and sym.get("class") == "objecttype" and (oid := _oid(sym)):
                by_oid.setdefault(oid, (module, sym))
                defined.setdefault((oid, str(sym.get("name", ""))), (module, sym))
    objects = [(oid, module, sym) for (oid, _), (module, sym) in defined.items()
               if oid[:len(ENTERPRISES)] == ENTERPRISES and len(oid) >= len(ENTERPRISES) + 2]

    def found(kinds: Iterable[tuple[tuple[int, ...], str, Mapping[str, Any], str]]) -> dict[tuple[int, ...], Candidate]:
        out: dict[tuple[int, ...], Candidate] = {}
        for oid, module, sym, kind in kinds:
            if kind and (c := _candidate(oid, module, sym, kind, by_oid, text, integers, modules)):
                out.setdefault(c.oid, c)
        return out

    named = found((oid, module, sym, kind_of(str(sym.get("name", "")))) for oid, module, sym in objects)
    # Criterion 5: the release beside the device's own serial or model, named with their prefix.
    prefixes: dict[tuple[int, ...], set[tuple[str, ...]]] = defaultdict(set)
    for c in named.values():
        if c.kind in ("serial", "model") and (prefix := identity_prefix(c.name.partition("::")[2])):
            prefixes[c.object[:-1]].add(prefix)
    beside = found((oid, module, sym, "firmware") for oid, module, sym in objects
                   if (oid[:-1] in prefixes and not kind_of(name := str(sym.get("name", "")))
                       and names_release_of(name, prefixes[oid[:-1]])))
    # Criterion 6: what the DESCRIPTION says, where no two objects of the group share the sentence.
    sentences = {(oid, str(sym.get("name", ""))): first_sentence(str(sym.get("description", "")))
                 for oid, _, sym in objects}
    shared = Counter((oid[:-1], sentence) for oid, sentence in {(oid, s) for (oid, _), s in sentences.items() if s})
    described = found((oid, module, sym, described_kind(sentences[(oid, name)])) for oid, module, sym in objects
                      if not kind_of(name := str(sym.get("name", ""))) and not set(words(name)) & _BINARY_TC_WORDS
                      and shared[(oid[:-1], sentences[(oid, name)])] == 1)
    # ... ranked after the objects whose own name says what they hold, then after criterion 5's; and a
    # descriptor that COPIES or more modules define under one enterprise (a MIB copied for each product
    # line, under its line's OID: D-Link's `sysSerialNumber` in DES-1210-10MEbx, DGS-1210-28ME_AX and
    # twenty more) after the maker's one-of-a-kind objects, which every product answers.
    rows = {**described, **beside, **named}.values()
    copies = Counter((c.pen, c.kind, c.name.partition("::")[2]) for c in rows)
    # A device type or part number, which the scanner weighs after sysDescr, after the model names (not to
    # crowd them out of the few a device is asked).
    return sorted(rows, key=lambda c: (c.pen, KINDS.index(c.kind), c.oid not in named,
                                       weak_model_name(c.name.partition("::")[2]), c.oid in described,
                                       copies[(c.pen, c.kind, c.name.partition("::")[2])] >= COPIES, c.rank, c.oid))


# Words of a description that name the device itself, one of which the sentence must hold (criterion 6).
_DESCRIBED_DEVICE_WORDS = frozenset({"device", "system", "unit", "product", "appliance", "chassis", "equipment",
                                     "box", "switch", "router", "node", "platform", "instrument", "gateway",
                                     "firewall", "ups", "pdu", "server", "nas", "printer", "terminal", "converter"})
# ... and words that make its release something else's: a fallback or upgrade image, part of a version.
_DESCRIBED_OTHER_WORDS = frozenset({"fallback", "upgrading", "directory", "major", "minor", "date"})
_DESCRIBED = (
    ("serial", re.compile(r"\bserial[\s-]*(number|no\b|num\b|#)|\bserialnumber\b", re.IGNORECASE)),
    ("model", re.compile(r"\bmodel (name|number|no|designation|identifier|string|type)\b"
                         r"|\b(product|device|system|unit|hardware|equipment) model\b"
                         r"|\bproduct (name|type|title|id|identifier)\b|\bname of (the )?product\b"
                         r"|\bmodel of (the |this )?(device|system|unit|product|equipment|switch|router|appliance)\b",
                         re.IGNORECASE)),
    ("firmware", re.compile(r"\b(software|firmware|sw|fw|os|application|operating system|code|image|program)\s+"
                            r"(build\s+)?(version|release|revision|level)\b"
                            r"|\b(version|revision|release)( number)? of (the )?(running |current |main |active )?"
                            r"(software|firmware|application|operating system|os|code|program)\b", re.IGNORECASE)),
)
_PARENTHESES = re.compile(r"\([^)]*\)")
# "The revision number of the software": the device's own, though the sentence names no device.
_THE_RELEASE = re.compile(r"\b(version|revision|release)( number)? of the (software|firmware)\b", re.IGNORECASE)


def first_sentence(description: str) -> str:
    """The DESCRIPTION's first sentence, spaces collapsed and parenthesised text left out."""
    text = _PARENTHESES.sub(" ", " ".join(description.split()))
    return " ".join(re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0].split())


def described_kind(sentence: str) -> str:
    """Which of serial/model/firmware a description's first sentence says the object holds, of the
    device itself; "" for none (criterion 6)."""
    ws = {w.lower() for w in re.findall(r"[A-Za-z]+", sentence)}
    names_the_device = bool(ws & _DESCRIBED_DEVICE_WORDS or _THE_RELEASE.search(sentence))
    if not names_the_device or ws & (PART_WORDS | _DESCRIBED_OTHER_WORDS):
        return ""
    for kind, pattern in _DESCRIBED:
        if pattern.search(sentence) and not (kind == "model" and ws & {"software", "version"}) \
                and not (kind == "firmware" and ws & (_BOOT_WORDS | {"kernel"})):
            return kind
    return ""


def _candidate(oid: tuple[int, ...], module: str, sym: Mapping[str, Any], kind: str,
               by_oid: Mapping[tuple[int, ...], tuple[str, Mapping[str, Any]]], text: set[str], integers: set[str],
               modules: Mapping[str, Mapping[str, Any]]) -> Candidate | None:
    """The object as a candidate of `kind`, None when criteria 1, 2 or 4 rule it out."""
    name = str(sym.get("name", ""))
    syntax = sym.get("syntax")
    # Text, or a number whose descriptor ends in "serial number" (RAY-MIB serialNumber is Unsigned32;
    # numbers named "...SerialBaudRate" or "...SerialParity" configure a serial port).
    if sym.get("maxaccess") not in _READABLE or not isinstance(syntax, dict):
        return None
    number = str(syntax.get("type", "")) not in text
    if number and not (kind == "serial" and str(syntax.get("type", "")) in integers and ends_in_serial_number(name)):
        return None
    table = ""
    if sym.get("nodetype") == "scalar":
        instance: tuple[int, ...] = (*oid, 0)
    elif sym.get("nodetype") == "column":
        row = by_oid.get(oid[:-1])
        tab = by_oid.get(oid[:-2])
        if row is None or tab is None or oid[-1] == 0 \
                or not _first_row_is_the_device(row[1], tab[1], integers, modules):
            return None
        table = str(tab[1].get("name", ""))
        instance = oid
    else:
        return None
    if excluded(kind, name, table):
        return None
    return Candidate(oid[len(ENTERPRISES)], kind, instance, f"{module}::{name}",
                     rank(name, table, scalar=not table, status=str(sym.get("status", ""))), number)


# The words that close a serial's or model's descriptor; what stands before them is the prefix the
# vendor gives the device's identity objects ("fusionInfo" in EXALINK-FUSION-MIB fusionInfoSerial).
_IDENTITY_TAIL = frozenset({"serial", "number", "num", "no", "nbr", "sn", "ser", "serialnumber", "serialnum",
                            "serialno", "model", "name", "modelname", "productname", "type", "id"})
# One word that, after that prefix, names a release ("fusionInfoVersion", "sdsSoftware", "infoFirmware").
_RELEASE_WORDS = frozenset({"version", "ver", "vers", "release", "software", "sw", "firmware", "fw"})
# ... but not the hardware's ("hwVersion" beside "hwSerialNumber": ALTEON-CHEETAH-SWITCH-MIB).
_HARDWARE_WORDS = frozenset({"hw", "hardware", "hard"})


def identity_prefix(name: str) -> tuple[str, ...]:
    """The words before a serial's or model's closing words ("etcSerialNbr" -> ("etc",))."""
    ws = words(name)
    while ws and ws[-1] in _IDENTITY_TAIL:
        ws.pop()
    return tuple(ws)


def names_release_of(name: str, prefixes: Iterable[tuple[str, ...]]) -> bool:
    """True when `name` is one of `prefixes` and one release word, naming no hardware (criterion 5):
    SYMM-SMI etcVersion beside etcSerialNbr, IMCO-LSPS-MIB sdsSoftware beside sdsSerialNumber.
    A further word makes it something else's release (PAN-COMMON-MIB panSysThreatVersion)."""
    ws = words(name)
    return len(ws) >= 2 and ws[-1] in _RELEASE_WORDS and tuple(ws[:-1]) in set(prefixes) \
        and not set(ws) & _HARDWARE_WORDS


def _first_row_is_the_device(row: Mapping[str, Any], table: Mapping[str, Any], integers: set[str],
                             modules: Mapping[str, Mapping[str, Any]]) -> bool:
    """A table whose first row is the device, its main board or its chassis entity (criterion 2): its
    name says so, and its rows are numbered (integer indices); a table indexed by addresses or names
    lists other devices (WING-MIB's adopted access points by MAC, a controller's peers by address)."""
    indices = row.get("indices")
    named = words(str(table.get("name", "")))
    if not isinstance(indices, list) or not indices \
            or not (set(named) & (_DEVICE_WORDS | _BOARD_WORDS | _ENTITY_WORDS) or _ENT_PHYSICAL in pairwise(named)):
        return False
    for index in indices:
        sym = _symbol(modules, str(index.get("module", "")), str(index.get("object", ""))) \
            if isinstance(index, dict) else None
        syntax = sym.get("syntax") if isinstance(sym, dict) else None
        if not isinstance(syntax, dict) or str(syntax.get("type", "")) not in integers:
            return False
    return True


def _symbol(modules: Mapping[str, Mapping[str, Any]], module: str, name: str) -> Any:
    """A module's symbol by its MIB descriptor. pysmi keys a descriptor with hyphens by a Python name
    (QUANTASTOR-SYS-STATS `storageSystem-Index` under "storageSystem_Index") while an INDEX clause names
    it as the MIB writes it."""
    symbols = modules.get(module, {})
    return symbols.get(name) or symbols.get(name.replace("-", "_"))


def keep(rows: Iterable[Candidate], per_kind: int = PER_KIND) -> list[Candidate]:
    """The best `per_kind` candidates of each enterprise and kind (rows sorted as `candidates` sorts)."""
    count: dict[tuple[int, str], int] = defaultdict(int)
    out = []
    for c in rows:
        if count[(c.pen, c.kind)] < per_kind:
            count[(c.pen, c.kind)] += 1
            out.append(c)
    return out


def render(rows: Iterable[Candidate], source: str) -> Iterator[str]:
    """The registry file's lines (see the module docstring)."""
    yield "# netcensus identity objects: vendor MIB objects that hold a device's serial, model or firmware\n"
    yield f"# source: {_clean(source)}\n"
    yield ("# columns: enterprise, kind, oid (a scalar's instance .0, or a column read at its first row), "
           "MODULE::descriptor, syntax (text or number) (derived from the MIBs; no MIB text)\n")
    for c in rows:
        yield f"{c.pen}\t{c.kind}\t{'.'.join(map(str, c.oid))}\t{_clean(c.name)}\t{SYNTAXES[c.number]}\n"


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def build(folder: Path, out: Path, *, source: str = "", fallback: Path | None = None) -> int:
    """Compile `folder` (with `fallback`'s modules it lacks), write the registry to `out` (gzip'd, replaced
    atomically); the candidate count.

    Raises:
        BuildError: as compile_folder, when no candidate is found, or `out` cannot be written.
    """
    rows = keep(candidates(compile_folder(folder, fallback)))
    if not rows:
        raise BuildError(f"identity objects: no serial, model or version object under enterprises in {folder}")
    mib_build.write_registry(out, render(rows, source or folder.name), WHAT)
    return len(rows)
