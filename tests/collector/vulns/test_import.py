"""`netcensus vulns import` / `status`: files, directories, zip archives, bad records, atomic replace."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from collector.errors import StoreError, UsageError
from collector.store.duckdb import Store
from collector.store.vulns_sql import VulnStore
from collector.vulns.importing import default_source, import_feed
from collector.vulns.osv_schema import schema_error
from tests.collector.vulns.vulns_support import BAD, NOW, OSV
from tests.conftest import run_cli


def _zip(path: Path, files: list[Path]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for f in files:
            z.write(f, f.name)
    return path


def test_every_fixture_is_valid_osv() -> None:
    for path in sorted(OSV.glob("*.json")):
        assert schema_error(json.loads(path.read_text())) is None, path.name


@pytest.mark.parametrize(("name", "expected"), [
    ("missing-name.json", "missing-name.json: affected[0].package: 'name' is a required property"),
    ("bad-event.json", "bad-event.json: affected[0].ranges[0].events[1]: an event must have exactly one of"),
    ("truncated.json", "truncated.json: not JSON:"),
    ("bad-date.json", "bad-date.json: modified: 'last tuesday' is not an RFC 3339 date-time"),
])
def test_a_bad_record_is_one_line_naming_file_and_field_and_the_rest_imports(
        tmp_path: Path, name: str, expected: str) -> None:
    feed = tmp_path / "feed"
    shutil.copytree(OSV, feed)
    shutil.copy(BAD / name, feed / name)
    db = tmp_path / "nc.duckdb"
    out = run_cli("netcensus", "vulns", "import", str(feed), "--db", str(db))
    assert out.code == 0, out.err
    (line,) = out.err.strip().splitlines()
    assert line.startswith(f"netcensus: vulns import: {expected}"), line
    assert "Traceback" not in out.err
    assert "imported 9 advisories as source feed (1 withdrawn, not matched; 1 rejected)" in out.out


def test_zip_archives_as_published_and_status(tmp_path: Path) -> None:
    debian = tmp_path / "Debian"
    debian.mkdir()
    _zip(debian / "all.zip", [OSV / "DSA-2896-1.json", OSV / "DEBIAN-CVE-2014-0160.json"])
    pypi = tmp_path / "PyPI"
    pypi.mkdir()
    _zip(pypi / "all.zip", [OSV / "GHSA-jh3w-4vvf-mjgr.json", OSV / "PYSEC-2023-100.json",
                            OSV / "GHSA-w596-4wvx-j9j6.json"])
    assert default_source(debian / "all.zip") == "Debian"
    db = tmp_path / "nc.duckdb"
    for archive in (debian / "all.zip", pypi / "all.zip"):
        out = run_cli("netcensus", "vulns", "import", str(archive), "--db", str(db))
        assert out.code == 0 and out.err == "", out.err
    status = run_cli("netcensus", "vulns", "status", "--db", str(db), "--format", "json")
    assert status.code == 0, status.err
    rows = {r["source"]: r for r in json.loads(status.out)}
    assert (rows["Debian"]["records"], rows["Debian"]["withdrawn"]) == (2, 0)
    assert (rows["PyPI"]["records"], rows["PyPI"]["withdrawn"]) == (3, 1)
    assert rows["Debian"]["ecosystems"] == [{"ecosystem": "Debian:7", "advisories": 2}]
    assert rows["PyPI"]["newest_modified"].startswith("2024-09-30")
    table = run_cli("netcensus", "vulns", "status", "--db", str(db))
    assert "Debian" in table.out and "PyPI" in table.out


def test_reimport_replaces_the_source_atomically(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "nc.duckdb")
    try:
        vulns = VulnStore(store)
        import_feed(vulns, OSV, source="osv", now=NOW)
        assert store.query("SELECT count(*) AS n FROM vuln_advisories")[0]["n"] == 9
        one = tmp_path / "one"
        one.mkdir()
        shutil.copy(OSV / "DSA-2896-1.json", one)
        import_feed(vulns, one, source="osv", now=NOW)  # the same source, a smaller feed: replaced, not added
        assert [r["id"] for r in store.query("SELECT id FROM vuln_advisories")] == ["DSA-2896-1"]
        assert store.query("SELECT count(*) AS n FROM vuln_affected")[0]["n"] == 1
        # A broken download must not wipe a working feed: nothing valid, nothing replaced.
        with pytest.raises(UsageError, match="no valid OSV record"):
            import_feed(vulns, BAD, source="osv", now=NOW)
        assert [r["id"] for r in store.query("SELECT id FROM vuln_advisories")] == ["DSA-2896-1"]
    finally:
        store.close()


def test_a_failed_write_leaves_the_previous_import(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "nc.duckdb")
    try:
        vulns = VulnStore(store)
        import_feed(vulns, OSV, source="osv", now=NOW)
        # Make the insert of affected rows fail midway (a column it does not fill): the delete of the
        # old rows and the advisories insert before it must be rolled back with it.
        store.write([("ALTER TABLE vuln_affected ADD COLUMN guard INTEGER", ())])
        with pytest.raises(StoreError, match="a write failed"):
            import_feed(vulns, OSV / "DSA-2896-1.json", source="osv", now=NOW)
        assert store.query("SELECT count(*) AS n FROM vuln_advisories")[0]["n"] == 9
    finally:
        store.close()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    out = run_cli("netcensus", "vulns", "import", str(tmp_path / "nowhere"), "--db", str(tmp_path / "nc.duckdb"))
    assert out.code == 1 and out.err.count("\n") == 1 and "no such file or directory" in out.err
    out = run_cli("netcensus", "vulns", "import", str(OSV), "--db", str(tmp_path / "nc.duckdb"), "--source", "a b")
    assert out.code == 1 and "--source 'a b'" in out.err
    out = run_cli("netcensus", "vulns", "status", "--db", str(tmp_path / "missing.duckdb"))
    assert out.code == 1 and "no such database" in out.err


def test_accept_list_unaccept_are_audited(tmp_path: Path) -> None:
    db = tmp_path / "nc.duckdb"
    assert run_cli("netcensus", "vulns", "import", str(OSV), "--db", str(db)).code == 0
    out = run_cli("netcensus", "vulns", "accept", "cve-2014-0160", "--host", "lab-*", "--reason", "isolated lab",
                  "--until", "2026-12-31", "--db", str(db))
    assert out.code == 0 and "exception #1" in out.out, out.err
    bad = run_cli("netcensus", "vulns", "accept", "CVE-1", "--reason", "x", "--until", "soon", "--db", str(db))
    assert bad.code == 1 and "--until 'soon': not a date" in bad.err
    rows = json.loads(run_cli("netcensus", "vulns", "exceptions", "--db", str(db), "--format", "json").out)
    assert [(r["advisory"], r["hostname"], r["reason"]) for r in rows] == [("CVE-2014-0160", "lab-*", "isolated lab")]
    assert rows[0]["created_by"].startswith("local:")
    assert run_cli("netcensus", "vulns", "unaccept", "1", "--db", str(db)).code == 0
    again = run_cli("netcensus", "vulns", "unaccept", "1", "--db", str(db))
    assert again.code == 1 and "no active exception #1" in again.err
    rows = json.loads(run_cli("netcensus", "vulns", "exceptions", "--db", str(db), "--format", "json").out)
    assert rows[0]["state"] == "revoked"
    audit = json.loads(run_cli("netcensus", "audit", "--db", str(db), "--format", "json").out)
    assert {"vulns import", "vulns accept", "vulns unaccept"} <= {a["action"] for a in audit}
