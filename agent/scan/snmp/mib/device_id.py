"""A printer's IEEE 1284 device ID: the maker, model and serial it tells the drivers it talks to.

Why: a printer names itself to every computer it is plugged into with one string of `KEY:value;`
pairs (IEEE Std 1284-2000, 7.6: `MANUFACTURER`/`MFG`, `MODEL`/`MDL` and `COMMAND SET`/`CMD` required,
others such as `DESCRIPTION`/`DES` and a serial number optional), and network print servers serve the
same string over SNMP: the Printer Port Monitor MIB's `ppmPrinterIEEE1284DeviceId` (PWG 5107.1) and,
before it, HP's JetDirect `gdStatusId` that OKI's, Zebra's and other vendors' print servers copied. CUPS
reads the same two objects to name a network printer. Where a print server card answers sysDescr
("OkiLAN 9450g", "ZebraNet Wired PS") the device ID still names the printer behind it ("MC873").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.scan.snmp.oids import Oid

# PRINTER-PORT-MONITOR-MIB (PWG 5107.1) ppmPrinterIEEE1284DeviceId of the first printer (ppmPrinterIndex 1),
# then HP-LASERJET-COMMON-MIB gdStatusId (the JetDirect object print servers of other makers answer too).
OBJECTS: tuple[Oid, ...] = (
    (1, 3, 6, 1, 4, 1, 2699, 1, 2, 1, 2, 1, 1, 3, 1),
    (1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 1, 1, 7, 0),
)

# Key spellings (upper case): the standard's long and short keys, and ones printers are known to send
# ("MANUFACTURE:OKI UK LTD", "SERN:", "SERIALNUMBER:").
_MAKER_KEYS = ("MANUFACTURER", "MFG", "MANUFACTURE")
_MODEL_KEYS = ("MODEL", "MDL")
_SERIAL_KEYS = ("SERIALNUMBER", "SERIAL NUMBER", "SERN", "SN")
_PAIR = re.compile(r"\s*([^:;]+?)\s*:\s*([^;]*)")


@dataclass(frozen=True, slots=True)
class DeviceId:
    """What a device ID names; "" where it names nothing."""

    maker: str = ""
    model: str = ""
    serial: str = ""


def parse(text: str) -> DeviceId:
    """The maker, model and serial of a `KEY:value;...` device ID; empty for text of another shape.

    Text without a maker or a model key is not a device ID.
    """
    pairs: dict[str, str] = {}
    for field in text.split(";"):
        if (m := _PAIR.fullmatch(field)) and (value := " ".join(m.group(2).split())):
            pairs.setdefault(" ".join(m.group(1).split()).upper(), value)
    maker = next((pairs[k] for k in _MAKER_KEYS if k in pairs), "")
    model = next((pairs[k] for k in _MODEL_KEYS if k in pairs), "")
    if not (maker or model):
        return DeviceId()
    return DeviceId(maker, model, next((pairs[k] for k in _SERIAL_KEYS if k in pairs), ""))
