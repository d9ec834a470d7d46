"""A printer's IEEE 1284 device ID: the standard's long and short keys, spellings printers send, and
text that is no device ID. The strings are those of real printers (LibreNMS test recordings of HP
LaserJets, an OkiLAN card and a ZebraNet print server) and of the standard's example."""

from __future__ import annotations

import pytest

from agent.scan.snmp.mib.device_id import DeviceId, parse


@pytest.mark.parametrize(("text", "expected"), [
    ("MFG:Hewlett-Packard;CMD:PJL,PML,PCLXL,URP,PCL,PDF,POSTSCRIPT;MDL:HP Color LaserJet M452nw;CLS:PRINTER;"
     "DES:Hewlett-Packard Color LaserJet M452nw;MEM:MEM=233MB;",
     DeviceId("Hewlett-Packard", "HP Color LaserJet M452nw")),
    ("MANUFACTURE:OKI UK LTD;COMMAND SET:PCL,XPS,IBMPPR,EPSONFX,POSTSCRIPT,IPDL;MODEL:MC873;CLASS:PRINTER;"
     "DESCRIPTION:MC873;", DeviceId("OKI UK LTD", "MC873")),
    ("MANUFACTURER:Zebra Technologies;COMMAND SET:ZPL;MODEL:ZTC TLP 2824 Plus;CLASS:PRINTER;OPTIONS:XML;",
     DeviceId("Zebra Technologies", "ZTC TLP 2824 Plus")),
    # Keys in any case, spaces around them, a serial under the keys printers use for it.
    (" mfg : Acme ; mdl : LaserPro  4200 ; sn : AC123 ;", DeviceId("Acme", "LaserPro 4200", "AC123")),
    ("MFG:Acme;MDL:X1;SERN:Z9;", DeviceId("Acme", "X1", "Z9")),
    # The first of a key given twice; a key without a value names nothing.
    ("MFG:;MANUFACTURER:Acme;MDL:X1;MDL:X2", DeviceId("Acme", "X1")),
    # Not a device ID: no maker and no model key.
    ("HP ETHERNET MULTI-ENVIRONMENT", DeviceId()),
    ("CMD:PCL;CLS:PRINTER;", DeviceId()),
    ("", DeviceId()),
])
def test_parse(text: str, expected: DeviceId) -> None:
    assert parse(text) == expected
