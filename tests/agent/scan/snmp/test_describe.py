"""sysDescr parsing: model, version and serial by the kind of text, and texts that must yield nothing.

The sysDescr values are those of real devices in snmpsim-data's recordings (BSD-2-Clause) and of
vendors' documentation; each row names the kind of text it stands for.
"""

from __future__ import annotations

import pytest

from agent.scan.snmp.describe import Described, describe, is_uname

CASES = [
    # (kind of text, sysDescr, sysName, vendor, expected)
    ("Cisco IOS: Software (...), Version", "Cisco IOS Software, C3560 Software (C3560-IPSERVICESK9-M), Version "
     "12.2(55)SE3, RELEASE SOFTWARE (fc1)\r\nTechnical Support: http://www.cisco.com/techsupport\r\nCopyright (c) "
     "1986-2011 by Cisco Systems, Inc.\r\nCompiled Thu 05-May-11 16:56 by prod_rel_team", "", "Cisco",
     Described(version="12.2(55)SE3")),
    ("NX-OS nested parentheses", "Cisco NX-OS(tm) n5000, Software (n5000-uk9), Version 6.0(2)N2(3), RELEASE "
     "SOFTWARE Copyright (c) 2002-2012 by Cisco Systems, Inc. Device Manager Version 6.2(1),  Compiled 12/17/2013",
     "", "Cisco", Described(model="n5000", version="6.0(2)N2(3)")),
    ("OS name + version, running on", "Arista Networks EOS version 4.20.5F running on an Arista Networks "
     "DCS-7150S-52-CL", "", "Arista Networks", Described(model="DCS-7150S-52-CL", version="4.20.5F")),
    ("kernel JUNOS", "Juniper Networks, Inc. mx960 internet router, kernel JUNOS 12.3R6.6, Build date: 2014-03-13 "
     "07:12:28 UTC Copyright (c) 1996-2014 Juniper Networks, Inc.", "", "Juniper Networks",
     Described(model="mx960", version="12.3R6.6")),
    ("MODEL: label", "ArubaOS (MODEL: Aruba7210), Version 6.5.1.6 (60228)", "", "Aruba",
     Described(model="Aruba7210", version="6.5.1.6")),
    ("MN:/SN: labels; MB: is the board, PF: the firmware", "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.7.2 "
     "PN:apc_hw05_aos_672.bin AF1:v6.7.2 AN1:apc_hw05_rpdu2g_672.bin MN:AP7902B HR:B2 SN: 5A1551F39430 "
     "MD:10/07/2018)", "", "APC", Described(model="AP7902B", version="6.7.2", serial="5A1551F39430")),
    ("product code in parentheses after a product word", "Ruijie 10G Routing Switch(S5750-24GT/12SFP) By Ruijie "
     "Networks", "", "Ruijie", Described(model="S5750-24GT/12SFP")),
    ("product token after the vendor", "D-Link DES-3028 Fast Ethernet Switch", "", "D-Link",
     Described(model="DES-3028")),
    ("vendor with corporate suffix, then product, then OS version", "Brocade Communications Systems, Inc. "
     "ICX6430-24, IronWare Version 08.0.30tT311 Compiled on Feb 13 2019 at 17:44:50 labeled as ICX64S08030t",
     "", "Brocade", Described(model="ICX6430-24", version="08.0.30tT311")),
    ("Huawei VRP: the platform's version, then the product's release", "S5720-56C-PWR-EI-AC Huawei Versatile "
     "Routing Platform Software VRP (R) software,Version 5.170 (S5720 V200R010C00SPC600) Copyright (C) 2007 Huawei "
     "Technologies Co., Ltd.", "", "Huawei",
     Described(model="S5720-56C-PWR-EI-AC", version="5.170 (V200R010C00SPC600)")),
    ("AIX: the bos.rte fileset level, written without IBM's zero padding", "IBM PowerPC CHRP Computer\nMachine "
     "Type: 0x0800004c Processor id: 00F61F574C00\nBase Operating System Runtime AIX version: 06.01.0009.0300\n"
     "TCP/IP Client Support version: 06.01.0009.0300", "", "IBM", Described(version="6.1.9.300")),
    ("AIX uname -a: release then version", "AIX testhost 1 7 00C4D8AB4C00", "testhost", "",
     Described(version="7.1")),
    ("Huawei YunShan: the same shape", "Huawei YunShan OS Version 1.24.0.1 (S6700 V600R024C00SPC100) Copyright (C) "
     "2021-2024 Huawei Technologies Co., Ltd.", "", "Huawei", Described(version="1.24.0.1 (V600R024C00SPC100)")),
    ("a parenthesised build number is no product release", "ArubaOS Version 6.5.1.6 (60228)", "", "Aruba",
     Described(version="6.5.1.6")),
    ("vendor name that looks like a product code", "H3C Switch E528 Software Version 5.20, Release 1513P62",
     "", "H3C", Described(model="E528", version="5.20")),
    ("multi-line: SoftWare Version, not BootRom or HardWare Version, and a serial line",
     "DCRS-5980-28T-DC Device, Compiled Mar 27 14:45:44 2015\n  SoftWare Version 7.0.3.1(B0232.0031)\n  BootRom "
     "Version 7.1.4\n  HardWare Version 2.0.2\n  Device serial number GOSWE120F327000001", "", "",
     Described(model="DCRS-5980-28T-DC", version="7.0.3.1(B0232.0031)", serial="GOSWE120F327000001")),
    ("hardware version first must not win", "Acme AX-200 Hardware Version 1.2 Firmware 3.4.5", "", "",
     Described(model="AX-200", version="3.4.5")),
    ("Version: V-prefixed", "ZTE Ethernet Switch  ZXR10 5250-52TM-H, Version: V2.05.11B19", "", "ZTE",
     Described(model="ZXR10 5250-52TM-H", version="2.05.11B19")),
    ("a version inside a boot loader's clause is its own", "Acme Switch AX-24, Linux 4.4.120, U-Boot 2013.01 "
     "(V1.0.1.29)", "", "", Described(model="AX-24", version="4.4.120")),
    ("a hardware clause's revision is the board's", "Acme Controller. Versions: App. 6.04.03, Btldr 1.06.09, "
     "H/w ZBBNC Rev 1.01.06", "", "", Described(version="6.04.03")),
    ("fw: label", "2G-2S.0.2.F-BOX-PoE (M-PoE), fw:60.7050, PoEfw:118", "", "",
     Described(model="2G-2S.0.2.F-BOX-PoE", version="60.7050")),
    ("software: label with product name", "Ubuntu 16.04.4 LTS Linux 4.4.31 flash: 3.4G ram: 247204kB processor: "
     "armv7l software: PowerAlert 15.5.4 (Build 1045)", "", "", Described(version="15.5.4")),
    ("Release", "NetApp Release 8.2.3 7-Mode: Thu Jan 15 21:30:45 PST 2015", "", "NetApp",
     Described(version="8.2.3")),
    ("revision with a letter", "ProCurve J9085A Switch 2610-24, revision R.11.72, ROM R.10.06", "", "HP",
     Described(model="J9085A", version="R.11.72")),
    ("VRP-style version token", "VENUS VSOS-V0600R0705B20180507", "", "", Described(version="V0600R0705B20180507")),
    ("bare dotted version", "Juniper Networks, Inc WLC2800 9.0.3.5 REL", "", "Juniper Networks",
     Described(model="WLC2800", version="9.0.3.5")),
    ("(SN ...) label and v-version", "WebPower Pro II Mini Card v5.27 (SN 11120051132123)", "", "",
     Described(version="5.27", serial="11120051132123")),
    ("uname: the kernel release, never the host name as model", "Linux GSE200M 2.6.27-SPEAr310 #591 Wed Sep 4 "
     "16:10:51 CST 2013 armv5tejl", "GSE200M", "", Described(version="2.6.27-SPEAr310")),
    ("Windows agent: CPU 'Model 9' is no model", "Hardware: x86 Family 6 Model 9 Stepping 5 AT/AT COMPATIBLE - "
     "Software: Windows 2000 Version 5.1 (Build 2600 Uniprocessor Free)", "", "Microsoft", Described(version="5.1")),
    ("host name token is no model", "Isilon OneFS nas-changan-1 v7.2.1.0 Isilon OneFS v7.2.1.0", "nas-changan-1",
     "Isilon", Described(version="7.2.1.0")),
    ("OS name after the model", "AP230, HiveOS 8.1r2a build-178408", "", "Aerohive",
     Described(model="AP230", version="8.1r2a")),
    ("letter-prefixed release", "HP V1810-48G, PK.1.38, eCos-2.0, CFE-3.8", "", "HP",
     Described(model="V1810-48G", version="PK.1.38")),
    ("labelled all-digit model", "ArubaOS (MODEL: 225), Version 8.4.0.0-8.4.0.0", "", "Aruba",
     Described(model="225", version="8.4.0.0-8.4.0.0")),
    ("MD: label (a date after MD: is no model)", "Raritan PDU, MD:PX3-5493U-K2 HW:0x10 FW:4.2.0.5-50274", "",
     "Raritan", Described(model="PX3-5493U-K2", version="4.2.0.5-50274")),
    ("quoted text, product name and number", '"SiteBoss 360 2.12.540 STD"', "", "Asentria",
     Described(model="SiteBoss 360", version="2.12.540")),
    ("product name and number before the OS", "SonicWALL TZ 570 (SonicOS 7.0.1-R1456)", "", "SonicWall",
     Described(model="TZ 570", version="7.0.1-R1456")),
    ("running on a described product", "Metamako MOS release 0.32.0 (build mos-0.32+22) running on a MetaMux 48 "
     "with L-Series", "", "Metamako", Described(model="MetaMux 48 with L-Series", version="0.32.0")),
    ("software before firmware label", "Ethernet Routing Switch 5530-24TFD HW:32 FW:6.0.0.18 SW:v6.3.2.011 BN:11 "
     "(c) Avaya Networks", "", "Avaya", Described(model="5530-24TFD", version="6.3.2.011")),
    ("product joined to its version", "TrueNAS-11.2-U7 (b088e78e8d). Hardware: amd64 Intel(R) Xeon(R) CPU. Software: "
     "FreeBSD 11.2-STABLE", "", "iXsystems", Described(model="TrueNAS-11.2-U7", version="11.2-U7")),
    ("appliance uname text", "pfSense localhost 2.4.5-RELEASE-p1 pfSense FreeBSD 11.3-STABLE amd64", "localhost",
     "Netgate", Described(version="2.4.5-RELEASE-p1")),
    ("hypervisor OS name", "VMware ESXi 7.0.0 build-15843807 VMware, Inc. x86_64", "", "VMware",
     Described(version="7.0.0")),
    # Recorded sysDescr values of LibreNMS's test devices (read, not committed).
    ("a product name and its release are the whole text", "USW-Flex 5.76.7.13442", "", "Ubiquiti",
     Described(model="USW-Flex", version="5.76.7.13442")),
    ("... in several words", "Room Alert 4E v4.2.4", "", "AVTECH", Described(model="Room Alert 4E", version="4.2.4")),
    ("an OS and its release are no model", "EdgeOS v1.8.0.4853089.160219.1607", "", "Ubiquiti",
     Described(version="1.8.0.4853089.160219.1607")),
    ("a name and a one-digit number as the whole text", "ZyWALL 2X", "", "ZyXEL", Described(model="ZyWALL 2X")),
    ("a labelled name without digits", "Prod: Integra;Vers: 3.6.18;Timestamp: 2017-06-12 16:26:01;kernel: 3.15.0",
     "", "SAF Tehnika", Described(model="Integra", version="3.6.18")),
    ("a labelled hyphenated name without digits", "ArubaOS (MODEL: ArubaMC-VA), Version 8.10.0.12-FIPS LSR", "",
     "Aruba", Described(model="ArubaMC-VA", version="8.10.0.12-FIPS")),
    ("a lone digit after Model: is no model", "SAF microwave radio;CFIP Lumina FODU v2.64.33;Model:2;HW:15", "",
     "SAF Tehnika", Described(version="2.64.33")),
    ("the product opens the second line, the first names the OS", "MyPower (R) Operating System Software\n"
     "MyPower S3220 version 6.6.4.1.3(R)(integrity), compiled on Jul 25 2014, 20:23:14 Copyright (C) 2013 Maipu "
     "Communication Technology Co.,Ltd.All Rights Reserved.", "", "Maipu",
     Described(model="S3220", version="6.6.4.1.3(R)(integrity)")),
    ("the maker glued to the product on the last line", "Huawei Versatile Routing Platform Software\nVRP (R) "
     "software, Version 8.150 (CE12800 V200R002C50SPC800) \r\nCopyright (C) 2012-2017 Huawei Technologies Co., Ltd."
     " \r\nHUAWEICE12804", "", "Huawei", Described(model="CE12804", version="8.150 (V200R002C50SPC800)")),
    # Texts that must yield nothing.
    ("a build's date on the line after the OS", "DXM Operating System (DXMOS), XKL LLC\n5.0.0-53fbd61dd93f Feb 13 "
     "2026  23:52:02 UTC", "", "XKL", Described(version="5.0.0-53fbd61dd93f")),
    ("a hex machine type and a processor id", "IBM PowerPC CHRP Computer\nMachine Type: 0x0800004c Processor id: "
     "00F61F574C00", "", "IBM", Described()),
    ("a MAC on a later line is no model", "Acme Operating System\nMAC 00-1A-2B-3C-4D-5E", "", "Acme", Described()),
    ("empty", "", "", "", Described()),
    ("words only", "Cisco Internetwork Operating System Software", "", "Cisco", Described()),
    ("a kind, not a product", "Fibre Channel Switch.", "", "", Described()),
    ("speeds and codecs are no models", "10/100 Media Converter", "", "", Described()),
    ("H.264 is no model", "SAMSUNG iPolis H.264 Premium Level IP Camera", "", "", Described()),
    ("compile dates are no versions", "Acme Controller Compiled 3/10/2017 14:00:00", "", "", Described()),
    ("a word and a number that name no product", "Version 5 Release 2", "", "", Described(version="5")),
    ("a manufacturing date after MD:", "Acme card (MD:10/07/2018)", "", "", Described()),
    ("a build hash is no model", "Acme (b088e78e8d) appliance", "", "", Described()),
    ("placeholder text", "Uninitialized", "", "", Described()),
]


@pytest.mark.parametrize(("kind", "descr", "name", "vendor", "expected"), CASES, ids=[c[0] for c in CASES])
def test_describe(kind: str, descr: str, name: str, vendor: str, expected: Described) -> None:
    assert describe(descr, host_name=name, vendor=vendor) == expected, kind


@pytest.mark.parametrize(("descr", "version"), [
    # An OS named "NOS" and its release, up to the MAC the agent appends.
    ("V5812G NOS 6.07p1/00:d0:cb:f5:b9:8b", "6.07p1"),
    # A release opening the text, then the shelf type (Nokia ISAM).
    ("R6.5.02r NFXS-E FANT-H NOKIA ISAM Copyright (c) 2016 Nokia.", "R6.5.02r"),
    ("Shelf R6.5.02r", ""),  # only where it opens the text
    # A product joined to its "V"-prefixed release; DOCSIS's BOOTR field is the boot code's.
    ("CMTS_V08.02.00.97, <<HW_REV: 3.1; VENDOR: ACME; BOOTR: V00.01.00>>", "08.02.00.97"),
    ("Acme CMTS <<HW_REV: 1.0; VENDOR: ACME; BOOTR: V2.1.6>>", ""),
    # A build number is the release only where no dotted release is named.
    ("Acme-Manager-Appliance 7.0.0.10100 generic build 16386292 Acme, Inc. x86_64", "7.0.0.10100"),
    ("AcmeOS NS11: Build 51.26.nc, Date: Jan 31 2017", "51.26.nc"),
    # A product name joined to its release by "-" or "_" in the middle of the text, before a kernel's
    # (Aruba Instant On 1930, Ericsson IPOS); a model's number has no three dotted numbers.
    ("Acme Instant 1930 48G Switch JL686A, InstantOn_1930_1.0.5.0 (139), Linux 4.4.120", "1.0.5.0"),
    ("Acme IPOS-18.1.1.9.98p30-Release", "18.1.1.9.98p30-Release"),
    ("Acme DCS-7050 switch", ""),
    # After a word naming the running software, an "r"-prefixed release (DrayTek); a hardware "Rev:R3L" is none.
    ("Acme Corporation, Router Model: Vigor165, Version: r13107_788_b947ce1af_beta, Build Date/Time:Jul 25 2022",
     "r13107_788_b947ce1af_beta"),
    ("Acme 8020 backplane Rev:R3L", ""),
])
def test_os_release_shapes(descr: str, version: str) -> None:
    assert describe(descr).version == version


@pytest.mark.parametrize(("descr", "uname"), [
    ("Linux nmu-lab 3.10.0 #1 SMP Fri Jan 1 00:00:00 UTC 2021 armv7l", True),
    ("Linux 2.6.32.68 #1 Fri Dec 16 15:44:21 EET 2016 mips", True),   # the host name left out
    ("FreeBSD fw1 12.1-RELEASE-p19-HBSD FreeBSD 12.1-RELEASE-p19-HBSD", True),
    ("Linux 5.4 LTS appliance", False),                              # no kernel build number
    ("Cisco IOS Software, C2960 Software, Version 12.2(55)SE", False),
])
def test_uname_text_with_or_without_its_host_name(descr: str, uname: bool) -> None:
    """uname text names the kernel, not what the device runs (identify.py asks vendor objects first)."""
    assert is_uname(descr) is uname


@pytest.mark.parametrize(("descr", "serial", "model"), [
    # A labelled serial may hold one "/" (Teldat's "S/N: 792/09606"); the model is never the serial.
    ("Router model TV BASE WLAN CPU MIPS32  S/N: 792/09606  Acme", "792/09606", ""),
    ("Device serial number GOSWE120F327000001", "GOSWE120F327000001", ""),
    # "SN" glued to digits is a product name (a SmartNode 4971), not the label of a serial.
    ("SN4971/1E15V Hardware Release 3", "", "SN4971/1E15V"),
    ("Acme UPS (SN 11120051132123)", "11120051132123", ""),
])
def test_serial_labels(descr: str, serial: str, model: str) -> None:
    got = describe(descr)
    assert (got.serial, got.model) == (serial, model)


@pytest.mark.parametrize(("descr", "version"), [
    ("Base Operating System Runtime VIOS version: 06.01.0009.0100", "6.1.9.100"),
    ("Runtime AIX version: 05.03.0008.0000", "5.3.8.0"),
    # Zero-padded versions of other shapes are the vendor's spelling and stay as written.
    ("Print Server, firmware version 02.03.0001", "02.03.0001"),
    ("Firmware Version 06.01.009.0300", "06.01.009.0300"),
])
def test_only_ibm_vrmf_levels_lose_their_padding(descr: str, version: str) -> None:
    assert describe(descr).version == version


@pytest.mark.parametrize(("descr", "version"), [
    # Windows reports 6.3 to its unmanifested SNMP service on every NT 10.0 release; the build says which.
    ("Hardware: Intel64 Family 6 Model 63 Stepping 2 AT/AT COMPATIBLE - Software: Windows Version 6.3 "
     "(Build 17763 Multiprocessor Free)", "10.0.17763"),
    ("Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - Software: Windows Version 6.3 "
     "(Build 20348 Multiprocessor Free)", "10.0.20348"),
    # Windows 8.1 and Server 2012 R2 are 6.3 indeed (build 9600); older releases say their own version.
    ("Hardware: AMD64 Family 16 Model 2 Stepping 3 AT/AT COMPATIBLE - Software: Windows Version 6.3 "
     "(Build 9600 Multiprocessor Free)", "6.3"),
    ("Hardware: x86 Family 6 Model 3 Stepping 4 AT/AT COMPATIBLE  - Software: Windows NT Version 3.51  "
     "(Build Number: 1057 Multiprocessor Free )", "3.51"),
])
def test_windows_names_its_nt_10_release_by_its_build(descr: str, version: str) -> None:
    assert describe(descr).version == version


@pytest.mark.parametrize(("descr", "expected"), [
    ("Alta AP6 2.2w", Described(model="Alta AP6", version="2.2w")),
    ("Alta Route10 1.4o", Described(model="Alta Route10", version="1.4o")),
    ("HES-5106SFP+ Version 1.00.07", Described(model="HES-5106SFP+", version="1.00.07")),
    ("ESW-5112 Firmware: 2.4", Described(model="ESW-5112", version="2.4")),
])
def test_a_whole_text_of_a_product_name_and_its_release(descr: str, expected: Described) -> None:
    """The release closes the text, with or without its label; the label is not part of the name."""
    assert describe(descr) == expected


def test_two_numbers_alone_closing_a_product_name_may_be_its_generation() -> None:
    assert describe("Sx800 OSEDelta 4.6") == Described(model="Sx800 OSEDelta")
