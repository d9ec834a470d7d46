"""Rule evaluation by the default engine over real store files (collector/rules, collector/store/rules_sql.py)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.rules import RuleEngine, RuleFinding, RuleSet, load_rules
from collector.rules.globs import compile_glob
from collector.rules.registry import engine_for
from collector.store.duckdb import Store
from tests.collector.rules.rules_support import DATA, NOW, T0, Host, build_store, write_rules

MakeDb = Callable[[Sequence[Host]], RuleEngine]


def rules_from(tmp_path: Path, text: str) -> RuleSet:
    return load_rules([write_rules(tmp_path / "rules", "r.yaml", textwrap.dedent(text))])


def brief(findings: list[RuleFinding]) -> list[tuple[str, str, str, str | None, str | None, bool]]:
    return sorted((f.rule_id, f.kind, f.asset_id, f.software_name, f.software_version, f.suppressed) for f in findings)


DENY = """
rules:
  - id: ra
    title: Remote access tool
    severity: high
    type: deny
    match: {name: ["teamviewer*", "anydesk*"]}
"""


def test_deny_matches_normalised_and_raw_names(db: MakeDb, tmp_path: Path) -> None:
    engine = db(
        [
            Host("a1", "ws-1", software=[("TeamViewer 15.49.2 (x64)", "", "", "snmp"), ("bash", "5.2", "", "deb")]),
            Host("a2", "ws-2", software=[("anydesk", "7.0.1", "philandro", "deb")]),
            Host("a3", "ws-3", software=[("AnyDesk", "8.0", "AnyDesk Software GmbH", "msi")]),
            Host("a4", "ws-4", software=[("bash", "5.2", "", "deb")]),
        ]
    )
    findings = engine.evaluate(rules_from(tmp_path, DENY), NOW)
    assert brief(findings) == [
        ("ra", "unauthorised-software", "a1", "TeamViewer", "15.49.2", False),
        ("ra", "unauthorised-software", "a2", "anydesk", "7.0.1", False),
        ("ra", "unauthorised-software", "a3", "AnyDesk", "8.0", False),
    ]
    f = next(f for f in findings if f.asset_id == "a1")
    assert (f.severity, f.hostname, f.rule_title, f.software_source) == ("high", "ws-1", "Remote access tool", "snmp")
    assert f.first_seen == T0 and f.last_seen == NOW
    assert f.first_seen.tzinfo is not None
    assert f.summary == "TeamViewer 15.49.2 is installed on ws-1: Remote access tool (rule ra)."


def test_duplicate_rows_of_one_install_give_one_finding(db: MakeDb, tmp_path: Path) -> None:
    engine = db([Host("a1", "ws-1", software=[("anydesk", "7.0", "", "deb", 3), ("anydesk", "7.0", "", "deb", 1)])])
    (finding,) = engine.evaluate(rules_from(tmp_path, DENY), NOW)
    assert finding.first_seen == datetime(2026, 1, 2, tzinfo=UTC)


def test_match_on_vendor_version_and_source(db: MakeDb, tmp_path: Path) -> None:
    rules = rules_from(
        tmp_path,
        """
        rules:
          - id: old-firefox
            title: Old Firefox
            severity: medium
            type: deny
            match:
              name: ["*firefox*"]
              vendor: ["mozilla"]
              version: "<115.0"
              source: [msi, snmp]
          - id: vendor-only
            title: Anything from Contoso
            severity: low
            type: deny
            match: {vendor: ["contoso*"]}
        """,
    )
    engine = db(
        [
            Host("a1", software=[("Mozilla Firefox 19.0.2 (x86 ru)", "19.0.2", "Mozilla Corporation", "msi")]),
            Host("a2", software=[("Mozilla Firefox (x64 en-US)", "115.3.0", "Mozilla", "msi")]),  # too new
            Host("a3", software=[("firefox", "19.0", "Mozilla", "deb")]),  # wrong source
            Host("a4", software=[("Mozilla Firefox 9.0.1", "", "", "snmp")]),  # no vendor over SNMP
            Host("a5", software=[("Tool", "1", "Contoso Ltd.", "msi"),
                                 ("Mozilla Firefox 102.0", "", "Mozilla", "snmp")]),
        ]
    )
    assert brief(engine.evaluate(rules, NOW)) == [
        ("old-firefox", "unauthorised-software", "a1", "Mozilla Firefox", "19.0.2", False),
        ("old-firefox", "unauthorised-software", "a5", "Mozilla Firefox", "102.0", False),
        ("vendor-only", "unauthorised-software", "a5", "Tool", "1", False),
    ]


def test_version_ranges_use_the_package_scheme(db: MakeDb, tmp_path: Path) -> None:
    rules = rules_from(
        tmp_path,
        """
        rules:
          - id: old-7zip
            title: 7-Zip older than 9.3
            severity: low
            type: deny
            match: {name: ["7-zip", "p7zip*"], version: "<9.3"}
        """,
    )
    engine = db(
        [
            Host("a1", software=[("7-Zip 9.20 (x64 edition)", "", "", "snmp")]),  # 9.20 > 9.3: not old
            Host("a2", software=[("7-Zip 9.2 (x64 edition)", "", "", "snmp")]),
            Host("a3", software=[("p7zip-full", "9.20.1~dfsg.1-4", "", "deb")]),
            Host("a4", software=[("p7zip", "1:4.65-1", "", "deb")]),  # epoch 1 beats 9.3
        ]
    )
    assert [f.asset_id for f in engine.evaluate(rules, NOW)] == ["a2"]


def test_scope_by_os_device_type_hostname_and_subnet(db: MakeDb, tmp_path: Path) -> None:
    rules = rules_from(
        tmp_path,
        """
        rules:
          - id: scoped
            title: Scoped
            severity: low
            type: deny
            match: {name: tool}
            scope:
              os: [Windows]
              device_type: [workstation, laptop]
              hostname: ["FIN-*", "acct-??"]
              subnet: ["10.1.0.0/16", "2001:db8::/32"]
        """,
    )
    tool = [("tool", "1", "", "msi")]
    engine = db(
        [
            Host("in-v4", "fin-01", "windows", "workstation", ["192.0.2.1", "10.1.2.3"], software=tool),
            Host("in-v6", "ACCT-07", "Windows", "laptop", ["2001:db8::5"], software=tool),
            Host("wrong-os", "fin-02", "linux", "workstation", ["10.1.2.4"], software=tool),
            Host("wrong-type", "fin-03", "windows", "server", ["10.1.2.5"], software=tool),
            Host("wrong-host", "hr-01", "windows", "workstation", ["10.1.2.6"], software=tool),
            Host("wrong-host2", "acct-007", "windows", "workstation", ["10.1.2.6"], software=tool),
            Host("wrong-net", "fin-04", "windows", "workstation", ["10.2.0.1", "not-an-ip"], software=tool),
            Host("no-ip", "fin-05", "windows", "workstation", [], software=tool),
            Host("no-host", None, "windows", "workstation", ["10.1.0.9"], software=tool),
        ]
    )
    assert sorted(f.asset_id for f in engine.evaluate(rules, NOW)) == ["in-v4", "in-v6"]


def test_exceptions_suppress_until_they_expire(db: MakeDb) -> None:
    rules = load_rules([DATA / "valid"])
    tv = [("TeamViewer", "15.0", "TeamViewer GmbH", "msi")]
    engine = db([Host("j", "jump-01", software=tv), Host("asset-old", "ws-9", software=tv),
              Host("w", "ws-1", software=tv)])
    findings = {f.asset_id: f for f in engine.evaluate(rules, datetime(2025, 1, 31, 23, 0, tzinfo=UTC))}
    assert findings["j"].suppressed and findings["j"].suppression == "approved bastion (until 2027-06-30)"
    assert findings["asset-old"].suppressed
    assert findings["asset-old"].suppression == "migration window (until 2025-01-31)"
    assert not findings["w"].suppressed and findings["w"].suppression == ""
    # A day later the migration window has expired: the finding is no longer suppressed.
    later = {f.asset_id: f for f in engine.evaluate(rules, datetime(2025, 2, 1, 0, 30, tzinfo=UTC))}
    assert later["j"].suppressed
    assert not later["asset-old"].suppressed
    assert "exception 'migration window' expired 2025-01-31" in later["asset-old"].summary
    # `now` without a zone is taken as UTC.
    assert not {f.asset_id: f for f in engine.evaluate(rules, datetime(2025, 2, 1))}["asset-old"].suppressed


def test_exception_with_hostname_and_asset_id_needs_both(db: MakeDb, tmp_path: Path) -> None:
    rules = rules_from(
        tmp_path,
        DENY + """    exceptions:
      - {hostname: "jump-*", asset_id: a1, reason: both, until: 2030-01-01}
""",
    )
    tv = [("teamviewer", "15", "", "deb")]
    engine = db([Host("a1", "jump-1", software=tv), Host("a2", "jump-2", software=tv), Host("a3", "ws-1", software=tv)])
    assert [(f.asset_id, f.suppressed) for f in sorted(engine.evaluate(rules, NOW), key=lambda f: f.asset_id)] == [
        ("a1", True), ("a2", False), ("a3", False)
    ]


ALLOW = """
rules:
  - id: kiosk-catalogue
    title: Kiosk software catalogue
    severity: medium
    type: allow
    match: {name: ["firefox", "bash", "coreutils"]}
    scope: {hostname: ["kiosk-*"]}
  - id: kiosk-catalogue-extra
    title: Kiosk extras
    severity: low
    type: allow
    match: {name: ["vlc"], version: ">=3.0"}
    scope: {hostname: ["kiosk-*"]}
"""


def test_allow_rules_form_a_catalogue_for_their_scope(db: MakeDb, tmp_path: Path) -> None:
    engine = db(
        [
            Host("k1", "kiosk-1", software=[("firefox", "115", "", "deb"), ("bash", "5", "", "deb"),
                                            ("vlc", "3.0.18", "", "deb"), ("nethack", "3.6", "", "deb")]),
            Host("k2", "kiosk-2", software=[("vlc", "2.2.8", "", "deb"), ("coreutils", "9.1", "", "deb")]),
            Host("w1", "ws-1", software=[("nethack", "3.6", "", "deb")]),  # no catalogue applies
        ]
    )
    findings = engine.evaluate(rules_from(tmp_path, ALLOW), NOW)
    assert brief(findings) == [
        ("kiosk-catalogue", "unauthorised-software", "k1", "nethack", "3.6", False),
        ("kiosk-catalogue", "unauthorised-software", "k2", "vlc", "2.2.8", False),
    ]
    assert all(f.severity == "medium" for f in findings)
    assert "not in the approved catalogue of rule kiosk-catalogue" in findings[0].summary


REQUIRE = """
rules:
  - id: edr
    title: Endpoint protection
    severity: high
    type: require
    match: {name: ["clamav", "falcon-sensor", "sentinel*"]}
    scope: {os: [linux], device_type: [server, workstation]}
"""


def test_require_flags_inventoried_assets_in_scope_without_a_match(db: MakeDb, tmp_path: Path) -> None:
    engine = db(
        [
            Host("ok", "srv-1", "linux", "server", software=[("falcon-sensor", "7.10", "CrowdStrike", "rpm")]),
            Host("missing", "srv-2", "linux", "server", software=[("bash", "5", "", "deb")]),
            Host("empty", "srv-3", "linux", "server", software=[]),
            Host("unknown", "srv-4", "linux", "server", has_inventory=False),
            Host("windows", "ws-1", "windows", "workstation", software=[("bash", "5", "", "msi")]),
            Host("printer", "prn-1", "linux", "printer", software=[("bash", "5", "", "snmp")]),
        ]
    )
    findings = engine.evaluate(rules_from(tmp_path, REQUIRE), NOW)
    assert brief(findings) == [
        ("edr", "missing-software", "empty", None, None, False),
        ("edr", "missing-software", "missing", None, None, False),
    ]
    assert findings[0].first_seen == T0
    assert findings[0].summary.startswith("srv-") and "clamav, falcon-sensor, sentinel*" in findings[0].summary


def test_licence_flags_assets_beyond_the_seats_in_install_order(db: MakeDb) -> None:
    rules = load_rules([DATA / "valid"])  # site-licence-visio: 2 seats, vendor microsoft
    visio = ("Microsoft Visio Professional 2016", "16.0.4266.1001", "Microsoft Corporation", "msi")
    engine = db(
        [
            Host("v-first", "ws-1", software=[(*visio, 1)]),
            Host("v-third", "ws-3", software=[(*visio, 10), (*visio[:1], "16.0.5000", *visio[2:], 30)]),
            Host("v-second", "ws-2", software=[(*visio, 5)]),
            Host("v-fourth", "ws-4", software=[(*visio, 20)]),
            Host("fake", "ws-5", software=[("Microsoft Visio Viewer", "16.0", "Not Microsoft", "msi", 0)]),
        ]
    )
    findings = [f for f in engine.evaluate(rules, NOW) if f.kind == "licence"]
    # Seats go by each asset's earliest install: v-first (day 1), v-second (5), then v-third
    # (10) and v-fourth (20) are over; findings are reported in hostname order.
    assert [(f.asset_id, f.software_version) for f in findings] == [("v-third", "16.0.4266.1001"),
                                                                  ("v-fourth", "16.0.4266.1001")]
    assert findings[0].summary == (
        "Microsoft Visio Professional 2016 16.0.4266.1001 on ws-3 exceeds the 2 licensed seats of rule "
        "site-licence-visio (Microsoft Visio; 4 assets have it)."
    )


def test_findings_are_sorted_by_severity_and_empty_rule_sets_do_nothing(db: MakeDb, tmp_path: Path) -> None:
    rules = rules_from(
        tmp_path,
        """
        rules:
          - {id: low-one, title: L, severity: low, type: deny, match: {name: a}}
          - {id: crit-one, title: C, severity: critical, type: deny, match: {name: a}}
          - {id: info-one, title: I, severity: info, type: deny, match: {name: a}}
        """,
    )
    engine = db([Host("x", "h", software=[("a", "1", "", "deb")])])
    assert [f.rule_id for f in engine.evaluate(rules, NOW)] == ["crit-one", "low-one", "info-one"]
    assert engine.evaluate(RuleSet(), NOW) == []


def test_read_only_store_and_views_leave_no_trace(tmp_path: Path) -> None:
    build_store(tmp_path / "estate.duckdb", [Host("a1", "ws-1", software=[("anydesk", "7", "", "deb")])]).close()
    ro = Store.open(tmp_path / "estate.duckdb", read_only=True)
    try:
        views = "SELECT count(*) AS n FROM duckdb_views() WHERE NOT internal"
        before = ro.query(views)
        assert len(engine_for(ro).evaluate(rules_from(tmp_path, DENY), NOW)) == 1
        assert ro.query(views) == before
    finally:
        ro.close()


def test_null_columns_are_tolerated(db: MakeDb, tmp_path: Path) -> None:
    engine = db([Host("a1", "ws-1", software=[("anydesk", None, None, None), (None, "1", "", "deb")])])
    (finding,) = engine.evaluate(rules_from(tmp_path, DENY), NOW)
    assert (finding.software_name, finding.software_version) == ("anydesk", "")
    assert "anydesk (version unknown)" in finding.summary


@pytest.fixture(scope="module")
def plain_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("globs") / "empty.duckdb")
    yield store
    store.close()


@pytest.mark.parametrize(
    ("pattern", "subject"),
    [("fin-*", "fin-01"), ("fin-*", "FIN-01"), ("a?c", "abc"), ("[a-c]x", "bx"), ("[!a-c]x", "dx"),
     ("[!a-c]x", "ax"), ("x\\*", "x*"), ("x\\*", "xy"), ("*.corp", "pc.corp"), ("[.]x", "ax")],
)
def test_hostname_globs_mean_the_same_in_duckdb_and_python(plain_store: Store, pattern: str, subject: str) -> None:
    # The SQL engine scopes hostnames with DuckDB's GLOB; Python's compile_glob must agree with it.
    (row,) = plain_store.query("SELECT lower(?) GLOB ? AS hit", [subject, pattern.lower()])
    assert row["hit"] == (compile_glob(pattern).fullmatch(subject.casefold()) is not None)
