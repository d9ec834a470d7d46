"""Serial, model and firmware from the standard and vendor MIB objects that hold them.

ENTITY-MIB is the standard place, but many devices leave it empty or never implement it: printers
keep their serial in Printer-MIB, UPSes their model and firmware in UPS-MIB, and most vendors in a
scalar of their own MIB. One GET per device asks for the few objects of the device's enterprise
(the 7th arc of sysObjectID, IANA Private Enterprise Numbers) plus the standard ones of the MIBs
the census found (oids.PRESENCE); device.py sends it at both --snmp-depth values. Each object below
is cited by MIB and object name.

Appliances built on net-snmp usually answer with net-snmp's own sysObjectID (1.3.6.1.4.1.8072.3.2.10),
so that enterprise asks for the objects of the NAS and AP makers known to ship it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.scan.snmp.mib import device_id
from agent.scan.snmp.oids import Oid
from agent.scan.snmp.values import text

# "serial" | "model" | "firmware" | "last-firmware" (a release read only when no other source names one)
# | "device-id" (a printer's IEEE 1284 device ID: its maker, model and serial, mib/device_id.py)
Field = str
Objects = tuple[tuple[Field, Oid], ...]


def _o(dotted: str) -> Oid:
    return tuple(int(x) for x in dotted.split("."))


# HOST-RESOURCES-MIB hrDeviceDescr.1: a printer lists itself as its first device, by model name.
# Asked of printers (Printer-MIB present) and of the printer makers' enterprises below, whose agents
# do not always carry Printer-MIB's general table.
_PRINTER_MODEL: tuple[Field, Oid] = ("model", _o("1.3.6.1.2.1.25.3.2.1.3.1"))

# Standard MIBs, asked when the census saw them (keys of oids.PRESENCE).
STANDARD: dict[str, Objects] = {
    "printer-mib": (
        ("serial", _o("1.3.6.1.2.1.43.5.1.1.17.1")),  # Printer-MIB (RFC 3805) prtGeneralSerialNumber.1
        _PRINTER_MODEL,
    ),
    "ups-mib": (
        ("model", _o("1.3.6.1.2.1.33.1.1.2.0")),      # UPS-MIB (RFC 1628) upsIdentModel
        ("firmware", _o("1.3.6.1.2.1.33.1.1.3.0")),   # UPS-MIB upsIdentUPSSoftwareVersion
        ("firmware", _o("1.3.6.1.2.1.33.1.1.4.0")),   # UPS-MIB upsIdentAgentSoftwareVersion
    ),
    # RMON2-MIB (RFC 4502) probeSoftwareRev: "the software revision of this device", which optical
    # and carrier-Ethernet gear with a built-in probe answers where ENTITY-MIB and sysDescr say nothing.
    # The last source only: Cisco's IOS answers "12.2" for 12.2(50)SE5, the probe's own revision.
    "rmon2-probe": (
        ("last-firmware", _o("1.3.6.1.2.1.16.19.2.0")),  # RMON2-MIB probeSoftwareRev
    ),
}

_CHECK_POINT: Objects = (
    ("serial", _o("1.3.6.1.4.1.2620.1.6.16.3.0")),     # CHECKPOINT-MIB svnApplianceSerialNumber
    ("model", _o("1.3.6.1.4.1.2620.1.6.16.7.0")),      # CHECKPOINT-MIB svnApplianceProductName
    ("firmware", _o("1.3.6.1.4.1.2620.1.6.4.1.0")),    # CHECKPOINT-MIB svnVersion
)

# TELTONIKA-MIB device group (1.3.6.1.4.1.48690.1): serial, deviceName (the product, e.g. "RUT955"),
# productCode, firmware version. RutOS answers with net-snmp's sysObjectID, so 8072 asks for these too.
_TELTONIKA: Objects = (
    ("serial", _o("1.3.6.1.4.1.48690.1.1.0")),         # TELTONIKA-MIB serial
    ("model", _o("1.3.6.1.4.1.48690.1.2.0")),          # TELTONIKA-MIB deviceName
    ("model", _o("1.3.6.1.4.1.48690.1.3.0")),          # TELTONIKA-MIB productCode
    ("firmware", _o("1.3.6.1.4.1.48690.1.6.0")),       # TELTONIKA-MIB fwVersion
)

# Ubiquiti's EdgeMAX and airFiber/LTU products keep model and firmware in their own MIBs under 41112,
# while their agents answer with another sysObjectID: EdgePower and UISP OLTs with Frogfoot's (10002,
# the airOS agent's) or Broadcom's (4413, the switch SDK's), airFiber LTU with net-snmp's.
_EDGEMAX: Objects = (
    ("model", _o("1.3.6.1.4.1.41112.1.5.1.1.0")),      # UBNT-EdgeMAX-MIB ubntModel
    ("firmware", _o("1.3.6.1.4.1.41112.1.5.1.3.0")),   # UBNT-EdgeMAX-MIB ubntVersion
)
_AIRFIBER_LTU: Objects = (
    ("model", _o("1.3.6.1.4.1.41112.1.10.1.3.2.0")),   # UBNT-AFLTU-MIB afLTUDevModel
    ("firmware", _o("1.3.6.1.4.1.41112.1.10.1.3.4.0")),  # UBNT-AFLTU-MIB afLTUFirmwareVersion
)

_NET_SNMP_APPLIANCES: Objects = (
    ("model", _o("1.3.6.1.4.1.6574.1.5.1.0")),         # SYNOLOGY-SYSTEM-MIB modelName
    ("serial", _o("1.3.6.1.4.1.6574.1.5.2.0")),        # SYNOLOGY-SYSTEM-MIB serialNumber
    ("firmware", _o("1.3.6.1.4.1.6574.1.5.3.0")),      # SYNOLOGY-SYSTEM-MIB version
    ("model", _o("1.3.6.1.4.1.24681.2.2.12.0")),       # QNAP-NAS-MIB (ES) es-ModelName
    ("model", _o("1.3.6.1.4.1.41112.1.6.3.3.0")),      # UBNT-UniFi-MIB unifiApSystemModel
    ("firmware", _o("1.3.6.1.4.1.41112.1.6.3.6.0")),   # UBNT-UniFi-MIB unifiApSystemVersion
    *_CHECK_POINT,                                     # Check Point Gaia answers with net-snmp's own ID
    *_TELTONIKA,                                       # RutOS routers answer with net-snmp's own ID
    *_AIRFIBER_LTU,                                    # so do Ubiquiti's airFiber/LTU radios
)

# Vendor objects by enterprise number, in order of preference within each field.
VENDOR: dict[int, Objects] = {
    9: (  # Cisco
        ("serial", _o("1.3.6.1.4.1.9.5.1.2.19.0")),    # CISCO-STACK-MIB chassisSerialNumberString
        ("model", _o("1.3.6.1.4.1.9.5.1.2.16.0")),     # CISCO-STACK-MIB chassisModel
        ("serial", _o("1.3.6.1.4.1.9.3.6.3.0")),       # OLD-CISCO-CHASSIS-MIB chassisId
    ),
    11: (  # HP / HPE: JetDirect printers, HTTP-managed devices
        ("model", _o("1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.2.0")),   # HP-LASERJET-COMMON-MIB model-name
        ("serial", _o("1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.3.0")),  # HP-LASERJET-COMMON-MIB serial-number
        ("firmware", _o("1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.6.0")),  # HP-LASERJET-COMMON-MIB fw-rom
        ("serial", _o("1.3.6.1.4.1.11.2.36.1.1.2.9.0")),  # SEMI-MIB hpHttpMgSerialNumber
        # HP's storage arrays under its own number (MSA: 11.2.51) answer Compaq's Insight MIB as ProLiants do.
        ("serial", _o("1.3.6.1.4.1.232.2.2.2.1.0")),   # CPQSINFO-MIB cpqSiSysSerialNum
        ("model", _o("1.3.6.1.4.1.232.2.2.4.2.0")),    # CPQSINFO-MIB cpqSiProductName
        _PRINTER_MODEL,
    ),
    232: (  # Compaq / HPE ProLiant Insight agents
        ("serial", _o("1.3.6.1.4.1.232.2.2.2.1.0")),   # CPQSINFO-MIB cpqSiSysSerialNum
        ("model", _o("1.3.6.1.4.1.232.2.2.4.2.0")),    # CPQSINFO-MIB cpqSiProductName
        ("serial", _o("1.3.6.1.4.1.232.11.2.10.3.0")),  # CPQHOST-MIB, the host's serial number
    ),
    318: (  # APC (Schneider Electric): UPS, Switched/Rack PDUs
        ("model", _o("1.3.6.1.4.1.318.1.1.1.1.1.1.0")),    # PowerNet-MIB upsBasicIdentModel
        ("serial", _o("1.3.6.1.4.1.318.1.1.1.1.2.3.0")),   # PowerNet-MIB upsAdvIdentSerialNumber
        ("firmware", _o("1.3.6.1.4.1.318.1.1.1.1.2.1.0")),  # PowerNet-MIB upsAdvIdentFirmwareRevision
        ("model", _o("1.3.6.1.4.1.318.1.1.26.2.1.8.1")),   # PowerNet-MIB rPDU2IdentModelNumber.1
        ("serial", _o("1.3.6.1.4.1.318.1.1.26.2.1.9.1")),  # PowerNet-MIB rPDU2IdentSerialNumber.1
        ("firmware", _o("1.3.6.1.4.1.318.1.1.26.2.1.6.1")),  # PowerNet-MIB rPDU2IdentFirmwareRevision.1
        ("model", _o("1.3.6.1.4.1.318.1.1.12.1.5.0")),     # PowerNet-MIB rPDUIdentModelNumber
        ("serial", _o("1.3.6.1.4.1.318.1.1.12.1.6.0")),    # PowerNet-MIB rPDUIdentSerialNumber
        ("firmware", _o("1.3.6.1.4.1.318.1.1.12.1.3.0")),  # PowerNet-MIB rPDUIdentFirmwareRevision
        ("model", _o("1.3.6.1.4.1.318.1.1.4.1.4.0")),      # PowerNet-MIB sPDUIdentModelNumber (MasterSwitch)
        ("serial", _o("1.3.6.1.4.1.318.1.1.4.1.5.0")),     # PowerNet-MIB sPDUIdentSerialNumber
        ("firmware", _o("1.3.6.1.4.1.318.1.1.4.1.2.0")),   # PowerNet-MIB sPDUIdentFirmwareRev
    ),
    534: (  # Eaton (Powerware)
        ("model", _o("1.3.6.1.4.1.534.1.1.2.0")),          # XUPS-MIB xupsIdentModel
        ("firmware", _o("1.3.6.1.4.1.534.1.1.3.0")),       # XUPS-MIB xupsIdentSoftwareVersion
        ("model", _o("1.3.6.1.4.1.534.6.6.7.1.2.1.3.0")),  # EATON-EPDU-MIB partNumber
        ("serial", _o("1.3.6.1.4.1.534.6.6.7.1.2.1.4.0")),  # EATON-EPDU-MIB serialNumber
        ("firmware", _o("1.3.6.1.4.1.534.6.6.7.1.2.1.5.0")),  # EATON-EPDU-MIB firmwareVersion
    ),
    674: (  # Dell
        ("serial", _o("1.3.6.1.4.1.674.10892.5.1.3.2.0")),   # IDRAC-MIB systemServiceTag
        ("model", _o("1.3.6.1.4.1.674.10892.5.1.3.12.0")),   # IDRAC-MIB systemModelName
        ("firmware", _o("1.3.6.1.4.1.674.10892.5.1.1.8.0")),  # IDRAC-MIB racFirmwareVersion
        ("serial", _o("1.3.6.1.4.1.674.10892.1.300.10.1.11.1")),  # MIB-Dell-10892 chassisServiceTagName.1
        ("model", _o("1.3.6.1.4.1.674.10892.1.300.10.1.9.1")),   # MIB-Dell-10892 chassisModelName.1
        ("serial", _o("1.3.6.1.4.1.674.10895.3000.1.2.100.8.1.4.1")),  # Dell-Vendor-MIB productIdentificationServiceTag
        ("model", _o("1.3.6.1.4.1.674.10895.3000.1.2.100.1.0")),  # Dell-Vendor-MIB productIdentificationDisplayName
        ("firmware", _o("1.3.6.1.4.1.674.10895.3000.1.2.100.4.0")),  # Dell-Vendor-MIB productIdentificationVersion
    ),
    705: (  # MGE UPS Systems (Eaton)
        ("model", _o("1.3.6.1.4.1.705.1.1.1.0")),          # MG-SNMP-UPS-MIB upsmgIdentFamilyName
        ("serial", _o("1.3.6.1.4.1.705.1.1.7.0")),         # MG-SNMP-UPS-MIB upsmgIdentSerialNumber
        ("firmware", _o("1.3.6.1.4.1.705.1.1.4.0")),       # MG-SNMP-UPS-MIB upsmgIdentFirmwareVersion
    ),
    890: (  # Zyxel
        ("firmware", _o("1.3.6.1.4.1.890.1.15.3.1.6.0")),  # ZYXEL-ES-COMMON sysSwVersionString
        ("model", _o("1.3.6.1.4.1.890.1.15.3.1.11.0")),    # ZYXEL-ES-COMMON sysProductModel
        ("serial", _o("1.3.6.1.4.1.890.1.15.3.1.12.0")),   # ZYXEL-ES-COMMON sysProductSerialNumber
    ),
    1248: (  # Epson
        ("model", _o("1.3.6.1.4.1.1248.1.2.2.1.1.1.2.1")),  # EPSON printer MIB model name
        ("serial", _o("1.3.6.1.4.1.1248.1.2.2.1.1.1.5.1")),  # EPSON printer MIB serial number
        _PRINTER_MODEL,
    ),
    1347: (  # Kyocera
        ("model", _o("1.3.6.1.4.1.1347.43.5.1.1.1.1")),    # KYOCERA-Private-MIB kcprtGeneralModelName.1
        ("serial", _o("1.3.6.1.4.1.1347.43.5.1.1.28.1")),  # KYOCERA-Private-MIB kcprtSerialNumber.1
        _PRINTER_MODEL,
    ),
    1588: (  # Brocade Fibre Channel
        ("firmware", _o("1.3.6.1.4.1.1588.2.1.1.1.1.6.0")),  # SW-MIB swFirmwareVersion
        ("serial", _o("1.3.6.1.4.1.1588.2.1.1.1.1.10.0")),   # SW-MIB swSsn
    ),
    1602: (  # Canon
        ("model", _o("1.3.6.1.4.1.1602.1.1.1.1.0")),       # CANON-MIB canPdInfoProductName
        ("firmware", _o("1.3.6.1.4.1.1602.1.1.1.4.0")),    # CANON-MIB canPdInfoProductVersion
        ("serial", _o("1.3.6.1.4.1.1602.1.2.1.8.1.3.1.1")),  # CANON-MIB canServInfoSerialNumberDeviceNumber
        ("serial", _o("1.3.6.1.4.1.1602.1.2.1.4.0")),      # CANON-MIB (older) serial number
        _PRINTER_MODEL,
    ),
    1991: (  # Brocade / Foundry (IronWare)
        ("serial", _o("1.3.6.1.4.1.1991.1.1.1.1.2.0")),    # FOUNDRY-SN-AGENT-MIB snChasSerNum
        ("firmware", _o("1.3.6.1.4.1.1991.1.1.2.1.11.0")),  # FOUNDRY-SN-AGENT-MIB snAgImgVer
    ),
    2001: (  # OKI
        ("model", _o("1.3.6.1.4.1.2001.1.1.1.1.11.1.10.25.0")),   # OKIDATA-MIB model name
        ("serial", _o("1.3.6.1.4.1.2001.1.1.1.1.11.1.10.45.0")),  # OKIDATA-MIB serial number
        _PRINTER_MODEL,
    ),
    2435: (  # Brother
        ("serial", _o("1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0")),  # BROTHER-MIB brInfoSerialNumber
        _PRINTER_MODEL,
    ),
    2620: _CHECK_POINT,
    3808: (  # CyberPower
        ("model", _o("1.3.6.1.4.1.3808.1.1.1.1.1.1.0")),   # CPS-MIB upsBaseIdentModel
        ("firmware", _o("1.3.6.1.4.1.3808.1.1.1.1.2.1.0")),  # CPS-MIB upsAdvanceIdentFirmwareRevision
        ("serial", _o("1.3.6.1.4.1.3808.1.1.1.1.2.3.0")),  # CPS-MIB upsAdvanceIdentSerialNumber
    ),
    26928: (  # Aerohive (Extreme Networks) HiveOS
        ("model", _o("1.3.6.1.4.1.26928.1.2.6.0")),       # AH-SYSTEM-MIB ahDeviceMode (the product name)
        ("serial", _o("1.3.6.1.4.1.26928.1.2.5.0")),      # AH-SYSTEM-MIB ahSystemSerial
    ),
    36673: (  # IP Infusion OcNOS
        ("model", _o("1.3.6.1.4.1.36673.100.1.2.1.1.2.1")),   # IPI-CMM-CHASSIS-MIB stack unit 1: model
        ("serial", _o("1.3.6.1.4.1.36673.100.1.2.1.1.3.1")),  # IPI-CMM-CHASSIS-MIB stack unit 1: serial number
    ),
    25053: (  # Ruckus Wireless
        ("model", _o("1.3.6.1.4.1.25053.1.2.1.1.1.1.9.0")),    # RUCKUS-ZD-SYSTEM-MIB ruckusZDSystemModel
        ("serial", _o("1.3.6.1.4.1.25053.1.2.1.1.1.1.15.0")),  # RUCKUS-ZD-SYSTEM-MIB ruckusZDSystemSerialNumber
        ("firmware", _o("1.3.6.1.4.1.25053.1.2.1.1.1.1.18.0")),  # RUCKUS-ZD-SYSTEM-MIB ruckusZDSystemVersion
        ("model", _o("1.3.6.1.4.1.25053.1.15.1.1.1.1.9.0")),    # RUCKUS-UNLEASHED-SYSTEM-MIB model
        ("serial", _o("1.3.6.1.4.1.25053.1.15.1.1.1.1.15.0")),  # RUCKUS-UNLEASHED-SYSTEM-MIB serial number
        ("firmware", _o("1.3.6.1.4.1.25053.1.15.1.1.1.1.18.0")),  # RUCKUS-UNLEASHED-SYSTEM-MIB version
        ("serial", _o("1.3.6.1.4.1.25053.1.4.1.1.1.15.13.0")),  # RUCKUS-SZ-SYSTEM-MIB ruckusSZSystemSerialNumber
    ),
    2636: (  # Juniper
        ("serial", _o("1.3.6.1.4.1.2636.3.1.3.0")),        # JUNIPER-MIB jnxBoxSerialNo
        ("model", _o("1.3.6.1.4.1.2636.3.1.2.0")),         # JUNIPER-MIB jnxBoxDescr
        ("firmware", _o("1.3.6.1.4.1.2636.3.40.1.4.1.1.1.5.0")),  # JUNIPER-VIRTUALCHASSIS-MIB member SW version
    ),
    367: (  # Ricoh
        ("serial", _o("1.3.6.1.4.1.367.3.2.1.2.1.4.0")),   # RICOH-PRIVATE-MIB ricohEngSerialNumber
        _PRINTER_MODEL,
    ),
    641: (  # Lexmark
        ("model", _o("1.3.6.1.4.1.641.2.1.2.1.2.1")),      # LEXMARK-PVT-MIB prtgenPrinterName.1
        ("serial", _o("1.3.6.1.4.1.641.2.1.2.1.6.1")),     # LEXMARK-PVT-MIB prtgenSerialNo.1
        _PRINTER_MODEL,
    ),
    253: (  # Xerox
        ("serial", _o("1.3.6.1.4.1.253.8.53.3.2.1.3.1")),  # XEROX-HOST-RESOURCES-EXT-MIB xcmHrDevInfoSerialNumber.1
        _PRINTER_MODEL,
    ),
    8741: (  # SonicWall
        ("model", _o("1.3.6.1.4.1.8741.2.1.1.1.0")),       # SONICWALL-COMMON-MIB snwlSysModel
        ("serial", _o("1.3.6.1.4.1.8741.2.1.1.2.0")),      # SONICWALL-COMMON-MIB snwlSysSerialNumber
        ("firmware", _o("1.3.6.1.4.1.8741.2.1.1.3.0")),    # SONICWALL-COMMON-MIB snwlSysFirmwareVersion
    ),
    12356: (  # Fortinet
        ("serial", _o("1.3.6.1.4.1.12356.100.1.1.1.0")),   # FORTINET-CORE-MIB fnSysSerial
        ("firmware", _o("1.3.6.1.4.1.12356.101.4.1.1.0")),  # FORTINET-FORTIGATE-MIB fgSysVersion
    ),
    14823: (  # Aruba (Instant, Mobility Controllers)
        ("model", _o("1.3.6.1.4.1.14823.2.2.1.1.1.2.0")),     # WLSX-SYSTEMEXT-MIB wlsxSysExtModelName
        ("serial", _o("1.3.6.1.4.1.14823.2.2.1.1.1.12.0")),   # WLSX-SYSTEMEXT-MIB wlsxSysExtSerialNumber
        ("firmware", _o("1.3.6.1.4.1.14823.2.3.3.1.1.4.0")),  # AI-AP-MIB aiVirtualControllerVersion
    ),
    14988: (  # MikroTik
        ("serial", _o("1.3.6.1.4.1.14988.1.1.7.3.0")),     # MIKROTIK-MIB mtxrSerialNumber
        ("firmware", _o("1.3.6.1.4.1.14988.1.1.4.4.0")),   # MIKROTIK-MIB mtxrLicVersion (RouterOS version)
        ("firmware", _o("1.3.6.1.4.1.14988.1.1.7.4.0")),   # MIKROTIK-MIB mtxrFirmwareVersion (RouterBOOT)
    ),
    18334: (  # Konica Minolta
        ("model", _o("1.3.6.1.4.1.18334.1.1.1.1.6.2.1.0")),  # KONICAMINOLTA-MIB model name
        _PRINTER_MODEL,
    ),
    25461: (  # Palo Alto Networks
        ("firmware", _o("1.3.6.1.4.1.25461.2.1.2.1.1.0")),  # PAN-COMMON-MIB panSysSwVersion
        ("serial", _o("1.3.6.1.4.1.25461.2.1.2.1.3.0")),    # PAN-COMMON-MIB panSysSerialNumber
        ("model", _o("1.3.6.1.4.1.25461.2.1.2.2.1.0")),     # PAN-COMMON-MIB panChassisType
    ),
    41112: (  # Ubiquiti
        ("model", _o("1.3.6.1.4.1.41112.1.6.3.3.0")),      # UBNT-UniFi-MIB unifiApSystemModel
        ("firmware", _o("1.3.6.1.4.1.41112.1.6.3.6.0")),   # UBNT-UniFi-MIB unifiApSystemVersion
        *_EDGEMAX,
        *_AIRFIBER_LTU,
    ),
    10002: _EDGEMAX,  # Frogfoot's sysObjectID, as Ubiquiti's airOS-derived agents answer
    4413: _EDGEMAX,   # Broadcom's, as Ubiquiti's switch-SDK products answer
    6574: _NET_SNMP_APPLIANCES[:3],   # Synology answering with its own sysObjectID
    24681: (_NET_SNMP_APPLIANCES[3],),  # QNAP
    48690: _TELTONIKA,
    683: (  # Extended Systems print servers (Zebra ZebraNet): ESI-MIB general group
        ("model", _o("1.3.6.1.4.1.683.1.4.0")),            # ESI-MIB model number
        ("serial", _o("1.3.6.1.4.1.683.1.5.0")),           # ESI-MIB serial number
        ("firmware", _o("1.3.6.1.4.1.683.1.9.0")),         # ESI-MIB firmware version
    ),
    21239: (  # Geist / Vertiv PDUs (GEIST-V5-MIB, VERTIV-V5-MIB productGroup)
        ("model", _o("1.3.6.1.4.1.21239.5.2.1.8.0")),      # VERTIV-V5-MIB productModelNumber
        ("serial", _o("1.3.6.1.4.1.21239.5.2.1.10.0")),    # VERTIV-V5-MIB productSerialNumber
        ("firmware", _o("1.3.6.1.4.1.21239.5.2.1.2.0")),   # VERTIV-V5-MIB productVersion
    ),
    19536: (  # Panduit PDUs: PANDUIT-PDU-MIB pduNamePlateTable, unit 1
        ("model", _o("1.3.6.1.4.1.19536.10.1.1.2.1.7.1")),    # PANDUIT-PDU-MIB pduModelNumber.1
        ("serial", _o("1.3.6.1.4.1.19536.10.1.1.2.1.8.1")),   # PANDUIT-PDU-MIB pduSerialNumber.1
        ("firmware", _o("1.3.6.1.4.1.19536.10.1.1.2.1.5.1")),  # PANDUIT-PDU-MIB pduFirmwareVersion.1
    ),
    57344: (  # Tachyon Networks radios: TACHYON-MIB system group
        ("model", _o("1.3.6.1.4.1.57344.1.3.1.0")),        # TACHYON-MIB model
        ("serial", _o("1.3.6.1.4.1.57344.1.3.2.0")),       # TACHYON-MIB serial number
        ("firmware", _o("1.3.6.1.4.1.57344.1.3.4.0")),     # TACHYON-MIB firmware version
    ),
    # IBM's and Lenovo's server BMCs (IMM, XClarity Controller): the first row of the BMC's firmware VPD
    # table is its own running firmware (build and release, "TEI3C0N 4.83"; UEFI and diagnostics follow),
    # where sysDescr names the Linux kernel under it.
    2: (("firmware", _o("1.3.6.1.4.1.2.3.51.3.1.5.1.1.3.1")),),          # IMM-MIB immVpdVersionString.1
    19046: (("firmware", _o("1.3.6.1.4.1.19046.11.1.1.5.1.1.3.1")),),    # LENOVO-XCC-MIB xccVpdVersionString.1
    8072: _NET_SNMP_APPLIANCES,       # net-snmp's own sysObjectID: Linux appliances
}

_ENTERPRISES = (1, 3, 6, 1, 4, 1)


@dataclass(frozen=True, slots=True)
class VendorIds:
    """What the standard and vendor objects answered, per field in order of preference (the caller
    drops placeholders: the first answer may be "Unknown")."""

    serials: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    firmwares: tuple[str, ...] = ()
    last_firmwares: tuple[str, ...] = ()  # read after every other source of the release
    makers: tuple[str, ...] = ()          # the maker a printer's IEEE 1284 device ID names


def enterprise(object_id: str) -> int:
    """The Private Enterprise Number of a dotted sysObjectID, 0 when it is not under enterprises."""
    try:
        arcs = tuple(int(x) for x in object_id.strip(".").split("."))
    except ValueError:
        return 0
    return arcs[6] if len(arcs) > 6 and arcs[:6] == _ENTERPRISES else 0


def _product_objects(object_id: str) -> Objects:
    """Objects whose place depends on the product subtree that sysObjectID names.

    Fortinet's product MIBs (FORTINET-FORTIADC-MIB, -FORTIAUTHENTICATOR-MIB, -FORTIVOICE-MIB, ...) keep
    model, serial and version at <product>.1.1/.1.2/.1.3 (FortiGate's own, 101, keeps them in
    FORTINET-CORE-MIB, listed in VENDOR; FortiAP's, 120, has version then serial); Moxa's EtherDevice
    MIBs (MOXA-EDSG512E-MIB, ...) keep modelName, firmwareVersion and serialNumber at
    8691.7.<product>.1.2/.1.4/.1.78, <product> being the arc of the device's own sysObjectID; Moxa's AWK
    wireless MIBs keep modelName, serialNumber and firmwareVersion at 8691.15.<product>.1.1.1/.1.1.3/.1.1.5.
    Edgecore's ECS switch MIBs keep swOpCodeVer and swSerialNumber of unit 1 at
    259.10.1.<product>.1.1.3.1.6.1/.10.1. FortiSwitch (106) names its model and release in one object,
    fsSysVersion (identify.py splits it).
    """
    try:
        arcs = tuple(int(x) for x in object_id.strip(".").split("."))
    except ValueError:
        return ()
    if len(arcs) < 8 or arcs[:6] != _ENTERPRISES:
        return ()
    pen, product = arcs[6], arcs[7]
    base: Oid = (*_ENTERPRISES, pen, product, 1)
    if pen == 12356 and product == 120:
        return (("firmware", (*base, 1, 0)), ("serial", (*base, 2, 0)))
    if pen == 12356 and product == 106:  # FORTINET-FORTISWITCH-MIB fsSysVersion: "<model> v7.4.0,build..."
        version: Oid = (*_ENTERPRISES, pen, product, 4, 1, 1, 0)
        return (("model", version), ("firmware", version))
    if pen == 12356 and product not in (100, 101):
        return (("model", (*base, 1, 0)), ("serial", (*base, 2, 0)), ("firmware", (*base, 3, 0)))
    if pen == 259 and product == 10 and len(arcs) > 9 and arcs[8] == 1:  # Edgecore ECS switch MIBs
        # (ECS2100-MIB, ECS4110-MIB, ...): swInfoTable of unit 1 at 259.10.1.<product>.1.1.3.1:
        # swOpCodeVer (6) and swSerialNumber (10).
        base = (*_ENTERPRISES, pen, 10, 1, arcs[9], 1, 1, 3, 1)
        return (("serial", (*base, 10, 1)), ("firmware", (*base, 6, 1)))
    if pen == 8691 and product == 15 and len(arcs) > 8:  # Moxa AWK wireless MIBs (MOXA-AWK4131A-MIB, ...)
        base = (*_ENTERPRISES, pen, 15, arcs[8], 1, 1)
        return (("model", (*base, 1, 0)), ("serial", (*base, 3, 0)), ("firmware", (*base, 5, 0)))
    if pen == 8691 and product == 7 and len(arcs) > 8:
        base = (*_ENTERPRISES, pen, 7, arcs[8], 1)
        return (("model", (*base, 2, 0)), ("firmware", (*base, 4, 0)), ("serial", (*base, 78, 0)))
    return ()


def objects(object_id: str, mibs: frozenset[str]) -> Objects:
    """The objects to ask a device with this sysObjectID that answered these PRESENCE MIBs: a printer's
    IEEE 1284 device ID first (the model the printer gives its drivers, also behind a print server card
    that answers sysDescr and its vendor's objects itself), then its vendor's, then the standard MIBs'."""
    printer = bool({"printer-mib", "hr-printer"} & mibs)
    out: Objects = tuple(("device-id", oid) for oid in device_id.OBJECTS if printer)
    out += VENDOR.get(enterprise(object_id), ()) + _product_objects(object_id)
    for mib, objs in STANDARD.items():
        if mib in mibs:
            out += objs
    return out


def request(object_id: str, mibs: frozenset[str]) -> tuple[Oid, ...]:
    """The OIDs of the one GET (see `objects`), without repeats."""
    return tuple(dict.fromkeys(oid for _, oid in objects(object_id, mibs)))


def vendor_ids(object_id: str, mibs: frozenset[str], scalars: Mapping[Oid, Any]) -> VendorIds:
    """Every answered value per field, in the order `objects` lists them."""
    found: dict[str, list[str]] = {"serial": [], "model": [], "firmware": [], "last-firmware": [], "maker": []}
    serials_last: list[str] = []  # a device ID's serial, after the MIBs' own serial objects
    for name, oid in dict.fromkeys(objects(object_id, mibs)):  # a printer maker's hrDeviceDescr.1 is listed twice
        if oid in scalars and (value := text(scalars[oid])):
            if name == "device-id":
                said = device_id.parse(value)
                found["maker"] += [said.maker] if said.maker else []
                found["model"] += [said.model] if said.model else []
                serials_last += [said.serial] if said.serial else []
            else:
                found[name].append(value)
    return VendorIds(tuple(found["serial"] + serials_last), tuple(found["model"]), tuple(found["firmware"]),
                     tuple(found["last-firmware"]), tuple(found["maker"]))
