"""What kind of device it is, from the evidence it gives: a scored decision that keeps its reasons.

Why scores and not a table of vendors: one vendor makes routers, switches, firewalls and access
points, and one operating system (Linux) runs in all of them, so neither a vendor nor "Linux" is a
type (issue 16: 19 of 29 wrong types were "server" for Linux-based APs, routers, PDUs and BMCs).
Each signal below adds points to the types it speaks for; the best total of at least MIN_SCORE
wins, ties going to the more specific type (PRECEDENCE); each signal that counted is kept as a
reason ("printer-mib answers (+6)") for the observation's evidence.

Signals, all standard:
* which standard MIBs answer (oids.PRESENCE, asked in the census request the scanner sends
  anyway): Printer-MIB (RFC 3805) and HOST-RESOURCES hrPrinterTable (RFC 2790) -> printer;
  UPS-MIB (RFC 1628) -> ups; IEEE 802.11 MIB (IEEE Std 802.11 Annex C) -> wireless;
  BRIDGE-MIB / Q-BRIDGE-MIB (RFC 4188 / 4363) -> switch; HOST-RESOURCES hrSystem -> a host, only
  where sysObjectID names the SNMP agent or the OS (net-snmp's, Microsoft's): under a vendor's own
  sysObjectID it is an appliance's agent implementing the MIB, and its hrPrinterTable a printer's; so
  it is under a sysDescr its maker wrote (a product's name where the agent would say its OS or uname);
  a PC's CPU (x86_64, amd64, i386 as uname -m ends a Unix sysDescr) under that same agent's or OS's
  sysObjectID counts as hrSystem does where the agent's view leaves HOST-RESOURCES out;
  CAPWAP-BASE-MIB (RFC 5833) and the AP tables of controller MIBs -> wireless (a controller);
* IP-MIB ipForwarding (RFC 4293): 1 = the device forwards (router), weakly; BGP4-MIB peers (RFC 4273)
  and OSPF-MIB ospfAdminStat enabled (RFC 4750): a routing protocol at work (router; OSPF weakly);
* sysServices (RFC 3418 layer bits): 0x02 datalink, 0x04 internet, 0x08 end-to-end, 0x40 applications;
* interface types (IANAifType-MIB): IEEE 802.11 radios (ieee80211(71) and CAPWAP's 802.11 ifTypes; one
  or two beside four or more Ethernet ports: a router's built-in Wi-Fi; radios typed as Ethernet count
  by their driver's name, "ath0", "wlan0", on a device that is not a computer), many Ethernet ports
  (a switch, weakly), and the interfaces only network infrastructure terminates
  (_INFRASTRUCTURE_IFTYPES: carrier, access-line, optical-transport, VLAN, link-aggregation and
  radio-link interfaces);
* ENTITY-MIB classes (RFC 6933): stack(11) and many port(10) entities;
* the kinds of device a host lists (HOST-RESOURCES-MIB hrDeviceType, RFC 2790 HOST-RESOURCES-TYPES): a
  tape drive(18) says a server (a computer that backs up to tape; a tape library answers its own MIB);
  printer rows count as a printer's own only where the printer is the first device (else they are a
  computer's print queues, listed after its processors);
* what the entities' sensors measure (ENTITY-SENSOR-MIB entPhySensorType, RFC 3433): relative
  humidity (percentRH) is an environmental monitor's measure (network gear's sensors read
  temperatures, fan speeds, voltages, currents and optical power);
* sysDescr words, matched on word boundaries, after removing phrases that contain a type word
  but mean something else ("Automatic Transfer Switch" is not a switch);
* a vendor's product subtree, only where the vendor's MIB says what the whole subtree is
  (PRODUCT_SUBTREES, each citing its MIB): sysObjectID's, or, where sysObjectID names only the SNMP
  agent's software, the subtree of the first object the device answers under its maker's enterprise
  (snmp/maker_probe.py: a Check Point firewall on net-snmp answers CHECKPOINT-MIB's products subtree);
* the product the sysObjectID is registered as in the vendor's MIB (classify/products.py): the
  words its DESCRIPTION and its name use for their own kind ("... Ethernet Switch", `hpSwitchJ9019A`,
  "Access Point", "UPS"), with the same word-boundary patterns as sysDescr's strongest words (the
  device naming its kind), weighing PRODUCT_POINTS: less than the device's own sysDescr, since a
  registry entry is sometimes a family's text written once for many products; a product family (the
  registered parent of products, for a device the MIBs do not list) weighs FAMILY_POINTS;
* the vendor MIB rooted at the sysObjectID, where no product is registered there (classify/products.py
  module_rooted_at): the words its module's name uses for its kind ("WebGraph-Thermometer-MIB",
  "XG-FIREWALL-MIB"), weighing FAMILY_POINTS;
* the vendor MIB nearest above the sysObjectID, where its objects' names speak mostly of one kind
  (ECS3510-MIB's VLANs and spanning tree, HAWK-I2-MIB's outlets; classify/product_mibs.py
  spoken_kind, derived when the registry is built): a product line's MIB says what it manages,
  weighing MODULE_KIND_POINTS;
* only where nothing else decides: the products and product-line MIBs the vendor registered beside
  the sysObjectID, when two thirds of at least two name one kind (classify/products.py kind_beside: a
  product newer than the public MIBs, whose line's siblings are in them), weighing just MIN_SCORE;
* the vendor MIB objects the device answered (its serial, model or version objects from the public
  MIBs' registry, snmp/mib/identity_objects.py): a kind their module or name says
  (PowerNet-MIB::upsAdvIdentSerialNumber, EATON-EPDU-MIB), weighing VENDOR_OBJECT_POINTS;
* only where nothing else decides: a vendor MIB the device implements (its serial or version objects
  answered, above, or, asked only then, one GETNEXT found an object in the MIB's subtree:
  snmp/device.py), where the MIB's object names speak mostly of one kind (classify/products.py
  module_kind) and at least one in ANSWERED_SHARE names it, whatever sysObjectID says
  (ELTEK-BC2000-DC-POWER-MIB's batteries and rectifiers, ATEN-PE-CFG's outlets), weighing MODULE_KIND_POINTS;
* the model identification found (snmp/identify.py: a vendor object, the chassis, sysDescr or the
  product registry) where it names its kind ("FortiSwitch-424E", "iBoot-PDU8"), weighing MODEL_POINTS;
* interface names only a router gives: a cellular or dial-up WAN ("wwan0", "qmimux0", "Cellular0/0/0",
  "Dialer1", OpenWrt's "pppoe-wan"), weaker on a host;
* the system capabilities the device advertises over LLDP (LLDP-MIB lldpLocSysCapEnabled, IEEE
  802.1AB): a telephone, a WLAN access point, a bridge or a router (both: a layer-3 switch or a
  router with switch ports, left to the other signals), a DOCSIS cable device.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from agent.scan.classify.os_family import os_family
from agent.scan.classify.vendor import names_its_maker
from agent.scan.model import DEVICE_TYPES

MIN_SCORE = 2
# On equal scores the more specific type wins: a printer that also routes is a printer.
PRECEDENCE = ("printer", "ups", "bmc", "camera", "phone", "storage", "firewall", "wireless", "iot",
              "switch", "router", "server", "workstation", "laptop", "virtual")

# IANAifType-MIB: ethernetCsmacd(6), fastEther(62), fastEtherFX(69), gigabitEthernet(117).
_ETHERNET = frozenset({6, 62, 69, 117})
# ieee80211(71), and the 802.11 radios and BSSes CAPWAP's MIB (RFC 5833) gives their own ifTypes:
# capwapDot11Profile(252), capwapDot11Bss(253), capwapWtpVirtualRadio(254).
_IEEE80211 = frozenset({71, 252, 253, 254})

# (sysObjectID prefix, type, MIB that defines the subtree). Longest prefix wins.
PRODUCT_SUBTREES: tuple[tuple[str, str, str], ...] = (
    ("1.3.6.1.4.1.311.1.1.3.1.1", "workstation", "LanMgr-Mib-II-MIB windowsNT workstation"),
    ("1.3.6.1.4.1.311.1.1.3.1.2", "server", "LanMgr-Mib-II-MIB windowsNT server"),
    ("1.3.6.1.4.1.311.1.1.3.1.3", "server", "LanMgr-Mib-II-MIB windowsNT domain controller"),
    ("1.3.6.1.4.1.12356.101", "firewall", "FORTINET-FORTIGATE-MIB fnFortiGateMib"),
    # Fortinet's other security appliances, each its own MIB under fortinet(12356): a web
    # application firewall, an authentication server and a sandbox, typed with the firewalls.
    ("1.3.6.1.4.1.12356.107", "firewall", "FORTINET-FORTIWEB-MIB fnFortiWebMib"),
    ("1.3.6.1.4.1.12356.113", "firewall", "FORTINET-FORTIAUTHENTICATOR-MIB fnFortiAuthenticatorMib"),
    ("1.3.6.1.4.1.12356.118", "firewall", "FORTINET-FORTISANDBOX-MIB fnFortiSandboxMib"),
    # Broadcom's FASTPATH reference agent (sysObjectID under broadcom(4413), FASTPATH-SWITCHING-MIB):
    # switching software that white-label switches ship unchanged.
    ("1.3.6.1.4.1.4413", "switch", "Broadcom FASTPATH reference agent (FASTPATH-SWITCHING-MIB)"),
    ("1.3.6.1.4.1.890.1.5", "switch", "ZYXEL-ES-SMI products.accessSwitch"),
    ("1.3.6.1.4.1.13742.6", "ups", "PDU2-MIB (Raritan rack PDUs)"),
    ("1.3.6.1.4.1.11.2.3.9", "printer", "HP netPeripheral (JetDirect) subtree"),
    ("1.3.6.1.4.1.11.2.3.7.11", "switch", "HP-ICF-OID hpEtherSwitch"),
    ("1.3.6.1.4.1.232.9.4", "bmc", "CPQSM2-MIB (HPE Integrated Lights-Out)"),
    ("1.3.6.1.4.1.674.10892.5", "bmc", "IDRAC-MIB-SMIv2 (Dell iDRAC)"),
    ("1.3.6.1.4.1.14179", "wireless", "AIRESPACE-WIRELESS-MIB (wireless LAN controllers)"),
    ("1.3.6.1.4.1.6876.4.1", "server", "VMWARE-PRODUCTS-MIB vmwESX"),
    # PowerNet-MIB apc.products.system: backUPS(1) smartUPS(2) matrixUPS(3) masterSwitch(4, rack PDUs)
    # symmetraUPS(5) automaticXferSwitch(11) -- power gear, typed "ups" -- and monitors(8).
    *((f"1.3.6.1.4.1.318.1.3.{n}", "ups", f"PowerNet-MIB {name}") for n, name in (
        (1, "backUPS"), (2, "smartUPS"), (3, "matrixUPS"), (4, "masterSwitch"), (5, "symmetraUPS"),
        (11, "automaticXferSwitch"))),
    ("1.3.6.1.4.1.318.1.3.8", "iot", "PowerNet-MIB monitors"),
    ("1.3.6.1.4.1.705.1", "ups", "MG-SNMP-UPS-MIB upsmg"),
    ("1.3.6.1.4.1.2620.1", "firewall", "CHECKPOINT-MIB products (fw, vpn, svn)"),
)
_SUBTREE_POINTS = 5

# Phrases that contain a type's word but are not that type; removed before the words are matched.
_NOT_WHAT_THEY_SAY = re.compile(
    r"(automatic |auto )?transfer switch|\bkvm switch|console switch|power switch|switched (rack )?pdu|"
    r"switch(ed)? outlet|switching power|wireless (lan )?switch",
    re.IGNORECASE)

# (type, points, pattern). The device naming its own kind ("... internet router", "Access Switch")
# weighs most; product-family and OS words less. Word boundaries on both sides unless the word
# is the stem of model names (NGFW4000, ICX6430).
NAMED = 8  # points for a device that names its own kind: more than any one structural signal
_WORDS: tuple[tuple[str, int, str], ...] = (
    ("printer", NAMED, r"\b(printer|print ?server|printing system|mfp|multifunction)\b"),
    ("printer", 3, r"\b(laserjet|officejet|deskjet|designjet|pagewide|jetdirect|workcentre|phaser|versalink|"
                   r"altalink|bizhub|zebranet|imagerunner|i-sensys|ecosys|taskalfa|aficio|mfc-\w+|hl-\w+|dcp-\w+)\b"),
    ("ups", NAMED, r"\b(ups|uninterruptible|e?pdu|power distribution( unit| panel)?|distribution panel|"
                   r"transfer switch)(?![a-z])|(?<![a-z])e?pdu(?![a-z])|\bconnectups\b"),
    ("ups", 3, r"\b(smart-ups|symmetra|powerware|powerchute|poweralert|inverter|rectifier|power system|"
               r"outlets?|power control)\b"),
    ("bmc", NAMED, r"\b(idrac\d*|integrated dell remote access|integrated lights-out|ilo ?\d?|bmc|ipmi|"
               r"onboard administrator|imm2?|xclarity|cimc|baseboard management|remote management controller|"
               r"hardware management (system|controller))\b"),
    ("camera", NAMED, r"\b(ip ?cam(era)?|network camera|camera|ipcam|nvr|dvr|network video( recorder)?|"
                  r"video server|video encoder|webcam)\b"),
    ("camera", 3, r"\b(ipolis)\b"),
    ("phone", NAMED, r"\b(ip phone|sip phone|voip phone|phone)\b"),
    ("phone", 3, r"\b(soundpoint|vvx)\b"),
    ("storage", NAMED, r"\b(nas|storage( array| system)?)\b"),
    ("storage", 3, r"\b(san|tape library|raid subsystem|disk array|"
                   r"onefs|ontap|data ontap|netapp release|truenas|freenas|data domain|exagrid|"
                   r"diskstation|rackstation|readynas|terastation|isilon|"
                   r"powervault|equallogic|storwize)\b"),
    ("firewall", NAMED, r"\b(firewall|utm|(adaptive )?security appliance)\b|\bngfw"),
    # OPNsense runs HardenedBSD, whose kernel release ends in "-HBSD" ("12.1-RELEASE-p19-HBSD").
    ("firewall", 3, r"\b(fortigate|fortios|pan-os|pa-\d{3,4}|asa ?\d{4}|firepower|srx\d+|screenos|netscreen|pix|zywall|"
                    r"sonicwall|sonicos|watchguard|fireware|pfsense|opnsense|hbsd|cyberoam|stormshield|ns-bsd|"
                    r"check ?point|"
                    r"gaia|usg\d*\w*|security gateway|web gateway|email security)\b"),
    ("wireless", NAMED, r"\b(wireless (lan )?switch|access point|wireless lan controller|wireless controller|"
                    r"wlan controller|mobility controller|wlc\d*|wac)\b"),
    # An access point's model has two or three digits after "AP" (AP230, AP-505); four are APC's part
    # numbers for anything it makes (its AP9605 management card, AP7900 PDU).
    ("wireless", 3, r"\b(arubaos|aos-w|airos|airmax|airfiber|unifi|uap-[\w-]+|aironet|fortiap|zonedirector|"
                    r"smartzone|smartcell|wlan|wireless|wi-?fi|wap\d*|ap|ap\d{2,3}(?!\d)\w*|hiveap\w*|hiveos|canopy|"
                    r"microwave|radio|mini-link|vsat|satellite (modem|terminal|router))\b"),
    ("iot", NAMED, r"\b(sensor|environmental monitor|environment monitor|data ?logger|thermometer|hygrometer|"
                   r"barometer)\b"),
    # ("IoT", not Xerox's "IOT 52.54.1", its print engine's release.)
    ("iot", 3, r"\b(iot(?! ?\d)|siteboss|sensorprobe|netbotz|room ?alert|enviromux|temperature|humidity)\b"),
    ("switch", NAMED, r"\b(\w*switch|ethernet routing switch|media converter)\b"),
    # Also network operating systems (OcNOS, a vendor's "NOS"), 3Com's SuperStack family, access
    # multiplexers (DSLAM, OLT, "access node"), which aggregate subscriber lines like a switch, and
    # optical transport (DWDM/CWDM multiplexers, EDFA amplifiers, ROADMs, a cable network's optical
    # nodes, receivers and transmitters), typed with switches.
    ("switch", 3, r"\b(catalyst|cat\d{4}|cat[2-9]k|c(?:29[4-7]\d|3[5-8][5-7]0|4[59]\d\d|6[58]\d\d|9[2-6]\d\d)[a-z]*\b|"
                  r"(?:superstack|ocnos|nos|dslam|access node|olt)\b|"
                  r"\w*wdm|edfa|roadm|optical (amplifier|transport|line system|receiver|transmitter|node)|"
                  r"erbium[ -]doped fib(er|re) amplifier|"
                  r"\d{1,2}-port|cumulus|swch|nexus|procurve|fortiswitch|powerconnect|fastiron|icx\d+|ex\d{4}|qfx\d+|des-\d+|dgs-\d+|ws-c\d+)"),
    ("router", NAMED, r"\b(router)\b"),
    ("router", 3, r"\b(versatile routing platform|vrp|"
                  r"routeros|edgeos|edgerouter|vyatta|vyos|ios xr|isr\d+|asr\d+|mx\d{2,4}|openwrt|dd-wrt|"
                  r"tomato|keeneticos|pepwave|rutx?\d+|rutos|"
                  r"c(?:18|19|28|38|39)\d\d|c29[0-2]\d)\b"),
    ("router", 2, r"\b(gateway|cpe|internetwork operating system)\b"),
    ("router", 1, r"\bcisco ios\b"),
    ("server", NAMED, r"\b(windows.*\bserver|server.*\bwindows|esxi|vmware esx|esx server)\b"),
    ("server", 2, r"\b(sunos|solaris|aix|hp-ux|z/os|openvms|os/400)\b"),
    ("workstation", 2, r"\b(windows|darwin|mac os|macos)\b"),
)
_COMPILED = tuple((t, p, re.compile(rx, re.IGNORECASE)) for t, p, rx in _WORDS)
# Words that say a Linux/BSD box is *not* a general-purpose server (it is infrastructure whose type
# has no word in the vocabulary, or one the other signals name).
_NOT_A_SERVER = re.compile(r"\b(console server|terminal server|serial server|device server)\b", re.IGNORECASE)
# The CPU architecture net-snmp appends to a Unix sysDescr (uname -m): MIPS, ARM, PowerPC, m68k and
# SuperH are the CPUs of routers, access points, PDUs and NAS boxes, not of general-purpose servers,
# so hrSystem and host-only sysServices do not make such a box a server (issue 16: Linux APs,
# routers and PDUs called "server"). Matched on the last word, where uname -m stands.
_EMBEDDED_CPU = re.compile(r"\b(mips\w*|arm\w*|aarch64|ppc\w*|powerpc\w*|m68k|sh4\w*)\s*$", re.IGNORECASE)


# The PC's CPU at the same place: a general-purpose OS on a PC, reported by that OS's own SNMP agent
# (sysObjectID net-snmp's or the OS's), is a host as much as an hrSystem answer says it is. Many
# agents answer no HOST-RESOURCES at all (a minimal snmpd.conf view), so this counts where it is absent.
_PC_CPU = re.compile(r"\b(x86_64|amd64|i[3-6]86)\s*$", re.IGNORECASE)


# A sysDescr that says nothing: blank, or redacted as a whole ("<private>").
_SAYS_NOTHING = re.compile(r"\s*(<[^<>]*>)?\s*")


def _agent_as_shipped(descr: str) -> bool:
    """True when sysDescr is what a computer's SNMP agent says by default: its OS's name or uname text
    (net-snmp prints `uname -a`; Windows its version), or nothing at all. A product's own words ("ApexPlus-3.2.0",
    "VeloCloud EDGE610", "ESPHome version 2024.12.2") mean its maker wrote the agent's configuration: an
    appliance, whose HOST-RESOURCES says only that the agent implements the MIB."""
    return bool(os_family(sys_descr=descr)) or bool(_SAYS_NOTHING.fullmatch(descr))


def _may_be_server(descr: str) -> bool:
    """False when sysDescr names an appliance role or an embedded CPU (see _NOT_A_SERVER, _EMBEDDED_CPU)."""
    return not (_NOT_A_SERVER.search(descr) or _EMBEDDED_CPU.search(descr))


@dataclass(frozen=True, slots=True)
class TypeSignals:
    """What a device told the scanner that bears on its type (empty/0 = not known)."""

    sys_object_id: str = ""
    sys_descr: str = ""
    services: int = 0                          # sysServices.0
    mibs: frozenset[str] = frozenset()         # oids.PRESENCE keys the device answered
    if_types: tuple[int, ...] = ()             # ifType of every interface
    entity_classes: tuple[int, ...] = ()       # entPhysicalClass of every entity
    ip_forwarding: int = 0                     # ipForwarding.0: 1 forwarding, 2 not
    product: str = ""                          # registry product: "MODULE::name", then its words (products.py)
    product_family: bool = False               # the registry matched a product family, not a product
    vendor_objects: tuple[str, ...] = ()       # "MODULE::descriptor" of the vendor MIB objects that answered
    model: str = ""                            # the model the identification found (snmp/identify.py)
    lldp: frozenset[str] = frozenset()         # LLDP capabilities the device advertises (mib/lldp.py)
    host_devices: tuple[int, ...] = ()         # hrDeviceType of every host device in index order (its arc)
    sensor_types: tuple[int, ...] = ()         # entPhySensorType of every sensor (ENTITY-SENSOR-MIB)
    if_names: tuple[str, ...] = ()             # ifName (else ifDescr) of every interface
    module_root: str = ""                      # "MODULE::name" of the vendor MIB rooted at sysObjectID
    # The first object the device answers under its maker's enterprise, dotted, where sysObjectID names
    # only its agent's software (snmp/maker_probe.py): a net-snmp Gaia firewall's CHECKPOINT-MIB.
    maker_object: str = ""
    # What the vendor MIB nearest above sysObjectID speaks of: "kind\tMODULE::name\tnaming\tobjects"
    # (classify/products.py module_kind_above).
    module_kind: str = ""
    # What the vendor MIBs the device answered speak of, each in the same form (its serial or version
    # objects' modules, then the MIBs whose subtree answered the module probe; classify/products.py
    # module_kind), where that is not the MIB above.
    answered_kinds: tuple[str, ...] = ()
    # What the vendor's products and MIBs beside sysObjectID mostly name: "kind\tunder OID\tagreeing\tspeaking"
    # (classify/products.py kind_beside); asked only when nothing else decides.
    neighbour_kind: str = ""


@dataclass(frozen=True, slots=True)
class TypeDecision:
    """The type chosen (always in DEVICE_TYPES) and the reasons that counted, strongest first."""

    device_type: str = "unknown"
    reasons: tuple[str, ...] = ()


class _Tally:
    def __init__(self) -> None:
        self.points: Counter[str] = Counter()
        self.reasons: dict[str, list[tuple[int, str]]] = {}

    def add(self, dtype: str, points: int, why: str) -> None:
        self.points[dtype] += points
        self.reasons.setdefault(dtype, []).append((points, why))


def decide_type(sig: TypeSignals) -> TypeDecision:
    """Score every type on the device's signals; the best with at least MIN_SCORE points wins."""
    tally = _Tally()
    _presence(sig, tally)
    _layers(sig, tally)
    _interfaces(sig, tally)
    _entities(sig, tally)
    _host_devices(sig, tally)
    _subtree(sig, tally)
    _words(sig, tally)
    _product(sig, tally)
    _module_root(sig, tally)
    _module_kind(sig, tally)
    _vendor_objects(sig, tally)
    _model(sig, tally)
    _lldp(sig, tally)
    _wan_interfaces(sig, tally)
    if max(tally.points.values(), default=0) < MIN_SCORE:
        _answered_kind(sig, tally)
    if max(tally.points.values(), default=0) < MIN_SCORE:
        _neighbours(sig, tally)
    if not tally.points:
        return TypeDecision()
    best = max(tally.points.values())
    if best < MIN_SCORE:
        return TypeDecision("unknown", tuple(_fmt(p, w) for t in tally.reasons for p, w in tally.reasons[t]))
    winner = next(t for t in PRECEDENCE if tally.points.get(t) == best)
    assert winner in DEVICE_TYPES
    reasons = sorted(tally.reasons[winner], key=lambda pw: -pw[0])
    return TypeDecision(winner, tuple(_fmt(p, w) for p, w in reasons))


def _fmt(points: int, why: str) -> str:
    return f"{why} ({points:+d})"


# The HOST-RESOURCES-TYPES hrDeviceTypes arcs (RFC 2790) and the ENTITY-SENSOR-MIB EntitySensorDataType
# value (RFC 3433) this module reads. A printer(5) device adds no points of its own (net-snmp lists a
# Linux box's print queues there); its place tells a printer's hrPrinterTable from a computer's (_presence).
HR_DEVICE_PRINTER, HR_DEVICE_TAPE = 5, 18
SENSOR_PERCENT_RH = 9


def _presence(sig: TypeSignals, tally: _Tally) -> None:
    mibs = sig.mibs
    if "printer-mib" in mibs:
        tally.add("printer", 6, "Printer-MIB answers")
    if "hr-printer" in mibs:  # also a host's print queues (net-snmp lists them): weaker than Printer-MIB
        tally.add("printer", 1, "hrPrinterTable has rows")
    if "ups-mib" in mibs:
        tally.add("ups", 6, "UPS-MIB answers")
    if "dot11" in mibs:
        tally.add("wireless", 4, "IEEE 802.11 MIB answers")
    if "bridge-mib" in mibs:
        tally.add("switch", 2, "BRIDGE-MIB answers")
    if "q-bridge" in mibs:
        tally.add("switch", 1, "Q-BRIDGE-MIB answers")
    # A table of managed access points with rows: a wireless LAN controller (a switch with a built-in
    # controller still names itself, or shows more switch evidence). Huawei's probe is its WLAN
    # subtree, not an AP table, so it weighs less.
    wlc = sorted(k for k in mibs if k.startswith("wlc-"))
    if wlc:
        points = 7 if any(k != "wlc-huawei" for k in wlc) else 5
        tally.add("wireless", points, f"manages access points ({', '.join(wlc)} answers)")
    # A printer's own agent lists the printer as its first device; a computer's lists its processors
    # first and its print queues after them (net-snmp numbers devices by type: processors from 768 or
    # 196608, printers from 1280 or 327680), on the Linux inside a WLAN controller or a WDM multiplexer
    # too. Where the device table is unknown, the printer rows speak as before.
    queues = bool(sig.host_devices) and sig.host_devices[0] != HR_DEVICE_PRINTER
    if "hr-printer" in mibs and "host-resources" not in mibs and not queues:
        # Printer rows without the host's hrSystem group: the agent describes a printer, not a
        # computer's print queues (HOST-RESOURCES-MIB hrPrinterTable 1.3.6.1.2.1.25.3.5, RFC 2790).
        tally.add("printer", 3, "hrPrinterTable without hrSystem")
    # A general-purpose computer answers with its SNMP agent's or its OS's sysObjectID; an appliance
    # built on net-snmp (an ADC, a DPI box, a VoIP gateway, a printer) with its maker's, and then
    # HOST-RESOURCES says only that its agent implements the MIB (issue 16: appliances called "server").
    appliance = names_its_maker(sig.sys_object_id)
    if "hr-printer" in mibs and "host-resources" in mibs and appliance and not queues:
        # Printer rows from the printer's own agent, not a computer's print queues.
        tally.add("printer", 3, "hrPrinterTable under a vendor's sysObjectID")
    host = not appliance and _may_be_server(sig.sys_descr) and _agent_as_shipped(sig.sys_descr)
    if "host-resources" in mibs and host:
        tally.add("server", 2, "HOST-RESOURCES hrSystem answers")
    elif (cpu := _PC_CPU.search(sig.sys_descr)) and host:
        tally.add("server", 2, f"a PC's CPU ({cpu.group(1)}) under the OS's own agent")
    # The census reports ipForwarding = forwarding(1) as the "ip-forwarding" key (oids.PRESENCE_WHEN).
    if sig.ip_forwarding == 1 or "ip-forwarding" in mibs:
        tally.add("router", 1, "ipForwarding = 1")
    # Routing protocols at work: a BGP speaker with peers exchanges routes between networks; OSPF runs
    # on routers and on the layer-3 switches of a campus core, so it weighs less.
    if "bgp-peers" in mibs:
        tally.add("router", 2, "BGP-4 peers configured (bgpPeerTable has rows)")
    if "ospf-enabled" in mibs:
        tally.add("router", 1, "OSPF enabled (ospfAdminStat)")


def _layers(sig: TypeSignals, tally: _Tally) -> None:
    """sysServices: what a box offers at which layer (RFC 3418 sysServices DESCRIPTION)."""
    s = sig.services
    if not s or s > 127:
        return
    l2, l3, host = bool(s & 0x02), bool(s & 0x04), bool(s & 0x48)
    if l2 and not l3:
        tally.add("switch", 2, f"sysServices {s}: layer 2, not layer 3")
    elif l3 and not host:
        if l2:
            tally.add("switch", 1, f"sysServices {s}: layers 2 and 3")
            tally.add("router", 1, f"sysServices {s}: layers 2 and 3")
        else:
            tally.add("router", 2, f"sysServices {s}: layer 3, no host layers")
    elif host and not (l2 or l3) and _may_be_server(sig.sys_descr):
        tally.add("server", 1, f"sysServices {s}: host layers only")


# IANAifType-MIB numbers of interfaces that only network infrastructure terminates.
_INFRASTRUCTURE_IFTYPES: tuple[tuple[str, int, frozenset[int], str], ...] = (
    # TDM and ISDN lines: ds1(18) e1(19) basicISDN(20) primaryISDN(21) ds3(30) isdn(63) isdns(75)
    # isdnu(76) ds0(81) ds0Bundle(82); SONET/SDH: sonet(39) sonetPath(50) sonetVT(51) pos(171); frame
    # relay, ATM and HDLC: frameRelay(32) frameRelayService(44) atm(37) aal5(49) hdlc(118)
    # atmSubInterface(134); MPLS: mplsTunnel(150) mpls(166); and a CMTS's DOCSIS MAC, downstream and
    # upstream interfaces: docsCableMaclayer(127) docsCableDownstream(128) docsCableUpstream(129)
    # docsCableUpstreamChannel(205) docsCableMCmtsDownstream(229) docsCableUpstreamRfPort(256)
    ("router", 2, frozenset({18, 19, 20, 21, 30, 63, 75, 76, 81, 82, 39, 50, 51, 171, 32, 44, 37, 49, 118, 134,
                             150, 166, 127, 128, 129, 205, 229, 256}),
     "carrier (TDM, ISDN, SONET, frame relay, ATM, DOCSIS, MPLS)"),
    # ipForward(142), "IP Forwarding Interface": a routed interface (Nokia's SR OS, Teldat, a CMTS)
    ("router", 2, frozenset({142}), "IP forwarding"),
    # adsl(94) vdsl(97) gpon(250) vdsl2(251) gfast(279), the EPON and GPON ports and ONUs of an OLT
    # (aluEpon(266) to aluGponPhysicalUni(271)): the subscriber side of DSLAMs and OLTs
    ("switch", 2, frozenset({94, 97, 250, 251, 279, 266, 267, 268, 269, 270, 271}), "access line (DSL, PON)"),
    # opticalChannel(195) opticalTransport(196) otnOdu(260) otnOtu(261): DWDM and OTN transport gear
    ("switch", 2, frozenset({195, 196, 260, 261}), "optical transport"),
    # l2vlan(135) l3ipvlan(136) ieee8023adLag(161)
    ("switch", 1, frozenset({135, 136, 161}), "VLAN or link-aggregation"),
    # propWirelessP2P(157) radioMAC(188) cblVectaStar(228) ieee80216WMAN(237)
    # microwaveCarrierTermination(295) microwaveRadioLinkTerminal(296): a microwave or WiMAX radio
    # link's end, beside however many Ethernet ports (a backhaul radio has a few)
    ("wireless", 3, frozenset({157, 188, 228, 237, 295, 296}), "radio link (point-to-point radio, radio MAC, WiMAX)"),
)


# Radio interfaces as Linux drivers name them (Atheros/Qualcomm "ath0" and "wifi0", mac80211's "wlan0",
# MediaTek's "ra0", Broadcom's "wl0"): many access points report them as ethernetCsmacd(6), not
# ieee80211(71). A second network on the same radio is named after it ("wlan0-1" on OpenWrt, "wl0.1"
# on Broadcom's driver) and counts as that radio, not as another.
_RADIO_NAMES = re.compile(r"((?:ath|wifi|wlan|ra|wl)\d+)(?:[.-]\d+)?", re.IGNORECASE)


def _interfaces(sig: TypeSignals, tally: _Tally) -> None:
    radios = sum(1 for t in sig.if_types if t in _IEEE80211)
    ports = sum(1 for t in sig.if_types if t in _ETHERNET)
    kind, how = "IEEE 802.11 interface(s)", f" (ifType {', '.join(map(str, sorted(set(sig.if_types) & _IEEE80211)))})"
    # Radios known by name count on a device that is not a computer (hrSystem), and on one that is
    # only when it has two or more (an access point's 2.4 and 5 GHz radios, on an agent that answers
    # HOST-RESOURCES as Linux APs do): a laptop's or a single-board computer's one wlan0 does not make
    # it an access point.
    if not radios:
        named = [n.strip() for n in sig.if_names if _RADIO_NAMES.fullmatch(n.strip())]
        distinct = sorted({m.group(1).lower() for n in named if (m := _RADIO_NAMES.fullmatch(n))})
        if "host-resources" not in sig.mibs or len(distinct) >= 2:
            radios, ports = len(distinct), max(0, ports - len(named))
            kind, how = "radio interface(s)", f" by name ({', '.join(distinct[:3])})"
    # A radio or two beside four or more wired ports is the Wi-Fi built into a router or gateway (a
    # SOHO router's LAN ports and WAN); an access point has one or two uplinks, or many radios.
    if radios and radios <= 2 and ports >= 4:
        tally.add("router", 3, f"{radios} {kind} beside {ports} Ethernet ports")
    elif radios:
        tally.add("wireless", 3, f"{radios} {kind}{how}")
    present = set(sig.if_types)
    # Interfaces only network infrastructure has: carrier and access lines end on routers (and on
    # access multiplexers, typed with switches), optical transport on transport switches; VLAN and
    # link-aggregation interfaces on switches (and on firewalls, which name themselves otherwise).
    for dtype, points, kinds, what in _INFRASTRUCTURE_IFTYPES:
        if found := sorted(present & kinds):
            tally.add(dtype, points, f"{what} interfaces (ifType {', '.join(map(str, found))})")
    # Many Ethernet ports: a switch, unless anything else says otherwise. Weak on purpose: routers,
    # firewalls and filers have eight to sixty too, and name themselves or answer their MIBs. A host
    # (hrSystem answers) needs 24 before they count as much: its veth, bridge and bonding
    # interfaces are Ethernet too.
    if ports >= 24 or (ports >= 8 and "host-resources" not in sig.mibs):
        tally.add("switch", 2, f"{ports} Ethernet interfaces")
    elif ports >= 8:
        tally.add("switch", 1, f"{ports} Ethernet interfaces")


def _entities(sig: TypeSignals, tally: _Tally) -> None:
    classes = Counter(sig.entity_classes)
    if classes.get(11):
        tally.add("switch", 2, "ENTITY-MIB stack entity")
    if classes.get(10, 0) >= 8:
        tally.add("switch", 1, f"ENTITY-MIB {classes[10]} port entities")
    if humidity := sig.sensor_types.count(SENSOR_PERCENT_RH):
        tally.add("iot", 2, f"ENTITY-SENSOR {humidity} humidity sensor(s)")


def _host_devices(sig: TypeSignals, tally: _Tally) -> None:
    """What the host's device table lists beside its processors, network interfaces and disks."""
    if tapes := sig.host_devices.count(HR_DEVICE_TAPE):
        tally.add("server", 2, f"HOST-RESOURCES {tapes} tape drive(s)")


def _subtree(sig: TypeSignals, tally: _Tally) -> None:
    """The vendor subtree sysObjectID lies under; else, for a device whose sysObjectID names only its
    agent, the one its maker's first object lies under (the device implements that part of the MIB)."""
    if best := _subtree_of(sig.sys_object_id):
        tally.add(best[1], _SUBTREE_POINTS, f"sysObjectID under {best[2]}")
    elif best := _subtree_of(sig.maker_object):
        tally.add(best[1], _SUBTREE_POINTS, f"answers objects under {best[2]}")


def _subtree_of(dotted: str) -> tuple[str, str, str] | None:
    """The longest PRODUCT_SUBTREES entry `dotted` lies under (or is), None when none."""
    oid = dotted.strip().lstrip(".")
    best: tuple[str, str, str] | None = None
    for prefix, dtype, mib in PRODUCT_SUBTREES:
        if oid and (oid == prefix or oid.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, dtype, mib)
    return best


PRODUCT_POINTS = 5
FAMILY_POINTS = 3  # a family's name speaks for many products, some of another kind
_NAMED_ONLY = tuple((t, rx) for t, p, rx in _COMPILED if p == NAMED)
# Where a camelCase product name is split into words ("hpSwitchJ9019A" -> "hp Switch J9019A").
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Za-z])")


def product_text(label: str, name: str, description: str) -> str:
    """TypeSignals.product for a registry product: its label, then its name's words and DESCRIPTION."""
    return f"{label}\t{_CAMEL.sub(' ', name)} {' '.join(description.split())}"


def product_kind(name: str, description: str) -> str:
    """The kind a registry product's name and DESCRIPTION name for themselves, as _product reads them; ""."""
    named = _kind_named(product_text("", name, description).partition("\t")[2])
    return named[0] if named else ""


def _kind_named(words: str) -> tuple[str, str] | None:
    """The first type a text names in the device-names-its-kind sense (the NAMED words), with the
    words that named it; None when it names none. Power and wireless words are matched on the whole
    text (the phrases _NOT_WHAT_THEY_SAY removes name them), the others after those are removed."""
    if not words.strip():
        return None
    cleaned = _NOT_WHAT_THEY_SAY.sub(" ", words)
    for dtype, pattern in _NAMED_ONLY:
        if match := pattern.search(words if dtype in ("ups", "wireless") else cleaned):
            return dtype, match.group(0)
    return None


def _product(sig: TypeSignals, tally: _Tally) -> None:
    """The registry product's own word for its kind (see the module docstring): the first type named."""
    label, _, words = sig.product.partition("\t")
    if named := _kind_named(words):
        kind, points = ("product family", FAMILY_POINTS) if sig.product_family else ("product", PRODUCT_POINTS)
        tally.add(named[0], points, f"{kind} {label} says {named[1]!r}")


# Where words glued in one token part in a sysDescr ("Sinetica UPSController", "NetSwitch"): after a
# capitals run before a capitalised word, and between a lowercase letter and a capital.
_GLUED_WORDS = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z]{2})|(?<=[a-z])(?=[A-Z])")


def _words(sig: TypeSignals, tally: _Tally) -> None:
    descr = " ".join(sig.sys_descr.split())
    if not descr:
        return
    # The words as written, then parted where glued (product names such as "FortiGate" stay whole in the
    # first); each whole, and without the phrases that are not what they say.
    texts = [descr, _GLUED_WORDS.sub(" ", descr)]
    cleaned = [_NOT_WHAT_THEY_SAY.sub(" ", t) for t in texts]
    seen: set[str] = set()
    for dtype, points, pattern in _COMPILED:
        # Power and wireless words are matched on the whole text: the phrases removed name them
        # ("transfer switch" is power gear, a "wireless switch" a WLAN controller).
        where = texts if dtype in ("ups", "wireless") else cleaned
        match = next((m for t in where if (m := pattern.search(t))), None)
        if match and dtype not in seen:
            seen.add(dtype)
            tally.add(dtype, points, f"sysDescr {match.group(0)!r}")


def _module_root(sig: TypeSignals, tally: _Tally) -> None:
    """The kind the name of the vendor MIB rooted at sysObjectID says (WebGraph-Thermometer-MIB), where
    no product is registered there: weighs as a product family, one module speaking for its devices."""
    if sig.product or not sig.module_root:
        return
    module, _, name = sig.module_root.partition("::")
    if named := _kind_named(f"{_CAMEL.sub(' ', module.replace('-', ' '))} {_CAMEL.sub(' ', name)}"):
        tally.add(named[0], FAMILY_POINTS, f"sysObjectID roots {sig.module_root} ({named[1]!r})")


MODULE_KIND_POINTS = 2  # enough alone; less than a family's name: a module speaks for a whole line


def _module_kind(sig: TypeSignals, tally: _Tally) -> None:
    """The kind the object names of the vendor MIB above sysObjectID speak of (see the module docstring)."""
    kind, _, rest = sig.module_kind.partition("\t")
    module, naming, objects = ([*rest.split("\t"), "", ""])[:3]
    if kind in DEVICE_TYPES and kind != "unknown":
        tally.add(kind, MODULE_KIND_POINTS,
                  f"sysObjectID under {module}, {naming} of whose {objects} objects name {kind} functions")


# A MIB the device answered speaks for its kind only where at least one of its objects in ANSWERED_SHARE
# names it: a computer's management MIB names its disks, batteries and printers too, a few among many
# (IBM-AIX-MIB's printer table, 10 of 254 objects; FSC-SERVERCONTROL2-MIB's UPS, 15 of 461).
ANSWERED_SHARE = 20


def _answered_kind(sig: TypeSignals, tally: _Tally) -> None:
    """The kind the object names of a vendor MIB the device answered speak of, for a device nothing else
    types: it implements that MIB whatever its sysObjectID names (an enterprise node, an agent's
    software). Weaker than the device's own words, so asked only where they decide nothing (a server's
    management MIB names its disks); then it weighs as the MIB above sysObjectID does."""
    for said in sig.answered_kinds:
        kind, _, rest = said.partition("\t")
        module, naming, objects = ([*rest.split("\t"), "", ""])[:3]
        share = naming.isdigit() and objects.isdigit() and int(naming) * ANSWERED_SHARE >= int(objects)
        if kind in DEVICE_TYPES and kind != "unknown" and share:
            tally.add(kind, MODULE_KIND_POINTS,
                      f"answers {module}, {naming} of whose {objects} objects name {kind} functions")
            return


def _neighbours(sig: TypeSignals, tally: _Tally) -> None:
    """The kind the vendor's neighbouring products and product-line MIBs name, for a device no other
    signal types (a product newer than the public MIBs): just enough alone, never against its own word."""
    kind, _, rest = sig.neighbour_kind.partition("\t")
    under, agreeing, speaking = ([*rest.split("\t"), "", ""])[:3]
    if kind in DEVICE_TYPES and kind != "unknown":
        tally.add(kind, MIN_SCORE, f"{agreeing} of the {speaking} products and MIBs the vendor registered "
                                   f"under {under} name {kind}")


VENDOR_OBJECT_POINTS = 3


def _vendor_objects(sig: TypeSignals, tally: _Tally) -> None:
    """The kind a vendor MIB the device implements names in its module or object names
    (PowerNet-MIB::upsAdvIdentSerialNumber, EATON-EPDU-MIB::...): the first type named, once."""
    for label in sig.vendor_objects:
        module, _, name = label.partition("::")
        if named := _kind_named(f"{module.replace('-', ' ')} {_CAMEL.sub(' ', name)}"):
            tally.add(named[0], VENDOR_OBJECT_POINTS, f"answers {label} ({named[1]!r})")
            return


MODEL_POINTS = 5


def _model(sig: TypeSignals, tally: _Tally) -> None:
    """The kind the device's model names ("FortiSwitch-424E-Fiber", "iBoot-PDU8")."""
    if named := _kind_named(" ".join(sig.model.split())):
        tally.add(named[0], MODEL_POINTS, f"model {named[1]!r}")


def _lldp(sig: TypeSignals, tally: _Tally) -> None:
    """What the device advertises itself as to its LLDP neighbours (see the module docstring)."""
    caps = sig.lldp
    if "telephone" in caps:
        tally.add("phone", 5, "LLDP capability telephone")
    if "wlanAccessPoint" in caps:
        tally.add("wireless", 4, "LLDP capability wlanAccessPoint")
    bridge, router = "bridge" in caps, "router" in caps
    if bridge and not router:
        tally.add("switch", 3, "LLDP capability bridge")
    elif router and not bridge:
        tally.add("router", 3, "LLDP capability router")
    elif bridge and router:
        tally.add("switch", 1, "LLDP capabilities bridge and router")
        tally.add("router", 1, "LLDP capabilities bridge and router")
    if "docsisCableDevice" in caps:
        tally.add("router", 2, "LLDP capability docsisCableDevice")


# Interface names only a router gives (the WAN side of a cellular or dial-up router): Linux's cellular
# modem interfaces (wwan0, Qualcomm's qmimux0 and rmnet_data0), LTE ports ("lte1"), IOS/VRP-style
# "Cellular0/0/0" and "Dialer1", and OpenWrt's PPPoE client ("pppoe-wan"). Not a bare "ppp0": PPP and
# VPN servers (and a tape library's dial-in port) name their links so too.
_ROUTER_IF_NAMES = re.compile(r"(wwan|qmimux|rmnet_data|rmnet|lte)\d+|cellular ?\d+(/\d+)*|dialer ?\d+|pppoe-\w+",
                              re.IGNORECASE)


# IANAifType-MIB wwanPP(243) "3GPP WWAN", wwanPP2(244) "3GPP2 WWAN": a cellular modem's interface.
_WWAN_IFTYPES = frozenset({243, 244})


def _wan_interfaces(sig: TypeSignals, tally: _Tally) -> None:
    """A cellular or dial-up WAN interface, by name or by its cellular ifType: the device routes a LAN
    onto that link. Weaker on a host (hrSystem answers): a laptop's cellular card is named alike."""
    points = 2 if "host-resources" in sig.mibs else 3
    if found := next((n for n in sig.if_names if _ROUTER_IF_NAMES.fullmatch(n.strip())), ""):
        tally.add("router", points, f"WAN interface {found!r}")
    elif wwan := sorted(set(sig.if_types) & _WWAN_IFTYPES):
        tally.add("router", points, f"cellular WAN interface (ifType {', '.join(map(str, wwan))})")
