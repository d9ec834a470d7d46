"""Posture rules: the `type: posture` format (file:line errors) and what each check raises (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from collector.domain.posture import ListeningSocket, Posture
from collector.rules import check_rules, parse_rules_text
from collector.rules.posture import PostureAsset, evaluate_posture
from collector.rules.schema import PortRange
from tests.collector.rules.rules_support import write_rules

AT = datetime(2026, 11, 20, 9, tzinfo=UTC)
TODAY = date(2026, 11, 25)

HEAD = "rules:\n  - id: r\n    title: t\n    severity: high\n    type: posture\n"


def errors(body: str) -> list[str]:
    _, errs = parse_rules_text(HEAD + body, "p.yaml")
    return errs


@pytest.mark.parametrize(("body", "expected"), [
    ("", "p.yaml:2: rule 'r': missing required key 'check'"),
    ("    check: unpatchd\n", "p.yaml:6: rule 'r': unknown check 'unpatchd' (did you mean 'unpatched'?)"),
    ("    check: remote-access-port-open\n",
     "p.yaml:6: rule 'r': remote-access-port-open needs 'ports' (e.g. [3389/tcp, 5900-5909/tcp])"),
    ("    check: remote-access-port-open\n    ports: [3389/tcp, 70000/tcp]\n",
     "p.yaml:7: rule 'r'.ports: bad port '70000/tcp' (use PORT/tcp or LOW-HIGH/udp with ports 1-65535, "
     "e.g. 3389/tcp or 5900-5909/tcp)"),
    ("    check: remote-access-port-open\n    ports: [5909-5900/tcp]\n",
     "p.yaml:7: rule 'r'.ports: bad port '5909-5900/tcp' (use PORT/tcp or LOW-HIGH/udp with ports 1-65535, "
     "e.g. 3389/tcp or 5900-5909/tcp)"),
    ("    check: firewall-off\n    ports: [22/tcp]\n",
     "p.yaml:7: rule 'r': 'ports' only applies to check: remote-access-port-open"),
    ("    check: firewall-off\n    match: {name: clamav}\n",
     "p.yaml:7: rule 'r': 'match' only applies to check: endpoint-protection-missing (the software that counts "
     "as protection)"),
])
def test_posture_rule_errors_name_file_and_line(body: str, expected: str) -> None:
    assert errors(body) == [expected]


def test_check_and_ports_belong_to_posture_rules_only() -> None:
    text = ("rules:\n  - id: d\n    title: t\n    severity: low\n    type: deny\n    check: firewall-off\n"
            "    match: {name: x}\n")
    assert parse_rules_text(text, "d.yaml")[1] == ["d.yaml:6: rule 'd': 'check' only applies to type: posture"]


def test_a_valid_posture_rule_loads_and_rules_check_accepts_it(tmp_path: Path) -> None:
    body = ("    check: remote-access-port-open\n    ports: [3389/tcp, 5900-5909/tcp, 161/udp, 23]\n"
            "    scope: {device_type: [laptop]}\n"
            "    exceptions: [{hostname: jump-*, reason: approved bastion, until: 2027-06-30}]\n")
    (rule,), errs = parse_rules_text(HEAD + body, "p.yaml")
    assert errs == []
    assert rule.check == "remote-access-port-open" and rule.match.names == ()
    assert rule.ports == (PortRange("tcp", 3389, 3389), PortRange("tcp", 5900, 5909), PortRange("udp", 161, 161),
                          PortRange("tcp", 23, 23))
    write_rules(tmp_path, "site.yaml", HEAD + body)
    assert check_rules([tmp_path]) == []


def _rule(body: str):  # type: ignore[no-untyped-def]
    (rule,), errs = parse_rules_text(HEAD + body, "p.yaml")
    assert errs == []
    return rule


BARE = Posture(subject="agent:s", source_id="s", reported_at=AT, pending_updates=(), oldest_pending_since=None,
               disk_encrypted=True, firewall_active=True, firewalls=("nftables (active, enabled, 9 rules)",),
               endpoint_protection=("ClamAV (running)",), listening=(), exposed=())
UNKNOWN = replace(BARE, pending_updates=None, disk_encrypted=None, firewall_active=None, firewalls=None,
                  endpoint_protection=None, listening=None, exposed=None)


def asset(posture: Posture | None, name: str = "ws-1", device_type: str = "laptop") -> PostureAsset:
    return PostureAsset(asset_id=f"a-{name}", hostname=name, os_family="linux", device_type=device_type,
                        ips=("192.0.2.5",), posture=posture)


@pytest.mark.parametrize(("check", "posture", "expected"), [
    ("unpatched", replace(BARE, pending_updates=("openssl 3.0.11 -> 3.0.13 (bookworm-security)",),
                          oldest_pending_since=datetime(2026, 11, 1, tzinfo=UTC)),
     "ws-1 has 1 pending security update, the oldest pending since 2026-11-01 (openssl): t (rule r)."),
    ("unpatched", BARE, None),
    ("unpatched", UNKNOWN, None),
    ("disk-unencrypted", replace(BARE, disk_encrypted=False),
     "ws-1's root file system is not on an encrypted disk: t (rule r)."),
    ("disk-unencrypted", UNKNOWN, None),
    ("firewall-off", replace(BARE, firewall_active=False, firewalls=()),
     "ws-1 has no host firewall with rules loaded (no host firewall configured): t (rule r)."),
    ("firewall-off", UNKNOWN, None),
    ("endpoint-protection-missing", replace(BARE, endpoint_protection=()),
     "ws-1 has no endpoint protection: the agent detected no product: t (rule r)."),
    ("endpoint-protection-missing", UNKNOWN, None),
    ("endpoint-protection-missing", BARE, None),
])
def test_each_check_raises_only_on_a_known_bad_fact(check: str, posture: Posture, expected: str | None) -> None:
    found = evaluate_posture([_rule(f"    check: {check}\n")], [asset(posture)], TODAY)
    assert [f.summary for f in found] == ([expected] if expected else [])
    if expected:
        (f,) = found
        assert (f.kind, f.severity, f.rule_id, f.source_id, f.last_seen) == (check, "high", "r", "s", AT)


def test_remote_access_ports_one_finding_per_port_loopback_ignored() -> None:
    rule = _rule("    check: remote-access-port-open\n    ports: [3389/tcp, 5900-5909/tcp, 3389/udp]\n")
    posture = replace(BARE, exposed=(
        ListeningSocket("tcp", "0.0.0.0", 3389, "xrdp"), ListeningSocket("tcp", "::", 3389, "xrdp"),
        ListeningSocket("udp", "0.0.0.0", 3389, "xrdp"), ListeningSocket("tcp", "127.0.0.1", 5901, "Xvnc"),
        ListeningSocket("tcp", "::1", 5902, "Xvnc"), ListeningSocket("tcp", "0.0.0.0", 22, "sshd")))
    found = evaluate_posture([rule], [asset(posture)], TODAY)
    assert sorted(f.identifier for f in found) == ["tcp/3389", "udp/3389"]


def test_scope_and_exceptions_as_for_software_rules() -> None:
    rule = _rule("    check: firewall-off\n    scope: {device_type: [laptop], subnet: [192.0.2.0/24]}\n"
                 "    exceptions:\n"
                 "      - {hostname: lab-*, reason: lab machine, until: 2027-01-31}\n"
                 "      - {hostname: old-*, reason: was approved, until: 2026-01-31}\n")
    off = replace(BARE, firewall_active=False, firewalls=())
    found = evaluate_posture([rule], [asset(off, "ws-1"), asset(off, "srv-1", "server"), asset(off, "lab-1"),
                                      asset(off, "old-1")], TODAY)
    by_host = {f.hostname: f for f in found}
    assert sorted(by_host) == ["lab-1", "old-1", "ws-1"]             # the server is out of scope
    assert by_host["lab-1"].suppressed and by_host["lab-1"].suppression == "lab machine (until 2027-01-31)"
    assert not by_host["old-1"].suppressed and "expired 2026-01-31" in by_host["old-1"].summary
    assert not by_host["ws-1"].suppressed


def test_protection_by_packages_needs_both_signals() -> None:
    rule = _rule("    check: endpoint-protection-missing\n    match: {name: [clamav, falcon-sensor]}\n")
    lacking = {"r": frozenset({"a-none", "a-detected", "a-snmp"})}
    assets = [asset(replace(BARE, endpoint_protection=()), "none"),           # no package, nothing detected
              asset(BARE, "detected"),                                       # no package, agent found ClamAV
              asset(None, "snmp"),                                           # no agent: the packages decide
              asset(replace(BARE, endpoint_protection=()), "packaged")]      # a matching package
    found = evaluate_posture([rule], assets, TODAY, lacking)
    assert sorted(f.hostname or "" for f in found) == ["none", "snmp"]
