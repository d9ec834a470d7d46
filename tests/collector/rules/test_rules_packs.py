"""The shipped rule packs (rules/*.yaml) flag what they mean to and leave near-misses alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from collector.rules import RuleEngine, load_rules, match_titles
from collector.rules.bridge import SoftwareRules
from tests.collector.rules.rules_support import NOW, SHIPPED_RULES, Host, build_store, resolved

SHIPPED = load_rules([SHIPPED_RULES])

# (name, version, vendor, source) -> ids of the deny rules it must trigger ([] = near miss).
CASES: list[tuple[tuple[str, str, str, str], list[str]]] = [
    # remote access
    (("TeamViewer 15.49.2 (x64)", "", "", "snmp"), ["remote-access-tool"]),
    (("TeamViewer Host", "15.49.2", "TeamViewer Germany GmbH", "msi"), ["remote-access-tool"]),
    (("teamviewer", "15.49.2", "", "deb"), ["remote-access-tool"]),
    (("AnyDesk", "8.0.8", "AnyDesk Software GmbH", "msi"), ["remote-access-tool"]),
    (("rustdesk", "1.2.3", "", "deb"), ["remote-access-tool"]),
    (("ScreenConnect Client (a1b2c3)", "23.9.8", "ConnectWise", "msi"), ["remote-access-tool"]),
    (("x11vnc", "0.9.16-9", "", "deb"), ["remote-access-vnc-server"]),
    (("TightVNC", "2.8.81", "GlavSoft LLC.", "msi"), ["remote-access-vnc-server"]),
    (("libvncserver1", "0.9.14", "", "deb"), []),
    (("tigervnc-viewer", "1.12.0", "", "deb"), []),
    (("remmina", "1.4.29", "", "deb"), []),
    (("openssh-server", "1:9.2p1-2", "", "deb"), []),
    # P2P
    (("qBittorrent 4.6.2 (x64)", "4.6.2", "The qBittorrent project", "msi"), ["p2p-client"]),
    (("µTorrent", "3.6.0", "BitTorrent Inc.", "msi"), ["p2p-client"]),
    (("transmission-gtk", "3.00-2.1", "", "deb"), ["p2p-client"]),
    (("Transmission 4.0.5 (x64)", "", "", "snmp"), ["p2p-client"]),
    (("deluge", "2.0.3-4", "", "deb"), ["p2p-client"]),
    (("transmission-common", "3.00-2.1", "", "deb"), []),
    (("python3-libtorrent", "2.0.8", "", "deb"), []),
    (("aria2", "1.36.0", "", "deb"), []),
    # crypto miners
    (("xmrig", "6.21.0", "", "deb"), ["crypto-miner"]),
    (("xmrig-6.21.0", "", "", "snmp"), ["crypto-miner"]),
    (("XMRig", "6.21.0", "", "msi"), ["crypto-miner"]),
    (("NiceHash Miner", "3.1.0", "H-BIT, d.o.o.", "msi"), ["crypto-miner"]),
    (("cpuminer-opt", "3.23", "", "deb"), ["crypto-miner"]),
    (("minetest", "5.6.1", "", "deb"), []),
    (("python3-dataminer", "1.0", "", "pip"), []),
    (("Bitcoin Core", "26.0", "", "msi"), []),
    # anonymisers
    (("tor", "0.4.8.9-1", "", "deb"), ["anonymiser-tor"]),
    (("Tor Browser", "13.0.8", "The Tor Project", "msi"), ["anonymiser-tor"]),
    (("torbrowser-launcher", "0.3.6-2", "", "deb"), ["anonymiser-tor"]),
    (("i2pd", "2.45.1", "", "deb"), ["anonymiser-tor"]),
    (("Psiphon 3", "", "", "snmp"), ["anonymiser-tor"]),
    (("torsocks", "2.4.0-1", "", "deb"), []),
    (("tor-geoipdb", "0.4.8.9-1", "", "deb"), []),
    (("TortoiseGit 2.15.0.0 (64 bit)", "2.15.0.0", "TortoiseGit", "msi"), []),
    (("torcs", "1.3.7", "", "deb"), []),
    (("NordVPN", "7.14.3", "nordvpn s.a.", "msi"), ["anonymiser-consumer-vpn"]),
    (("Proton VPN", "3.2.7", "Proton AG", "msi"), ["anonymiser-consumer-vpn"]),
    (("mullvad-vpn", "2023.6", "", "deb"), ["anonymiser-consumer-vpn"]),
    (("OpenVPN 2.6.8-I001 amd64", "2.6.801", "OpenVPN, Inc.", "msi"), []),
    (("wireguard-tools", "1.0.20210914-1", "", "deb"), []),
    (("GlobalProtect", "6.1.1", "Palo Alto Networks", "msi"), []),
    # end of life
    (("Adobe Flash Player 32 NPAPI", "32.0.0.465", "Adobe", "msi"), ["eol-adobe-flash"]),
    (("flashplugin-nonfree", "3.8", "", "deb"), ["eol-adobe-flash"]),
    (("Microsoft Silverlight", "5.1.50918.0", "Microsoft Corporation", "msi"), ["eol-silverlight"]),
    (("QuickTime 7", "7.79.80.95", "Apple Inc.", "msi"), ["eol-quicktime-windows"]),
    (("Java 7 Update 80", "7.0.800", "Oracle", "msi"), ["eol-java-6-7"]),
    (("Java 8 Update 401", "8.0.4010.10", "Oracle", "msi"), []),
    (("Python 2.7.18", "2.7.18150", "Python Software Foundation", "msi"), ["eol-python2"]),
    (("Python 3.12.1 (64-bit)", "3.12.1150.0", "Python Software Foundation", "msi"), []),
    (("python2.7", "2.7.18-8+deb11u1", "", "deb"), ["eol-python2-debian"]),
    (("python3", "3.11.2-1+b1", "", "deb"), []),
    (("Adobe Reader XI (11.0.23)", "11.0.23", "Adobe Systems Incorporated", "msi"), ["eol-adobe-reader-legacy"]),
    (("Adobe Acrobat Reader DC - Deutsch", "23.008.20470", "Adobe Systems Incorporated", "msi"), []),
    (("Microsoft Office Professional Plus 2010", "14.0.7015.1000", "Microsoft Corporation", "msi"),
     ["eol-office-2010"]),
    (("Microsoft Office Professional Plus 2016", "16.0.4266.1001", "Microsoft Corporation", "msi"), []),
    (("Node.js", "16.20.2", "Node.js Foundation", "msi"), ["eol-nodejs-windows"]),
    (("Node.js", "20.11.0", "Node.js Foundation", "msi"), []),
    # Heartbleed
    (("OpenSSL 1.0.1e (32-bit)", "", "", "snmp"), ["vuln-heartbleed-openssl"]),
    (("Win64 OpenSSL v1.0.1f", "1.0.1f", "OpenSSL Win64 Installer Team", "msi"), ["vuln-heartbleed-openssl"]),
    (("OpenSSL 1.0.1g", "", "", "snmp"), []),
    (("OpenSSL 1.0.0t", "", "", "snmp"), []),
    (("openssl", "1.0.2-beta1", "", "other"), ["vuln-heartbleed-openssl"]),
    (("openssl", "1.0.1e-2+deb7u4", "", "deb"), ["vuln-heartbleed-openssl-debian"]),
    (("libssl1.0.0", "1.0.1e-2+deb7u4", "", "deb"), ["vuln-heartbleed-openssl-debian"]),
    (("openssl", "1.0.1e-2+deb7u5", "", "deb"), []),  # Debian's fix
    (("openssl", "1.0.1-4ubuntu5.11", "", "deb"), ["vuln-heartbleed-openssl-debian"]),
    (("openssl", "1.0.1-4ubuntu5.12", "", "deb"), []),  # Ubuntu's fix
    (("openssl", "1.0.1f-1ubuntu2", "", "deb"), []),
    (("openssl", "1.0.1f-1", "", "deb"), ["vuln-heartbleed-openssl-debian"]),
    (("openssl", "1.1.1w-0+deb11u1", "", "deb"), []),
    (("openssl", "1.0.1e-15.el6", "", "rpm"), ["vuln-heartbleed-openssl-rpm"]),
    (("openssl", "1.0.1e-16.el6_5.7", "", "rpm"), []),  # RHSA-2014:0376
    (("openssl", "1.0.1e-30.el6_6.5", "", "rpm"), []),
    # rpm / dpkg package strings over SNMP are judged as rpm / deb packages (backported fixes)
    (("openssl-1.0.1e-15.el6.x86_64", "", "", "snmp"), ["vuln-heartbleed-openssl-rpm"]),
    (("openssl-1.0.1e-16.el6_5.7.x86_64", "", "", "snmp"), []),
    (("openssl_1.0.1e-2+deb7u4_amd64", "", "", "snmp"), ["vuln-heartbleed-openssl-debian"]),
    (("openssl_1.0.1e-2+deb7u5_amd64", "", "", "snmp"), []),
    # Log4Shell
    (("log4j-core", "2.14.1", "", "other"), ["vuln-log4shell"]),
    (("log4j-core", "2.0-beta9", "", "other"), ["vuln-log4shell"]),
    (("log4j-core", "2.15.0", "", "other"), ["vuln-log4shell"]),
    (("log4j-core", "2.0-beta8", "", "other"), []),
    (("log4j-core", "2.3.1", "", "other"), []),
    (("log4j-core", "2.12.2", "", "other"), []),
    (("log4j-core", "2.16.0", "", "other"), []),
    (("log4j-core", "2.17.1", "", "other"), []),
    (("log4j", "1.2.17", "", "other"), []),
    (("liblog4j2-java", "2.15.0-1~deb10u1", "", "deb"), ["vuln-log4shell-debian"]),
    (("liblog4j2-java", "2.16.0-1~deb10u1", "", "deb"), []),
    (("liblog4j2-java", "2.17.1-1~deb10u1", "", "deb"), []),
    # xz backdoor
    (("xz-utils", "5.6.1-1", "", "deb"), ["vuln-xz-backdoor"]),
    (("liblzma5", "5.6.0-0.2", "", "deb"), ["vuln-xz-backdoor"]),
    (("xz-utils", "5.6.1+really5.4.5-1", "", "deb"), []),
    (("xz-utils", "5.4.1-0.2", "", "deb"), []),
    (("xz-libs", "5.6.0-2.fc40", "", "rpm"), ["vuln-xz-backdoor"]),
    (("xz-libs", "5.4.6-1.fc40", "", "rpm"), []),
    (("xz-5.6.1-1.fc40.x86_64", "", "", "snmp"), ["vuln-xz-backdoor"]),
    (("xz", "5.6.2", "", "macos"), []),
    # everyday software: nothing
    (("bash", "5.2.15-2+b2", "", "deb"), []),
    (("Mozilla Firefox (x64 en-US)", "121.0", "Mozilla", "msi"), []),
    (("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov", "msi"), []),
]

DENY_IDS = {r.id for r in SHIPPED if r.type == "deny"}


@pytest.mark.parametrize(("title", "expected"), CASES, ids=[f"{t[0]}|{t[1]}|{t[3]}" for t, _ in CASES])
def test_shipped_deny_rules(title: tuple[str, str, str, str], expected: list[str]) -> None:
    (matched,) = match_titles(SHIPPED.rules, [title])
    assert [rid for rid in matched if rid in DENY_IDS] == expected


def test_every_shipped_deny_rule_has_a_matching_sample() -> None:
    covered = {rid for _, expected in CASES for rid in expected}
    assert covered == DENY_IDS


def test_endpoint_protection_end_to_end(tmp_path: Path) -> None:
    """Posture rules of kind endpoint-protection-missing: no matching package (and no agent detection)."""
    hosts = [
        Host("lin-ok", "srv-1", "linux", "server", software=[("falcon-sensor", "7.10.0-16303", "", "rpm")]),
        Host("lin-clam", "ws-1", "linux", "workstation", software=[("clamav-daemon", "1.0.5+dfsg-1", "", "deb")]),
        Host("lin-s1", "ws-2", "linux", "laptop", software=[("SentinelAgent", "23.4.2.14", "", "deb")]),
        Host("mac-ok", "mb-1", "macos", "laptop", software=[("mdatp", "101.23122.0005", "", "macos")]),
        Host("lin-bad", "ws-3", "linux", "workstation", software=[("clamav-freshclam", "1.0.5", "", "deb")]),
        Host("win-ok", "pc-1", "windows", "workstation",
             software=[("CrowdStrike Windows Sensor", "7.10.17706.0", "CrowdStrike, Inc.", "msi")]),
        Host("win-bad", "pc-2", "windows", "laptop",
             software=[("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov", "msi")]),
        Host("switch", "sw-1", "ios", "switch", software=[("IOS", "15.2", "Cisco", "snmp")]),
        Host("scan-only", "ws-9", "linux", "workstation", has_inventory=False),
    ]
    store = build_store(tmp_path / "estate.duckdb", hosts)
    try:
        findings = SoftwareRules(SHIPPED).evaluator(store)(NOW, {h.asset_id: resolved(h) for h in hosts}, {})
    finally:
        store.close()
    assert sorted((f.asset.asset_id, f.kind, f.rule_id, f.severity) for f in findings
                  if f.asset is not None and f.kind in ("missing-software", "endpoint-protection-missing")) == [
        ("lin-bad", "endpoint-protection-missing", "endpoint-protection-missing-linux-macos", "high"),
        ("win-bad", "endpoint-protection-missing", "endpoint-protection-missing-windows", "medium"),
    ]


def test_shipped_packs_flag_an_snmp_only_windows_host(
    db: Callable[[Sequence[Host]], RuleEngine],
) -> None:
    # hrSWInstalledName strings with no version column, as a Windows SNMP agent reports them.
    engine = db(
        [
            Host("w", "pc-7", "windows", "workstation", software=[
                ("OpenSSL 1.0.1e (32-bit)", "", "", "snmp"),
                ("Mozilla Firefox 19.0.2 (x86 ru)", "", "", "snmp"),
                ("PuTTY version 0.60", "", "", "snmp"),
                ("7-Zip 9.20 (x64 edition)", "", "", "snmp"),
                ("TeamViewer 15.49.2", "", "", "snmp"),
                ("Sophos Endpoint Agent", "", "", "snmp"),
            ]),
        ]
    )
    assert sorted((f.rule_id, f.software_name, f.software_version) for f in engine.evaluate(SHIPPED, NOW)) == [
        ("remote-access-tool", "TeamViewer", "15.49.2"),
        ("vuln-heartbleed-openssl", "OpenSSL", "1.0.1e"),
    ]
