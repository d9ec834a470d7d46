"""Device type from evidence, one signal at a time and combined, with the reasons kept.

Values are those of real recordings in the snmpsim-data package (BSD-2-Clause; the recording is named
in each case) or written from the MIB that defines them.
"""

from __future__ import annotations

from typing import Any

import pytest

from agent.scan.classify import TypeSignals, decide_type
from agent.scan.classify.device_type import product_text
from agent.scan.model import DEVICE_TYPES

LINUX = "1.3.6.1.4.1.8072.3.2.10"  # NET-SNMP-TC netSnmpAgentOIDs.linux: the agent, not the box
ETH, WIFI = 6, 71                 # IANAifType ethernetCsmacd, ieee80211

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # --- one standard signal each ---
    ("Printer-MIB answers", {"mibs": frozenset({"printer-mib"})}, "printer", "Printer-MIB answers (+6)"),
    ("UPS-MIB answers", {"mibs": frozenset({"ups-mib"})}, "ups", "UPS-MIB answers (+6)"),
    ("IEEE 802.11 MIB (ubiquiti-m5)", {"sys_object_id": "1.3.6.1.4.1.41112", "mibs": frozenset({"dot11"}),
                                       "sys_descr": "Linux 2.6.32.54 #1 Thu Oct 24 16:03:44 EEST 2019 mips"},
     "wireless", "IEEE 802.11 MIB answers (+4)"),
    ("radio interfaces", {"sys_object_id": LINUX, "sys_descr": "Linux ap 5.4", "if_types": (24, ETH, WIFI, WIFI),
                          "mibs": frozenset({"host-resources"}), "services": 72},
     "wireless", "2 IEEE 802.11 interface(s) (ifType 71) (+3)"),
    ("CAPWAP controller (h3c-wx6103)", {"mibs": frozenset({"wlc-capwap", "bridge-mib"}),
                                        "sys_descr": "H3C Comware Platform Software H3C WX6103."},
     "wireless", "manages access points (wlc-capwap answers) (+7)"),
    ("sysServices layer 2 only (cts-media-converter)", {"services": 2}, "switch",
     "sysServices 2: layer 2, not layer 3 (+2)"),
    ("sysServices layer 3 only", {"services": 4}, "router", "sysServices 4: layer 3, no host layers (+2)"),
    ("bridge with many ports (dcrs-5980-28t-dc)", {"mibs": frozenset({"bridge-mib", "q-bridge"}),
                                                   "if_types": (ETH,) * 28, "services": 6},
     "switch", "BRIDGE-MIB answers (+2)"),
    ("a switch stack (cisco-c3750)", {"entity_classes": (11, 3, 3, 10, 10), "services": 6,
                                      "mibs": frozenset({"bridge-mib"})}, "switch", "ENTITY-MIB stack entity (+2)"),
    ("a Linux host (ibm-x3550-m3)", {"sys_object_id": LINUX, "sys_descr": "Linux x3550 2.6.32-431.el6.x86_64",
                                     "mibs": frozenset({"host-resources"}), "services": 72},
     "server", "HOST-RESOURCES hrSystem answers (+2)"),
    ("a vendor MIB subtree (FORTINET-FORTIGATE-MIB)", {"sys_object_id": "1.3.6.1.4.1.12356.101.1.1"}, "firewall",
     "sysObjectID under FORTINET-FORTIGATE-MIB fnFortiGateMib (+5)"),
    ("PowerNet-MIB masterSwitch (apc-8641)", {"sys_object_id": "1.3.6.1.4.1.318.1.3.4.6",
                                              "sys_descr": "APC Web/SNMP Management Card (MN:AP8641)"},
     "ups", "sysObjectID under PowerNet-MIB masterSwitch (+5)"),
    # --- the device names its kind in sysDescr (word boundaries) ---
    ("sysDescr router (juniper-mx960)", {"sys_descr": "Juniper Networks, Inc. mx960 internet router, kernel JUNOS "
                                         "16.1R6.7", "mibs": frozenset({"bridge-mib", "q-bridge"}),
                                         "if_types": (ETH,) * 57, "services": 6}, "router", "sysDescr 'router' (+8)"),
    ("sysDescr firewall (paloalto-pa-5000)", {"sys_descr": "Palo Alto Networks PA-5000 series firewall",
                                              "if_types": (ETH,) * 12}, "firewall", "sysDescr 'firewall' (+8)"),
    ("sysDescr NAS (isilon-onefs)", {"sys_descr": "nas-1 Isilon OneFS v7.2.1.0"}, "storage", "sysDescr 'nas' (+8)"),
    ("sysDescr camera (samsung-ipolis)", {"sys_descr": "Samsung Techwin IP Camera"}, "camera",
     "sysDescr 'IP Camera' (+8)"),
    ("sysDescr sensor (geist)", {"sys_descr": "Data Center 01 Temp Sensor"}, "iot", "sysDescr 'Sensor' (+8)"),
    ("sysDescr words glued (sinetica)", {"sys_descr": "Sinetica UPSController. Versions: App. 6.04.03"}, "ups",
     "sysDescr 'UPS' (+8)"),
    ("sysDescr BMC (hp-onboard-administrator)", {"sys_descr": "HP Onboard Administrator"}, "bmc",
     "sysDescr 'Onboard Administrator' (+8)"),
    ("sysDescr IP phone", {"sys_descr": "Cisco IP Phone CP-8841"}, "phone", "sysDescr 'IP Phone' (+8)"),
    ("Windows server subtree (server-2003-5-2)", {"sys_object_id": "1.3.6.1.4.1.311.1.1.3.1.2",
                                                  "sys_descr": "Hardware: x86 Family 6 Model 63 - Software: Windows "
                                                               "Version 5.2", "mibs": frozenset({"host-resources"})},
     "server", "sysObjectID under LanMgr-Mib-II-MIB windowsNT server (+5)"),
    ("Windows workstation subtree (XP)", {"sys_object_id": "1.3.6.1.4.1.311.1.1.3.1.1",
                                          "sys_descr": "Hardware: x86 Family 15 - Software: Windows 2000 Version 5.1",
                                          "mibs": frozenset({"host-resources"})},
     "workstation", "sysObjectID under LanMgr-Mib-II-MIB windowsNT workstation (+5)"),
    # --- the patterns of issue 16 ---
    ("Linux inside is not a type", {"sys_object_id": LINUX, "sys_descr": "Linux 4.14.0"}, "unknown", ""),
    ("a Linux BMC is not a server", {"sys_object_id": LINUX, "sys_descr": "Linux iDRAC 4.9 Integrated Dell Remote "
                                     "Access Controller", "mibs": frozenset({"host-resources"}), "services": 72},
     "bmc", "sysDescr 'iDRAC' (+8)"),
    ("a Linux PDU is not a server", {"sys_object_id": LINUX, "sys_descr": "Linux rPDU 3.2 Switched PDU",
                                     "mibs": frozenset({"host-resources"}), "services": 72},
     "ups", "sysDescr 'PDU' (+8)"),
    ("a console server is not a server", {"sys_object_id": LINUX, "sys_descr": "Linux acs6048 console server",
                                          "mibs": frozenset({"host-resources"}), "services": 72}, "unknown", ""),
    ("an Automatic Transfer Switch is not a switch", {"sys_descr": "Automatic Transfer Switch ATS 30A",
                                                       "services": 72}, "ups", "sysDescr 'Transfer Switch' (+8)"),
    ("an unknown Cisco OID is not a router", {"sys_object_id": "1.3.6.1.4.1.9.1.99999", "sys_descr": ""},
     "unknown", ""),
    ("a Cisco WLC (cisco-controller)", {"sys_object_id": "1.3.6.1.4.1.9.1.1069", "sys_descr": "Cisco Controller",
                                        "services": 2, "mibs": frozenset({"bridge-mib", "q-bridge", "wlc-airespace",
                                                                          "wlc-lwapp"}), "if_types": (ETH,) * 9},
     "wireless", "manages access points (wlc-airespace, wlc-lwapp answers) (+7)"),
    ("a Fortinet that is a switch", {"sys_object_id": "1.3.6.1.4.1.12356.106.1.1", "sys_descr": "FortiSwitch-424D"},
     "switch", "sysDescr 'FortiSwitch' (+8)"),
    ("a host's print queues do not make a printer (slackware)",
     {"sys_object_id": LINUX, "sys_descr": "Linux slack 2.6.33", "mibs": frozenset({"host-resources", "hr-printer"})},
     "server", "HOST-RESOURCES hrSystem answers (+2)"),
    ("a Linux Check Point gateway is a firewall (CHECKPOINT-MIB)",
     {"sys_object_id": "1.3.6.1.4.1.2620.1.1", "sys_descr": "Linux CP1450 3.10.20-al-5.0-pr2 #1 SMP armv7l",
      "mibs": frozenset({"host-resources"})},
     "firewall", "sysObjectID under CHECKPOINT-MIB products (fw, vpn, svn) (+5)"),
    ("a web proxy gateway is not a router", {"sys_descr": "Secure Web Gateway 7;VMWare;VMware, Inc.",
                                             "mibs": frozenset({"host-resources"})}, "firewall",
     "sysDescr 'Web Gateway' (+3)"),
    # --- round 2: embedded Linux, printers without a host, vendor product subtrees, words ---
    ("a Linux on a MIPS CPU is not a server", {"sys_object_id": LINUX, "sys_descr": "Linux host 3.14.65 #7 SMP mips",
                                               "mibs": frozenset({"host-resources"}), "services": 72},
     "unknown", ""),
    ("a Linux on an ARM CPU is not a server", {"sys_object_id": LINUX, "sys_descr": "Linux box 4.4.9 #6 SMP armv7l",
                                               "mibs": frozenset({"host-resources"})}, "unknown", ""),
    ("an x86_64 Linux host stays a server", {"sys_object_id": LINUX, "sys_descr": "Linux db 5.3.0-62-generic x86_64",
                                             "mibs": frozenset({"host-resources"})},
     "server", "HOST-RESOURCES hrSystem answers (+2)"),
    # An agent whose view leaves out HOST-RESOURCES: the PC's CPU uname -m names says it all the same,
    # under net-snmp's or the OS's own sysObjectID only, and never twice beside hrSystem.
    ("an x86_64 Linux without HOST-RESOURCES is a server",
     {"sys_object_id": LINUX, "sys_descr": "Linux hostname 4.9.0-8-amd64 #1 SMP Debian 4.9.110-3+deb9u4 x86_64"},
     "server", "a PC's CPU (x86_64) under the OS's own agent (+2)"),
    ("an OpenBSD on i386 under its own enterprise is a server",
     {"sys_object_id": "1.3.6.1.4.1.30155.23.1", "sys_descr": "OpenBSD hostname 5.3 GENERIC.MP#58 i386"},
     "server", "a PC's CPU (i386) under the OS's own agent (+2)"),
    ("an x86_64 under a vendor's sysObjectID is its appliance",
     {"sys_object_id": "1.3.6.1.4.1.17163.1.1", "sys_descr": "Linux hostname 2.6.32 #1 SMP x86_64"}, "unknown", ""),
    ("an x86_64 console server is not a server",
     {"sys_object_id": LINUX, "sys_descr": "Linux console server 4.4 x86_64"}, "unknown", ""),
    ("a firewall's words outweigh its PC's CPU",
     {"sys_object_id": "1.3.6.1.4.1.8072.3.2.8", "sys_descr": "pfSense localhost 2.4.5-RELEASE-p1 pfSense FreeBSD "
      "11.3-STABLE amd64", "mibs": frozenset({"host-resources"})}, "firewall", "sysDescr 'pfSense' (+3)"),
    ("printer rows without hrSystem (canon)", {"sys_descr": "Canon TM-5300 /P", "mibs": frozenset({"hr-printer"})},
     "printer", "hrPrinterTable without hrSystem (+3)"),
    ("ipForwarding from the census", {"mibs": frozenset({"ip-forwarding"}), "services": 4},
     "router", "ipForwarding = 1 (+1)"),
    ("FORTINET-FORTIWEB-MIB", {"sys_object_id": "1.3.6.1.4.1.12356.107.1.50007"}, "firewall",
     "sysObjectID under FORTINET-FORTIWEB-MIB fnFortiWebMib (+5)"),
    ("FORTINET-FORTIAUTHENTICATOR-MIB", {"sys_object_id": "1.3.6.1.4.1.12356.113.100.101"}, "firewall",
     "sysObjectID under FORTINET-FORTIAUTHENTICATOR-MIB fnFortiAuthenticatorMib (+5)"),
    ("FORTINET-FORTISANDBOX-MIB", {"sys_object_id": "1.3.6.1.4.1.12356.118.1.1"}, "firewall",
     "sysObjectID under FORTINET-FORTISANDBOX-MIB fnFortiSandboxMib (+5)"),
    ("ZYXEL-ES-SMI accessSwitch", {"sys_object_id": "1.3.6.1.4.1.890.1.5.8.55", "sys_descr": "GS2200-24"}, "switch",
     "sysObjectID under ZYXEL-ES-SMI products.accessSwitch (+5)"),
    ("PDU2-MIB (raritan)", {"sys_object_id": "1.3.6.1.4.1.13742.6", "sys_descr": "PX2 030400"}, "ups",
     "sysObjectID under PDU2-MIB (Raritan rack PDUs) (+5)"),
    ("Huawei VRP", {"sys_descr": "Huawei Versatile Routing Platform Software VRP (R) software, Version 8.200"},
     "router", "sysDescr 'Versatile Routing Platform' (+3)"),
    ("a wireless switch is a WLAN controller (ruijie-m18000)",
     {"sys_descr": "Ruijie 10G Wireless Switch Module(M18000-WS-ED)", "services": 7, "if_types": (ETH,) * 24,
      "mibs": frozenset({"bridge-mib", "q-bridge", "ip-forwarding"})},
     "wireless", "sysDescr 'Wireless Switch' (+8)"),
    ("ZebraNet print server", {"sys_descr": "ZebraNet Wired PS", "mibs": frozenset({"host-resources", "hr-printer"}),
                               "services": 7}, "printer", "sysDescr 'ZebraNet' (+3)"),
    ("SiteBoss remote site monitor", {"sys_descr": "SiteBoss 571 2.12.570 STD"}, "iot", "sysDescr 'SiteBoss' (+3)"),
    ("Broadcom FASTPATH reference agent", {"sys_object_id": "1.3.6.1.4.1.4413", "sys_descr": "1.00(AAJZ.16)C0"},
     "switch", "sysObjectID under Broadcom FASTPATH reference agent (FASTPATH-SWITCHING-MIB) (+5)"),
    ("a vendor NOS", {"sys_descr": "V5812G NOS 6.07p1"}, "switch", "sysDescr 'NOS' (+3)"),
    ("OcNOS", {"sys_descr": "Hardware Model:UFI_S9600-32X, Software version: OcNOS,6.0.1.11"}, "switch",
     "sysDescr 'OcNOS' (+3)"),
    ("an access node", {"sys_descr": "ZTE ACCESS NODE AGENT"}, "switch", "sysDescr 'ACCESS NODE' (+3)"),
    ("3Com SuperStack", {"sys_descr": "3Com SuperStack 3"}, "switch", "sysDescr 'SuperStack' (+3)"),
    ("words that start like a family name do not count", {"sys_descr": "Nostromo Oltre appliance"}, "unknown", ""),
    ("a radio beside four wired ports is a router's Wi-Fi (oneaccess)", {"if_types": (ETH,) * 4 + (WIFI,)},
     "router", "1 IEEE 802.11 interface(s) beside 4 Ethernet ports (+3)"),
    ("an access point's uplink and radios", {"if_types": (ETH, WIFI, WIFI)}, "wireless",
     "2 IEEE 802.11 interface(s) (ifType 71) (+3)"),
    ("many radios are wireless gear, whatever the ports", {"if_types": (ETH,) * 4 + (WIFI,) * 3}, "wireless",
     "3 IEEE 802.11 interface(s) (ifType 71) (+3)"),
    ("eight Ethernet ports make a weak switch", {"if_types": (ETH,) * 8}, "switch", "8 Ethernet interfaces (+2)"),
    ("seven do not", {"if_types": (ETH,) * 7}, "unknown", ""),
    ("a host's many Ethernet interfaces stay a host's",
     {"sys_descr": "Linux docker1 5.10.0-8-amd64 #1 SMP Debian 5.10.46-4 x86_64", "if_types": (ETH,) * 30,
      "mibs": frozenset({"host-resources"}), "services": 72}, "server", "HOST-RESOURCES hrSystem answers (+2)"),
    ("a host's dozen veths do not outweigh its hrSystem",
     {"sys_descr": "Linux web1 4.18.0-348.el8.x86_64", "if_types": (ETH,) * 12, "mibs": frozenset({"host-resources"})},
     "server", "HOST-RESOURCES hrSystem answers (+2)"),
    ("words inside words do not count", {"sys_descr": "Upstream Firewalld-free Routerless appliance"}, "unknown", ""),
    ("nothing at all", {}, "unknown", ""),
    # --- round 3: interfaces only network infrastructure terminates ---
    ("SONET and DS1 lines end on a router", {"if_types": (ETH, ETH, 39, 18, 18)}, "router",
     "carrier (TDM, ISDN, SONET, frame relay, ATM, DOCSIS, MPLS) interfaces (ifType 18, 39) (+2)"),
    ("a CMTS's DOCSIS MAC layer", {"if_types": (ETH, 127, 128, 129)}, "router",
     "carrier (TDM, ISDN, SONET, frame relay, ATM, DOCSIS, MPLS) interfaces (ifType 127, 128, 129) (+2)"),
    ("GPON ports: an OLT", {"if_types": (ETH,) * 4 + (250,) * 8}, "switch",
     "access line (DSL, PON) interfaces (ifType 250) (+2)"),
    ("DWDM transport", {"if_types": (ETH, 195, 196)}, "switch", "optical transport interfaces (ifType 195, 196) (+2)"),
    ("VLANs alone do not make a switch", {"if_types": (ETH, 135, 135)}, "unknown", ""),
    ("VLANs, LAGs and ports do", {"if_types": (ETH,) * 10 + (135, 161)}, "switch",
     "VLAN or link-aggregation interfaces (ifType 135, 161) (+1)"),
    ("a security appliance", {"sys_descr": "Hillstone Security Appliance SG-6000-E3965"}, "firewall",
     "sysDescr 'Security Appliance' (+8)"),
    ("a DWDM multiplexer", {"sys_descr": "Lambdatrail-HS / xWDM Multiplexer"}, "switch", "sysDescr 'xWDM' (+3)"),
    ("an EDFA", {"sys_descr": "GW-6420-EDFA optical amplifier"}, "switch", "sysDescr 'EDFA' (+3)"),
    ("an EDFA spelled out", {"sys_descr": "ACME 1550 nm Erbium-Doped Fibre Amplifier"}, "switch",
     "sysDescr 'Erbium-Doped Fibre Amplifier' (+3)"),
    ("a cable network's optical receiver", {"sys_descr": "ACME 1000 CATV Optical Receiver"}, "switch",
     "sysDescr 'Optical Receiver' (+3)"),
    ("a satellite terminal", {"sys_descr": "ACME VSAT Terminal Software"}, "wireless", "sysDescr 'VSAT' (+3)"),
    ("a cellular router's WAN", {"if_names": ("lo", "eth0", "br-lan", "qmimux0", "wwan0")}, "router",
     "WAN interface 'qmimux0' (+3)"),
    ("a dial-up WAN", {"if_names": ("GigabitEthernet0/0", "Dialer1", "Null0")}, "router",
     "WAN interface 'Dialer1' (+3)"),
    ("a laptop's cellular card does not outweigh the host", {
        "if_names": ("lo", "eth0", "wwan0"), "mibs": frozenset({"host-resources"}), "services": 72,
        "sys_descr": "Linux laptop 6.1.0-18-amd64 #1 SMP Debian 6.1.76-1 x86_64"}, "server",
     "HOST-RESOURCES hrSystem answers (+2)"),
    ("a PPP or VPN server's links say nothing", {"if_names": ("lo", "eth0", "ppp0", "ppp110")}, "unknown", ""),
    ("radios typed as Ethernet, known by name", {"if_names": ("lo", "eth0", "br0", "ath0"),
                                                 "if_types": (24, ETH, ETH, ETH)},
     "wireless", "1 radio interface(s) by name (ath0) (+3)"),
    ("a second network on a radio is that radio: a router's Wi-Fi (OpenWrt, Broadcom)", {
        "if_names": ("lo", "eth0", "wan", "lan1", "lan2", "lan3", "lan4", "br-lan", "wlan0-1", "wlan1-1"),
        "if_types": (24,) + (ETH,) * 9}, "router", "2 radio interface(s) beside 7 Ethernet ports (+3)"),
    ("a Broadcom access point's networks", {"if_names": ("lo", "eth0", "wl0", "wl0.1", "wl0.2"),
                                            "if_types": (24,) + (ETH,) * 4},
     "wireless", "1 radio interface(s) by name (wl0) (+3)"),
    ("OPNsense's HardenedBSD kernel", {"sys_descr": "FreeBSD fw1 12.1-RELEASE-p19-HBSD FreeBSD 12.1-RELEASE-p19-HBSD "
                                                    "amd64", "mibs": frozenset({"host-resources"}), "services": 76},
     "firewall", "sysDescr 'HBSD' (+3)"),
    ("two radios on an agent with HOST-RESOURCES: a Linux access point", {
        "if_names": ("lo", "eth0", "eth1", "wlan0", "wlan1"), "if_types": (24,) + (ETH,) * 4,
        "mibs": frozenset({"host-resources"})}, "wireless", "2 radio interface(s) by name (wlan0, wlan1) (+3)"),
    ("the MIB rooted at sysObjectID names the kind", {"module_root": "WebGraph-8xThermometer-US-MIB::wtWebioAn8Graph"},
     "iot", "sysObjectID roots WebGraph-8xThermometer-US-MIB::wtWebioAn8Graph ('Thermometer') (+3)"),
    ("the product line's MIB above sysObjectID speaks of switching", {
        "sys_object_id": "1.3.6.1.4.1.259.10.1.27.102", "sys_descr": "ECS3510-52T",
        "module_kind": "switch\tECS3510-MIB::ecs3510-28tMIB\t246\t1841"}, "switch",
     "sysObjectID under ECS3510-MIB::ecs3510-28tMIB, 246 of whose 1841 objects name switch functions (+2)"),
    ("the MIBs of the product lines beside sysObjectID, where nothing else speaks", {
        "sys_object_id": "1.3.6.1.4.1.259.10.1.42.101", "sys_descr": "ECS4210-28T",
        "neighbour_kind": "switch\t1.3.6.1.4.1.259.10.1\t3\t3"}, "switch",
     "3 of the 3 products and MIBs the vendor registered under 1.3.6.1.4.1.259.10.1 name switch (+2)"),
    # A tie would go to the UPS (PRECEDENCE): the neighbours are not asked once a signal decides.
    ("the neighbours are not asked when the device's own signals decide", {
        "module_kind": "switch\tACME-MIB::acmeRoot\t20\t100", "neighbour_kind": "ups\t1.3.6.1.4.1.99999.1\t5\t6"},
     "switch", "sysObjectID under ACME-MIB::acmeRoot, 20 of whose 100 objects name switch functions (+2)"),
    ("a module's vocabulary yields to the device's own word", {
        "sys_descr": "Acme UPS 3000", "module_kind": "switch\tACME-MIB::acmeRoot\t20\t100"},
     "ups", "sysDescr 'UPS' (+8)"),
    ("a registered product outweighs the module", {"module_root": "ACME-FIREWALL-MIB::acmeRoot",
                                                   "product": "ACME-MIB::acmeSwitch24\tacme Switch 24"},
     "switch", "product ACME-MIB::acmeSwitch24 says 'Switch' (+5)"),
    ("an appliance's agent answering HOST-RESOURCES under its maker's sysObjectID is no server", {
        "sys_object_id": "1.3.6.1.4.1.9694.1.5", "mibs": frozenset({"host-resources"}),
        "sys_descr": "Linux hostname 2.6.32 #1 SMP Tue May 10 23:49:24 PDT 2016 x86_64"}, "unknown", ""),
    ("a printer's own agent lists its printer under its maker's sysObjectID", {
        "sys_object_id": "1.3.6.1.4.1.2435.2.3.9.1", "mibs": frozenset({"host-resources", "hr-printer"}),
        "sys_descr": "Brother NC-8300h, Firmware Ver.1.02"}, "printer",
     "hrPrinterTable under a vendor's sysObjectID (+3)"),
    ("a computer's print queues under net-snmp's sysObjectID", {
        "sys_object_id": LINUX, "mibs": frozenset({"host-resources", "hr-printer"}),
        "sys_descr": "Linux print 6.1.0-18-amd64 #1 SMP Debian 6.1.76-1 x86_64"}, "server",
     "HOST-RESOURCES hrSystem answers (+2)"),
    # A sysDescr its maker wrote (no OS named, not uname's text) is an appliance's agent, as a vendor's
    # sysObjectID is: an SD-WAN edge, a microcontroller, a radio on net-snmp.
    ("a product's own sysDescr over HOST-RESOURCES is no server", {
        "sys_object_id": LINUX, "mibs": frozenset({"host-resources"}), "sys_descr": "VeloCloud EDGE610"},
     "unknown", ""),
    ("a redacted sysDescr does not unmake a host", {
        "sys_object_id": LINUX, "mibs": frozenset({"host-resources"}), "sys_descr": "<private>"},
     "server", "HOST-RESOURCES hrSystem answers (+2)"),
    ("a blank sysDescr does not unmake a host", {"sys_object_id": LINUX, "mibs": frozenset({"host-resources"})},
     "server", "HOST-RESOURCES hrSystem answers (+2)"),
    ("Windows names its OS", {
        "sys_object_id": "1.3.6.1.4.1.311.1.1.3.1.2", "mibs": frozenset({"host-resources"}),
        "sys_descr": "Hardware: Intel64 Family 6 Model 85 - Software: Windows Version 6.3 (Build 17763 "
                     "Multiprocessor Free)"},
     "server", "HOST-RESOURCES hrSystem answers (+2)"),
    ("a computer's wlan0 is not an access point", {
        "if_names": ("lo", "eth0", "wlan0"), "if_types": (24, ETH, ETH), "mibs": frozenset({"host-resources"})},
     "server", "HOST-RESOURCES hrSystem answers (+2)"),
    ("interface names that merely contain the words", {"if_names": ("pppoe", "lte-monitor", "wwan")}, "unknown", ""),
    ("the model names the kind", {"model": "FortiSwitch-424E-Fiber"}, "switch", "model 'FortiSwitch' (+5)"),
    ("a vendor UPS MIB that answers",
     {"vendor_objects": ("ACME-MIB::acmeSerial", "PowerNet-MIB::upsAdvIdentSerialNumber")}, "ups",
     "answers PowerNet-MIB::upsAdvIdentSerialNumber ('ups') (+3)"),
    ("a vendor PDU module", {"vendor_objects": ("EATON-EPDU-MIB::serialNumber",)}, "ups",
     "answers EATON-EPDU-MIB::serialNumber ('EPDU') (+3)"),
    ("names without a kind say nothing", {"vendor_objects": ("SYNOLOGY-SYSTEM-MIB::serialNumber",)}, "unknown", ""),
    ("the MIB a rectifier controller answers speaks of batteries and rectifiers", {
        "sys_object_id": "1.3.6.1.4.1.13858", "answered_kinds": ("ups\tELTEK-BC2000-DC-POWER-MIB\t30\t242",)}, "ups",
     "answers ELTEK-BC2000-DC-POWER-MIB, 30 of whose 242 objects name ups functions (+2)"),
    # A computer's management MIB names its disks (SuperDoctor's RAID tables): the host's own evidence decides.
    ("an answered MIB's vocabulary yields to any signal that decides", {
        "sys_object_id": LINUX, "mibs": frozenset({"host-resources"}),
        "answered_kinds": ("storage\tSUPERMICRO-SD5-MIB\t101\t182",)},
     "server", "HOST-RESOURCES hrSystem answers (+2)"),
    # IBM-AIX-MIB lists the host's printers: 10 of its 254 objects, fewer than one in ANSWERED_SHARE.
    ("a few objects of a large MIB say nothing", {
        "sys_object_id": "1.3.6.1.4.1.2.3.1.2.1.1.3", "answered_kinds": ("printer\tIBM-AIX-MIB\t10\t254",)},
     "unknown", ""),
    ("the first answered MIB that speaks loud enough decides", {
        "answered_kinds": ("printer\tIBM-AIX-MIB\t10\t254", "ups\tATEN-PE-CFG\t90\t303",
                           "switch\tACME-MIB\t50\t60")},
     "ups", "answers ATEN-PE-CFG, 90 of whose 303 objects name ups functions (+2)"),
    ("the answered MIB comes before the vendor's neighbours", {
        "answered_kinds": ("wireless\tACME-RADIO-MIB\t8\t79",), "neighbour_kind": "switch\t1.3.6.1.4.1.99999.1\t5\t6"},
     "wireless", "answers ACME-RADIO-MIB, 8 of whose 79 objects name wireless functions (+2)"),
    ("a firewall with VLANs names itself", {"sys_descr": "Acme firewall", "if_types": (ETH,) * 10 + (135, 161)},
     "firewall", "sysDescr 'firewall' (+8)"),
    # --- routing protocols at work (BGP4-MIB, OSPF-MIB) ---
    ("a BGP speaker with peers", {"mibs": frozenset({"bgp-peers"}), "if_types": (ETH,) * 4},
     "router", "BGP-4 peers configured (bgpPeerTable has rows) (+2)"),
    ("OSPF enabled alone says little", {"mibs": frozenset({"ospf-enabled"})}, "unknown", ""),
    ("a campus core switch running OSPF stays a switch", {
        "mibs": frozenset({"ospf-enabled", "bridge-mib", "q-bridge"}), "if_types": (ETH,) * 48, "services": 6},
     "switch", "BRIDGE-MIB answers (+2)"),
    # --- radio ifTypes besides ieee80211 (IANAifType-MIB) ---
    ("a microwave radio's radio MAC beside its Ethernet ports", {"if_types": (ETH,) * 4 + (188, 1)},
     "wireless", "radio link (point-to-point radio, radio MAC, WiMAX) interfaces (ifType 188) (+3)"),
    ("a proprietary point-to-point wireless interface", {"if_types": (24, ETH, 157)},
     "wireless", "radio link (point-to-point radio, radio MAC, WiMAX) interfaces (ifType 157) (+3)"),
    ("CAPWAP 802.11 BSSes beside a router's LAN ports (keenetic)", {"if_types": (ETH,) * 23 + (253, 253)},
     "router", "2 IEEE 802.11 interface(s) beside 23 Ethernet ports (+3)"),
    ("a microwave radio link terminal (IANAifType 296)", {"if_types": (ETH, ETH, ETH, 295, 295, 296)},
     "wireless", "radio link (point-to-point radio, radio MAC, WiMAX) interfaces (ifType 295, 296) (+3)"),
    ("SONET paths and virtual tributaries (an add-drop multiplexer)", {"if_types": (ETH, 24) + (50,) * 9 + (51, 51)},
     "router", "carrier (TDM, ISDN, SONET, frame relay, ATM, DOCSIS, MPLS) interfaces (ifType 50, 51) (+2)"),
    ("routed interfaces (ipForward)", {"if_types": (ETH, ETH, 24) + (142,) * 3}, "router",
     "IP forwarding interfaces (ifType 142) (+2)"),
    ("OTN transport units", {"if_types": (ETH, 260, 261)}, "switch",
     "optical transport interfaces (ifType 260, 261) (+2)"),
    ("a cellular modem's interface", {"if_types": (ETH, ETH, 243)}, "router",
     "cellular WAN interface (ifType 243) (+3)"),
    ("a controller's CAPWAP virtual radios", {"if_types": (ETH, ETH) + (254,) * 40},
     "wireless", "40 IEEE 802.11 interface(s) (ifType 254) (+3)"),
    # --- HOST-RESOURCES device types (RFC 2790), ENTITY-SENSOR sensor types (RFC 3433) ---
    # ibm-power-chrp lists 32 processors, 9 network interfaces, 4 disks, a tape drive and 2 memories.
    ("a host with a tape drive (ibm-power-chrp)", {
        "sys_object_id": "1.3.6.1.4.1.2.3.1.2.1.1.3", "sys_descr": "IBM PowerPC CHRP Computer", "services": 72,
        "host_devices": (3,) * 32 + (4,) * 9 + (6,) * 4 + (18, 20, 20)},
     "server", "HOST-RESOURCES 1 tape drive(s) (+2)"),
    ("processors, network interfaces and disks say no type", {"host_devices": (3, 3, 4, 4, 6, 12)}, "unknown", ""),
    ("a humidity sensor", {"sensor_types": (8, 9)}, "iot", "ENTITY-SENSOR 1 humidity sensor(s) (+2)"),
    ("temperatures, fans and optical power say no type", {"sensor_types": (8, 8, 10, 10, 6, 5, 4)}, "unknown", ""),
    # A printer's agent lists the printer first (zebra: printer, 2 processors, a parallel port, memories);
    # net-snmp on a multiplexer lists a processor, network interfaces, then a print queue.
    ("a printer's own device table (zebra)", {"sys_object_id": "1.3.6.1.4.1.10642.1.1",
                                              "mibs": frozenset({"hr-printer", "host-resources"}),
                                              "host_devices": (5, 3, 3, 15, 20, 21)},
     "printer", "hrPrinterTable under a vendor's sysObjectID (+3)"),
    ("print queues after the processors (lambdatrail)", {
        "sys_object_id": "1.3.6.1.4.1.35616.5", "sys_descr": "Lambdatrail-S - xWDM Multiplexer (SFP - SFP)",
        "mibs": frozenset({"hr-printer", "host-resources"}), "host_devices": (3, 4, 4, 4, 4, 5, 12)},
     "switch", "sysDescr 'xWDM' (+3)"),
    ("print queues without hrSystem say little", {"mibs": frozenset({"hr-printer"}), "host_devices": (3, 4, 5)},
     "unknown", ""),
    ("a switch that reads humidity stays a switch", {"mibs": frozenset({"bridge-mib", "q-bridge"}),
                                                     "if_types": (ETH,) * 28, "sensor_types": (8, 9)},
     "switch", "BRIDGE-MIB answers (+2)"),
]


@pytest.mark.parametrize(("signals", "expected", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_type_from_evidence(signals: dict[str, Any], expected: str, reason: str) -> None:
    decision = decide_type(TypeSignals(**signals))
    assert decision.device_type == expected, decision.reasons
    assert decision.device_type in DEVICE_TYPES
    if reason:
        assert reason in decision.reasons
    if expected != "unknown":
        assert decision.reasons, "a typed decision says why"


def test_reasons_are_strongest_first_and_name_their_points() -> None:
    decision = decide_type(TypeSignals(sys_descr="HP LaserJet 4250 printer", mibs=frozenset({"printer-mib",
                                                                                           "hr-printer"})))
    assert decision.device_type == "printer"
    assert decision.reasons == ("sysDescr 'printer' (+8)", "Printer-MIB answers (+6)",
                                "hrPrinterTable without hrSystem (+3)", "hrPrinterTable has rows (+1)")


# Registry products (classify/products.py) as netdisco-mibs defines them: the product's own words.
@pytest.mark.parametrize(("label", "name", "description", "expected", "reason"), [
    ("HP-ICF-OID::hpSwitchJ9019A", "hpSwitchJ9019A", "", "switch", "says 'Switch'"),
    ("POWERNET-MIB::smartUPS3000", "smartUPS3000", "APC Smart-UPS 3000 uninterruptible power supply", "ups",
     "says 'UPS'"),
    ("ACME-MIB::acmeAP300", "acmeAP300", "Acme 300 series indoor access point", "wireless", "'access point'"),
    # A transfer switch is power gear, not a switch (the same phrases as in sysDescr).
    ("ACME-MIB::acmeAts", "acmeAts", "Acme Automatic Transfer Switch", "ups", "'Transfer Switch'"),
    # Words inside words, and a product with no word for its kind, say nothing.
    ("ACME-MIB::acmeSwitchless9", "acmeSwitchless9", "Upstream appliance", "unknown", ""),
])
def test_the_registry_product_says_its_kind(label: str, name: str, description: str, expected: str,
                                            reason: str) -> None:
    decision = decide_type(TypeSignals(product=product_text(label, name, description)))
    assert decision.device_type == expected, decision.reasons
    if reason:
        assert any(label in r and reason in r and "(+5)" in r for r in decision.reasons), decision.reasons


def test_the_device_s_own_words_outweigh_its_registry_product() -> None:
    decision = decide_type(TypeSignals(sys_descr="Acme R100 router",
                                       product=product_text("ACME-MIB::acmeR100", "acmeR100", "Acme R100 switch")))
    assert decision.device_type == "router"


def test_a_product_family_weighs_less_than_a_product() -> None:
    decision = decide_type(TypeSignals(product=product_text("HP-ICF-OID::hpEtherSwitch", "hpEtherSwitch", ""),
                                       product_family=True))
    assert decision.device_type == "switch"
    assert decision.reasons == ("product family HP-ICF-OID::hpEtherSwitch says 'Switch' (+3)",)


@pytest.mark.parametrize(("descr", "expected"), [
    ("HiveAP AP230, HiveOS 10.0r8", "wireless"),
    ("Aerohive AP650X", "wireless"),
    ("APC Embedded PowerNet SNMP Agent (SW v2.2, HW vB2, Mod: AP9605, Mfg 08/98, SN: WA9901234567)", "unknown"),
])
def test_an_access_point_s_model_has_two_or_three_digits_after_ap(descr: str, expected: str) -> None:
    """APC writes "AP" before every part number (its AP9605 management card, AP7900 PDU): four digits name no
    access point."""
    assert decide_type(TypeSignals(sys_descr=descr)).device_type == expected


@pytest.mark.parametrize("descr", ["HP MSA 2040 SAN", "Raid Subsystem V1.00", "Quantum Scalar i3 Tape Library"])
def test_a_device_that_calls_itself_a_san_a_tape_library_or_a_raid_subsystem_is_storage(descr: str) -> None:
    assert decide_type(TypeSignals(sys_descr=descr)).device_type == "storage"
    # ... but a SAN's switch is a switch.
    assert decide_type(TypeSignals(sys_descr="Brocade SAN Switch")).device_type == "switch"


@pytest.mark.parametrize(("descr", "expected"), [
    ("Expert Power Control 1104-1", "ups"),               # a switched PDU
    ("Rittal IoT Interface SN 00000000 HW V1.1.0 - SW V6.19.00_1", "iot"),
    ("NS-BSD SN710A26XXXXXX amd64", "firewall"),          # Stormshield's firewall OS
    ("FUJI XEROX ApeosPort-VI C4471;ESS1.0.217,IOT 52.54.1,FIN C5.5.0", "unknown"),  # the print engine's release
])
def test_sysdescr_words_of_power_control_iot_and_firewall_systems(descr: str, expected: str) -> None:
    assert decide_type(TypeSignals(sys_descr=descr)).device_type == expected
