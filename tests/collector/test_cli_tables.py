"""Issue #17 point 5, a CLI that fits: `netcensus assets` and `findings` as real processes with COLUMNS
set, the asset filters on `--db` and `--collector` alike, and the flat CSV for ticket systems."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collector.escaping import cells
from collector.store.duckdb import Store
from tests.collector.inventory.manual_estate import estate, register, sight
from tests.conftest import TEST_TOKEN, run_cli
from tests.e2e.test_cli_errors import one_line_error

WIDE = "東京-プリンタ-3f"        # East Asian wide: two cells a character
COMBINING = "cafe\u0301-pos"     # an accent that takes no cell of its own


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "nc.duckdb"
    store = Store.open(path)
    at = datetime.now(UTC) - timedelta(hours=1)
    estate(store, at)
    register(store, at - timedelta(hours=1))
    sight(store,
          {"subject": "mac:00:00:85:aa:00:01", "method": "snmp", "seen_at": at, "macs": ["00:00:85:aa:00:01"],
           "ips": ["198.51.100.7"], "hostname": WIDE, "device_type": "printer",
           "vendor": "Canon", "os": "a very long firmware description that no table column could hold whole"},
          {"subject": "mac:00:1b:21:ee:00:02", "method": "arp", "seen_at": at, "macs": ["00:1b:21:ee:00:02"],
           "ips": ["198.51.100.8"], "hostname": COMBINING, "device_type": "workstation", "vendor": "Intel"})
    # pc-1's agent reported its software (one package): require rules apply to it
    store.write([("INSERT INTO software_installs (subject, source_id, name, version, arch, pkg_source, vendor, "
                  "first_seen, first_report_id) VALUES ('agent:pc1', 'pc1', 'bash', '5.2', '', 'deb', NULL, ?, 'r-1')",
                  [at]),
                 ("INSERT INTO inventory_state VALUES ('agent:pc1', 'deb', ?, 'r-1', NULL)", [at])])
    store.close()
    return path


def netcensus(*argv: str, columns: int = 100, env: dict[str, str] | None = None) -> str:
    result = run_cli("netcensus", *argv, env={"COLUMNS": str(columns), **(env or {})})
    assert result.code == 0, result.err
    return result.out


def assets_json(*argv: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(netcensus("assets", *argv, "--format", "json", env=env))
    return rows


@pytest.mark.parametrize("columns", [60, 80, 100, 132])
def test_the_assets_table_fits_columns_and_never_cuts_a_key(db: Path, columns: int) -> None:
    out = netcensus("assets", "--db", str(db), columns=columns)
    table = out.split("\n\n")[0].splitlines()
    widest_key = max(cells(a["asset_id"]) + 2 + max(cells(h) for h in a["hostnames"] or [""])
                     for a in assets_json("--db", str(db)))
    for line in table:
        assert cells(line) <= max(columns, widest_key + 40), line
    every = assets_json("--db", str(db))
    for asset in every:  # id, host and address whole on the asset's line, however narrow
        line = next(line for line in table if line.startswith(asset["asset_id"]))
        assert all(h in line for h in asset["hostnames"][:1]) and all(ip in line for ip in asset["ips"][:1])
    if columns <= 80:
        assert "hidden to fit" in out and "--format json" in out


def test_wide_and_combining_names_line_up_in_cells(db: Path) -> None:
    table = netcensus("assets", "--db", str(db), columns=200).splitlines()
    head = table[0]
    type_at = cells(head[:head.index("TYPE")])
    for name in (WIDE, COMBINING):
        line = next(line for line in table if name in line)
        before_type = line[:line.index("printer" if name == WIDE else "workstation")]
        assert cells(before_type) == type_at, (line, head)


def test_assets_filters_agree_on_db_and_collector(db: Path, empty_rules: Path) -> None:
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    local = ("--db", str(db))
    every = {a["asset_id"] for a in assets_json(*local)}
    cases: list[tuple[tuple[str, ...], set[str]]] = [
        (("--host", "PC-*"), {"pc-1"}),
        (("--host", "isp-gw,東京*"), {"isp-gw", WIDE}),
        (("--subnet", "198.51.100.0/24"), {WIDE, COMBINING}),
        (("--type", "printer"), {WIDE}),
        (("--type", "router", "--host", "nope"), set()),
        (("--vendor", "cano*"), {WIDE}),
        (("--unrecorded", "--subnet", "192.0.2.0/24"), {"isp-gw"}),  # its SNMP half: the register knows the ARP MAC
    ]
    for argv, names in cases:
        rows = assets_json(*local, *argv)
        assert {h for a in rows for h in a["hostnames"]} == names, argv
        assert {a["asset_id"] for a in rows} <= every
    unrecorded = assets_json(*local, "--unrecorded")
    assert unrecorded and all(a["status"] is None and a["asset_tag"] is None for a in unrecorded)
    assert len(unrecorded) < len(every)
    assert "no assets match the filters" in netcensus("assets", *local, "--host", "nothing-*")
    one_line_error(run_cli("netcensus", "assets", *local, "--subnet", "300.1.2.0/24"), "--subnet", "not a CIDR")

    expected = {argv: assets_json(*local, *argv) for argv, _ in [*cases, (("--unrecorded",), set())]}
    config = ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(empty_rules,), ghost_after=timedelta(days=14),
                         refresh_interval=timedelta(0), admin_token=TEST_TOKEN, open_enrolment=True)
    with BackgroundCollector(config) as collector:
        remote = ("--collector", f"127.0.0.1:{collector.port}")
        env = {"NETCENSUS_TOKEN": TEST_TOKEN}
        for argv, rows in expected.items():
            assert assets_json(*remote, *argv, env=env) == rows, argv


def test_csv_has_flat_stable_columns(db: Path) -> None:
    out = netcensus("findings", "--db", str(db), "--ghost-after", "0", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    header = out.splitlines()[0].split(",")
    assert "evidence" not in header
    assert header[header.index("evidence.source"):header.index("evidence.source") + 4] == [
        "evidence.source", "evidence.method", "evidence.seen_at", "evidence.detail"]
    assert rows and all(not r["evidence.source"].startswith("[") for r in rows)
    for r in rows:  # the n-th source, method and time belong to one piece of evidence
        assert len(r["evidence.source"].split("; ")) == len(r["evidence.method"].split("; ")) \
            == len(r["evidence.seen_at"].split("; "))
    empty = netcensus("findings", "--db", str(db), "--kind", "licence", "--format", "csv")
    assert empty.splitlines() == [out.splitlines()[0]]  # no findings: the same header


@pytest.fixture
def many_required(tmp_path: Path) -> Path:
    d = tmp_path / "required"
    d.mkdir()
    names = ", ".join(f"'edr-product-{i}'" for i in range(32))
    (d / "edr.yaml").write_text(
        "rules:\n  - id: edr-required\n    title: Endpoint protection\n    severity: high\n    type: require\n"
        f"    match:\n      name: [{names}]\n", encoding="utf-8")
    return d


def test_a_long_list_in_a_finding_is_summarised_in_the_table(db: Path, many_required: Path) -> None:
    args = ("findings", "--db", str(db), "--rules", str(many_required), "--kind", "missing-software")
    (finding, *_) = json.loads(netcensus(*args, "--format", "json"))
    assert "edr-product-31" in finding["summary"]          # JSON keeps every name
    table = netcensus(*args, columns=100)
    lines = [line for line in table.splitlines() if line.strip()]
    rows = [line for line in lines if "missing-software" in line]
    assert rows and "32 accepted products" in table and "see --format json" in table
    assert "edr-product-31" not in table
    row_at = lines.index(rows[0])
    assert len(lines) - row_at <= 6 * len(rows) + 1  # each finding at most 6 lines, then the count line
