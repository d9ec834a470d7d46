"""The maker a sysDescr names: copyright notices, DOCSIS VENDOR fields, company names with a legal form."""

from __future__ import annotations

import pytest

from agent.scan.classify.descr_maker import named_maker
from agent.scan.classify.vendor import choose_vendor


@pytest.mark.parametrize(("descr", "maker"), [
    # Recorded sysDescr values (real devices): the holder of the notice is the maker.
    ("6500 7-SLOT OPTICAL SW:1271 BN:AH (c) Ciena (R) Corporation", "Ciena"),
    ("HP Comware Platform Software, Software Version 7.1.045, Release 2416 HP FF 5700-40XG-2QSFP  Switch "
     "Copyright (c) 2010-2014 Hewlett-Packard Development Company, L.P.", "HP"),
    ("BTIOS software, SA-805, Version 2.2.2Build2  Copyright (C) BTI Systems.  All rights reserved.", "BTI Systems"),
    ("Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE, RELEASE SOFTWARE (fc2)\r\n"
     "Copyright (c) 1986-2010 by Cisco Systems, Inc.\r\nCompiled Sat 07-Aug-10 22:45 by prod_rel_team", "Cisco"),
    ("ZXR10 ROS Version V4.08.23 ZXR10_5928 Software, Version ZXR10 5900 V2.8.23.A.19.P02 Copyright (c) 2000-2011 "
     "by ZTE Corporation Compiled Oct 12 2011, 11:04:37", "ZTE"),
    ("H3C Comware Platform Software LSQ1WCMD0. Product Version Release 2509P61 Copyright (c) 2004-2017 "
     "New H3C Technologies Co., Ltd. All rights reserved.", "H3C"),
    # The holder's name ends at its legal form, however the product follows it.
    ("Huawei Versatile Routing Platform Software VRP (R) software, Version 5.170 (S5720 V200R011C10SPC500) "
     "Copyright (C) 2000-2017 HUAWEI TECH CO., LTD HUAWEI S5720-28X", "Huawei"),
    ("Infinera Corporation - Embedded Node Manager - ENM_CUAPPL_03A cuappl03a r33b 43", "Infinera"),
    ("<<HW_REV: 3.1; VENDOR: ARRIS; BOOTR: V00.01.00>>", "ARRIS"),
    # Software publishers name what runs on the box, not who built it.
    ("Skyhigh Secure Web Gateway 7;VMWare;VMware, Inc.", ""),
    ("VxWorks SNMPv1/v2c Agent, Copyright Wind River Systems, Inc.", ""),
    # Nothing named.
    ("Linux nas0 3.2.101 #42962 Mon May 29 14:34:16 CST 2023 armv7l", ""),
    ("FSP 150CP", ""),
    ("", ""),
])
def test_named_maker(descr: str, maker: str) -> None:
    assert named_maker(descr) == maker


def test_the_named_maker_comes_before_the_enterprise_registrant() -> None:
    """Nortel's enterprise 562 lives on in Ciena's optical gear; the device says whose it is."""
    chosen = choose_vendor("1.3.6.1.4.1.562.68.11", descr="6500 7-SLOT OPTICAL SW:1280 BN:BP (c) Ciena (R) Corporation")
    assert chosen.vendor == "Ciena" and "sysDescr" in chosen.reason
    # Without such a notice the enterprise answers as before.
    assert choose_vendor("1.3.6.1.4.1.9.1.1208", descr="Cisco IOS Software, C2960 Software").vendor == "Cisco"
