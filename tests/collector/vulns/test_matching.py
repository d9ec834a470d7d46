"""Matching installs to advisories, ecosystem by ecosystem, and the findings it makes.

Each machine sits just below or just above a fix, or is one of the false positives users of other
scanners report: a backported fix, an epoch, a fixed version, another release of the distribution,
a withdrawn advisory, a Windows program or an SNMP-reported name with the vulnerable name.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from collector.store.duckdb import Store
from collector.store.vulns_sql import VulnStore
from collector.vulns.bridge import vulnerability_step, with_vulnerabilities
from collector.vulns.importing import import_feed
from tests.collector.vulns.vulns_support import NOW, OSV, Machine, Pkg, build_store, deb

MACHINES = [
    Machine("deb7-u4", "7", [deb("libssl1.0.0", "1.0.1e-2+deb7u4", "openssl"), deb("openssl", "1.0.1e-2+deb7u4")]),
    Machine("deb7-u5", "7", [deb("libssl1.0.0", "1.0.1e-2+deb7u5", "openssl")]),
    Machine("deb7-epoch", "7", [deb("libssl1.0.0", "1:1.0.1a-1", "openssl")]),
    Machine("deb8-old", "8", [deb("libssl1.0.0", "1.0.1e-2+deb7u4", "openssl")]),   # another release: no advisory
    Machine("deb-norelease", "", [deb("libssl1.0.0", "1.0.1e-2", "openssl")]),      # release unknown: no guess
    Machine("ubuntu1204-old", "12.04", [deb("libssl1.0.0", "1.0.1-4ubuntu5.11", "openssl", "ubuntu")]),
    Machine("ubuntu1204-fixed", "12.04", [deb("libssl1.0.0", "1.0.1-4ubuntu5.12", "openssl", "ubuntu")]),
    Machine("rhel6-old", "6.5", [Pkg("openssl", "1.0.1e-16.el6_5.4", "rpm", "openssl", "rhel")]),
    Machine("rhel6-fixed", "6.5", [Pkg("openssl", "1.0.1e-16.el6_5.7", "rpm", "openssl", "rhel")]),
    Machine("alpine315-old", "3.15.0", [Pkg("libcrypto1.1", "1.1.1l-r7", "apk", "openssl", "alpine")]),
    Machine("alpine315-fixed", "3.15.4", [Pkg("libcrypto1.1", "1.1.1n-r0", "apk", "openssl", "alpine")]),
    Machine("py-below", "12", [Pkg("Django", "4.2.2", "pip"), Pkg("py", "1.11.0", "pip")]),
    Machine("py-above", "12", [Pkg("django", "4.2.3", "pip"), Pkg("Django", "3.2.20", "pip")]),
    Machine("py-old-line", "12", [Pkg("django", "3.1.14", "pip")]),
    Machine("npm-last", "12", [Pkg("request", "2.88.2", "npm")]),
    Machine("npm-newer", "12", [Pkg("request", "2.88.3", "npm")]),
    Machine("windows", "", [Pkg("OpenSSL", "1.0.1e", "msi"), Pkg("openssl", "1.0.1e", "snmp")]),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = build_store(tmp_path / "nc.duckdb", MACHINES)
    import_feed(VulnStore(s), OSV, source="osv", now=NOW)
    yield s
    s.close()


def _findings(store: Store) -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list[tuple[str, str, str]]] = {}
    for f in vulnerability_step(store)(NOW, {}, {}):
        assert f.asset is None or f.asset.asset_id  # assets map is empty here: findings still name the asset
        host = f.summary.split(" on ", 1)[1].split(" is affected", 1)[0]
        out.setdefault(host, []).append((f.rule_id, f.software_name, f.software_version))
    return out


def test_just_below_and_just_above_each_fix(store: Store) -> None:
    found = _findings(store)
    # Heartbleed from DSA-2896-1 and DEBIAN-CVE-2014-0160 (upstream) is one finding, on the source package.
    assert found.pop("deb7-u4") == [("CVE-2014-0160", "openssl", "1.0.1e-2+deb7u4")]
    assert found.pop("ubuntu1204-old") == [("USN-2165-1", "openssl", "1.0.1-4ubuntu5.11")]
    assert found.pop("rhel6-old") == [("CVE-2014-0160", "openssl", "1.0.1e-16.el6_5.4")]
    assert found.pop("alpine315-old") == [("CVE-2022-0778", "openssl", "1.1.1l-r7")]
    # PYSEC-2023-100 and GHSA-jh3w-4vvf-mjgr are the same CVE: one finding; the withdrawn py advisory none.
    assert found.pop("py-below") == [("CVE-2023-36053", "django", "4.2.2")]
    assert found.pop("py-old-line") == [("CVE-2023-36053", "django", "3.1.14")]
    assert found.pop("npm-last") == [("CVE-2023-28155", "request", "2.88.2")]
    # Fixed, epoch above the fix, other releases, unknown release, newer than last_affected,
    # Windows and SNMP names: nothing.
    assert found == {}


def test_ubuntu_is_matched_per_usn_not_by_cve_upstream(store: Store) -> None:
    # USN-2165-1 lists two CVEs upstream: it is not folded into either, and it names the backport fix.
    (f,) = [f for f in vulnerability_step(store)(NOW, {}, {}) if "ubuntu1204-old" in f.summary]
    assert (f.rule_id, f.software_version) == ("USN-2165-1", "1.0.1-4ubuntu5.11")
    assert "fixed in 1.0.1-4ubuntu5.12" in f.summary and f.severity == "high"


def test_a_finding_explains_itself(store: Store) -> None:
    (f,) = [f for f in vulnerability_step(store)(NOW, {}, {}) if "deb7-u4" in f.summary]
    assert f.kind == "vulnerable-software" and f.severity == "high"
    assert "fixed in 1.0.1e-2+deb7u5" in f.summary and "CVSS 7.5" in f.summary
    assert "DSA-2896-1" in f.summary and "DEBIAN-CVE-2014-0160" in f.summary
    advisories = [e for e in f.evidence if e.method == "advisory"]
    assert {e.detail.split(" ", 1)[0] for e in advisories} == {"DSA-2896-1", "DEBIAN-CVE-2014-0160"}
    assert any("https://www.debian.org/security/2014/dsa-2896" in e.detail for e in advisories)
    assert any("introduced 0, fixed 1.0.1e-2+deb7u5" in e.detail for e in advisories)
    assert f.evidence[-1].detail == "checked against OSV sources: osv"
    (npm,) = [f for f in vulnerability_step(store)(NOW, {}, {}) if "npm-last" in f.summary]
    assert "no fixed version published" in npm.summary and npm.severity == "medium"


def test_accepted_risk_suppresses_until_it_expires(store: Store) -> None:
    vulns = VulnStore(store)
    vulns.add_exception(advisory="CVE-2014-0160", package=None, hostname="deb7-*", asset_id=None,
                        reason="isolated lab", until=date(2026, 12, 31), created_by="test", now=NOW)
    by_host = {f.summary.split(" on ", 1)[1].split(" ", 1)[0]: f for f in vulnerability_step(store)(NOW, {}, {})}
    assert by_host["deb7-u4"].suppressed and "isolated lab (until 2026-12-31" in by_host["deb7-u4"].suppression
    assert not by_host["rhel6-old"].suppressed  # another host
    later = NOW.replace(year=2027)
    by_host = {f.summary.split(" on ", 1)[1].split(" ", 1)[0]: f for f in vulnerability_step(store)(later, {}, {})}
    assert not by_host["deb7-u4"].suppressed and "expired 2026-12-31" in by_host["deb7-u4"].summary
    # Accepting by an alias (the DSA id) covers the whole group.
    (exc,) = vulns.exceptions()
    assert vulns.revoke_exception(exc.exception_id, NOW)
    vulns.add_exception(advisory="DSA-2896-1", package="openssl", hostname=None, asset_id="deb7-u4",
                        reason="vendor support case", until=date(2026, 12, 31), created_by="test", now=NOW)
    by_host = {f.summary.split(" on ", 1)[1].split(" ", 1)[0]: f for f in vulnerability_step(store)(NOW, {}, {})}
    assert by_host["deb7-u4"].suppressed and "vendor support case" in by_host["deb7-u4"].suppression


def test_no_feed_no_cost(tmp_path: Path) -> None:
    s = build_store(tmp_path / "empty.duckdb", MACHINES[:1])
    try:
        assert with_vulnerabilities(s, None) is None
    finally:
        s.close()


def test_upstream_spellings_of_one_cve_fold(tmp_path: Path) -> None:
    """A DSA whose upstream is ["CVE-X", "DEBIAN-CVE-X"] (as Debian writes it) is the CVE's group."""
    import json

    feed = tmp_path / "feed"
    feed.mkdir()
    record = json.loads((OSV / "DSA-2896-1.json").read_text())
    record["aliases"] = []
    record["upstream"] = ["CVE-2014-0160", "DEBIAN-CVE-2014-0160"]
    (feed / "DSA-2896-1.json").write_text(json.dumps(record))
    (feed / "DEBIAN-CVE-2014-0160.json").write_text((OSV / "DEBIAN-CVE-2014-0160.json").read_text())
    s = build_store(tmp_path / "nc.duckdb", MACHINES[:1])
    try:
        import_feed(VulnStore(s), feed, source="debian", now=NOW)
        (f,) = vulnerability_step(s)(NOW, {}, {})
        assert f.rule_id == "CVE-2014-0160" and "DSA-2896-1" in f.summary
    finally:
        s.close()


def test_a_multi_cve_notice_adds_no_duplicate_when_each_cve_is_found(tmp_path: Path) -> None:
    """A DSA covering CVE-A and CVE-B is dropped on a machine where CVE-A and CVE-B are findings, kept otherwise."""
    import json

    feed = tmp_path / "feed"
    feed.mkdir()
    dsa = json.loads((OSV / "DSA-2896-1.json").read_text())
    dsa["aliases"] = []
    dsa["upstream"] = ["CVE-2014-0076", "CVE-2014-0160"]
    (feed / "DSA-2896-1.json").write_text(json.dumps(dsa))
    (feed / "DEBIAN-CVE-2014-0160.json").write_text((OSV / "DEBIAN-CVE-2014-0160.json").read_text())
    s = build_store(tmp_path / "nc.duckdb", MACHINES[:1])
    try:
        import_feed(VulnStore(s), feed, source="debian", now=NOW)
        assert sorted(f.rule_id for f in vulnerability_step(s)(NOW, {}, {})) == ["CVE-2014-0160", "DSA-2896-1"]
        other = json.loads((OSV / "DEBIAN-CVE-2014-0160.json").read_text())
        other["id"], other["upstream"] = "DEBIAN-CVE-2014-0076", ["CVE-2014-0076"]
        (feed / "DEBIAN-CVE-2014-0076.json").write_text(json.dumps(other))
        import_feed(VulnStore(s), feed, source="debian", now=NOW)
        assert sorted(f.rule_id for f in vulnerability_step(s)(NOW, {}, {})) == ["CVE-2014-0076", "CVE-2014-0160"]
    finally:
        s.close()
