"""Benchmark: import 50,000 OSV advisories, then match 10,000 hosts x 1,500 packages against them.

Prints, from one run on one store file:

* the import of 50,000 generated advisories from one zip archive shaped like OSV's ``all.zip``
  (read, schema-validate, parse, replace the source in one transaction; target <= 60 s);
* the matching of every current install to them (``VulnStore.match()`` and the findings built from
  it, i.e. the whole vulnerability step of a refresh; target <= 5 s on 2 cores), beside the bare
  DuckDB join of the same tables (installs x affected packages on the name, no version test), in the
  same run.

The estate is generated in DuckDB SQL inside a real store, into the tables an agent's reports fill
(assets, asset_members, sightings with the os-release VERSION_ID, software_installs with source
package and purl): 70 % Debian 12, 10 % Ubuntu 22.04, 10 % RHEL 9, 10 % Alpine 3.18; each host has
1,200 OS packages from its distribution's base (1 to 4 versions each) and 300 from a tail of
language packages (PyPI and npm) and rarer OS packages. Advisories name packages of those pools
with one to three ranges (some with last_affected, some with version lists), fixed versions placed
so that some installs sit below and some above each fix; 2 % are withdrawn, and a share carry the
same CVE alias in two databases (folded into one finding).

Run: ``.venv/bin/python bench/bench_vulns.py [--hosts N] [--advisories N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.timing import median_best  # noqa: E402
from collector.store.duckdb import Store  # noqa: E402
from collector.store.vulns_sql import VulnStore  # noqa: E402
from collector.vulns.bridge import vulnerability_step  # noqa: E402
from collector.vulns.importing import import_feed  # noqa: E402

BASE = 1_200
TAIL = 300
BASE_POOL = 3_000      # OS packages per distribution a host's base draws from (first BASE of a shuffled pool)
TAIL_POOL = 20_000     # language and rare packages

# (ecosystem as OSV writes it, pkg_source, distro, VERSION_ID, share of hosts in percent)
DISTROS = [("Debian:12", "deb", "debian", "12", 70), ("Ubuntu:22.04:LTS", "deb", "ubuntu", "22.04", 10),
           ("Red Hat:enterprise_linux:9::baseos", "rpm", "rhel", "9.3", 10),
           ("Alpine:v3.18", "apk", "alpine", "3.18.4", 10)]
#: Share of advisories whose fix lies inside the installed versions (the rest are fixed below them,
#: as most of a real feed is for a maintained estate).
OPEN_SHARE = 0.005

GENERATE_SQL = """
CREATE TEMP TABLE hosts AS
SELECT i, 'asset-' || lpad(i::VARCHAR, 6, '0') AS asset_id, 'agent:src-' || i AS subject,
       CASE WHEN i % 10 < 7 THEN 0 WHEN i % 10 = 7 THEN 1 WHEN i % 10 = 8 THEN 2 ELSE 3 END AS d
FROM range({hosts}) t(i);
CREATE TEMP TABLE distros(d INTEGER, src VARCHAR, distro VARCHAR, version_id VARCHAR, rel VARCHAR);
INSERT INTO distros VALUES (0, 'deb', 'debian', '12', '+deb12u'), (1, 'deb', 'ubuntu', '22.04', 'ubuntu0.22.04.'),
    (2, 'rpm', 'rhel', '9.3', '.el9_'), (3, 'apk', 'alpine', '3.18.4', '-r');
INSERT INTO assets (asset_id, hostnames, ips, os_family, first_seen, last_seen, sources, matched_by,
                    has_software_inventory)
SELECT asset_id, ['host-' || i], ['10.' || (i // 65536 % 256) || '.' || (i // 256 % 256) || '.' || (i % 256)], 'linux',
       TIMESTAMPTZ '2025-01-01 00:00:00+00', TIMESTAMPTZ '2026-05-30 00:00:00+00', ['src-' || i], 'anchor', true
FROM hosts;
INSERT INTO asset_members SELECT subject, asset_id, 'anchor' FROM hosts;
INSERT INTO sightings (report_id, source_id, method, seen_at, subject, hostname, firmware)
SELECT 'r-bench', 'src-' || i, 'agent', TIMESTAMPTZ '2026-05-30 00:00:00+00', subject, 'host-' || i, x.version_id
FROM hosts h JOIN distros x USING (d);
INSERT INTO software_installs (subject, source_id, name, version, arch, pkg_source, source_package, purl,
                               installed_at, first_seen, first_report_id)
WITH base AS (
    SELECT h.*, x.src, x.distro, x.rel, (hash(h.d, k) % {base_pool})::INTEGER AS p,
           (hash(h.asset_id, k) % (1 + k % 4))::INTEGER AS v
    FROM hosts h JOIN distros x USING (d) CROSS JOIN range({base}) b(k)
),
base_named AS (
    SELECT subject, 'src-' || i AS source_id,
           'lib' || distro || '-' || p AS name, 'pkg' || p AS source_package,
           CASE src WHEN 'apk' THEN '1.' || (p % 10) || '.' || v || rel || (v % 3)
                    WHEN 'rpm' THEN '1.' || (p % 10) || '.' || v || '-' || (1 + v) || rel || (v % 3)
                    ELSE '1.' || (p % 10) || '.' || v || '-' || (1 + v) || rel || (v % 3) END AS version,
           src, distro
    FROM base
),
tail AS (
    SELECT h.*, (hash(h.asset_id, j) % {tail_pool})::INTEGER AS t, (hash(h.asset_id, j, 'v') % 3)::INTEGER AS v
    FROM hosts h CROSS JOIN range({tail}) b(j)
),
tail_named AS (
    SELECT subject, 'src-' || i AS source_id,
           CASE WHEN t % 2 = 0 THEN 'pypkg-' || t ELSE 'npmpkg-' || t END AS name, NULL AS source_package,
           '2.' || (t % 7) || '.' || v AS version, CASE WHEN t % 2 = 0 THEN 'pip' ELSE 'npm' END AS src, '' AS distro
    FROM tail
)
SELECT subject, source_id, name, version, 'amd64', src, source_package,
       CASE src WHEN 'pip' THEN 'pkg:pypi/' || name || '@' || version
                WHEN 'npm' THEN 'pkg:npm/' || name || '@' || version
                ELSE 'pkg:' || src || '/' || distro || '/' || name || '@' || version END,
       NULL, TIMESTAMPTZ '2025-06-01 00:00:00+00', 'r-bench'
FROM (SELECT * FROM base_named UNION ALL SELECT * FROM tail_named);
"""


def _advisory(n: int, rnd: random.Random) -> dict[str, object]:
    """One generated advisory; its packages and versions fall on the generated estate's pools."""
    kind = rnd.random()
    cve = f"CVE-2025-{n // 2 + 10000}"  # two consecutive advisories share a CVE: folded
    if kind < 0.6:
        eco, _src, distro, _vid, _ = DISTROS[0 if kind < 0.4 else 1 if kind < 0.45 else 2 if kind < 0.55 else 3]
        p = rnd.randrange(BASE_POOL)
        name = f"pkg{p}"
        rel = {"Debian:12": "+deb12u", "Ubuntu:22.04:LTS": "ubuntu0.22.04.", "Alpine:v3.18": "-r"}.get(eco, ".el9_")
        v = rnd.randrange(4)
        if rnd.random() < OPEN_SHARE:  # inside the installed versions: v, with a security revision 2
            fixed = f"1.{p % 10}.{v}{rel}2" if eco.startswith("Alpine") else f"1.{p % 10}.{v}-{1 + v}{rel}2"
        else:  # below every installed version
            fixed = f"1.{p % 10}.0{rel}0" if eco.startswith("Alpine") else f"1.{p % 10}.0-0{rel}1"
        if eco.startswith("Red Hat"):
            name = f"lib{distro}-{p}"  # Red Hat names binary packages
        events: list[dict[str, str]] = [{"introduced": "0"}, {"fixed": fixed}]
        versions: list[str] = []
    else:
        t = rnd.randrange(TAIL_POOL)
        eco = "PyPI" if t % 2 == 0 else "npm"
        name = f"pypkg-{t}" if t % 2 == 0 else f"npmpkg-{t}"
        roll = rnd.random()
        if roll < OPEN_SHARE / 3:
            events = [{"introduced": "0"}, {"last_affected": f"2.{t % 7}.{rnd.randrange(3)}"}]
        elif roll < OPEN_SHARE:
            events = [{"introduced": "0"}, {"fixed": f"2.{t % 7}.1"}, {"introduced": f"2.{t % 7}.2"},
                      {"fixed": f"2.{t % 7}.3"}]
        else:
            events = [{"introduced": "0"}, {"fixed": f"2.{t % 7}.0"}, {"introduced": "3.0"}, {"fixed": "3.0.5"}]
        versions = [f"1.{t % 7}.9"] if rnd.random() < 0.2 else []
    record: dict[str, object] = {
        "schema_version": "1.6.0",
        "id": f"BENCH-{n:06d}",
        "modified": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T00:00:00Z",
        "published": "2025-01-01T00:00:00Z",
        "aliases": [cve],
        "summary": f"generated advisory {n}",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
        "affected": [{"package": {"ecosystem": eco, "name": name}, "ranges": [{"type": "ECOSYSTEM", "events": events}],
                      **({"versions": versions} if versions else {})}],
        "references": [{"type": "ADVISORY", "url": f"https://example.org/advisories/{n}"}],
    }
    if n % 50 == 0:
        record["withdrawn"] = "2025-06-01T00:00:00Z"
    return record


def write_feed(path: Path, count: int) -> None:
    """``count`` advisories in one zip archive, one JSON file each, as OSV publishes them."""
    rnd = random.Random(18)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for n in range(count):
            buf = io.BytesIO(json.dumps(_advisory(n, rnd)).encode())
            z.writestr(f"BENCH-{n:06d}.json", buf.getvalue())


def main() -> None:
    """Generate, import, match; print our figures beside the bare DuckDB join."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--advisories", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-vulns-") as tmp:
        tmpdir = Path(tmp)
        start = time.perf_counter()
        feed = tmpdir / "all.zip"
        write_feed(feed, args.advisories)
        print(f"generated {args.advisories:,} advisories ({feed.stat().st_size / 2**20:.1f} MiB zip) "
              f"in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        store = Store.open(tmpdir / "estate.duckdb")
        store.write([(GENERATE_SQL.format(hosts=args.hosts, base=BASE, tail=TAIL, base_pool=BASE_POOL,
                                          tail_pool=TAIL_POOL), [])])
        store.close()
        store = Store.open(tmpdir / "estate.duckdb")
        (sizes,) = store.query("SELECT count(*) AS installs FROM software_installs")
        print(f"generated {args.hosts:,} hosts, {sizes['installs']:,} installs in {time.perf_counter() - start:.1f} s")
        vulns = VulnStore(store)
        import_s, import_best, outcome = median_best(
            lambda: import_feed(vulns, feed, source="bench", now=datetime(2026, 6, 1, tzinfo=UTC)), args.runs)
        bare_s, bare_best, bare_rows = median_best(vulns.bare_join_count, args.runs)
        match_s, match_best, matched = median_best(vulns.match, args.runs)
        step = vulnerability_step(store)
        now = datetime(2026, 6, 1, tzinfo=UTC)
        step_s, step_best, findings = median_best(lambda: step(now, {}, {}), args.runs)
        store.close()
    assert isinstance(findings, list)
    print(f"imported {getattr(outcome, 'records', 0):,} advisories; bare join rows {bare_rows:,}; "
          f"vulnerable installs {len(getattr(matched, 'rows', [])):,}; findings {len(findings):,}")
    print(f"{'':<58} {'median':>8}    {'best':>8}   (of {args.runs} runs)")
    print(f"{'netcensus vulns import (50k advisories, one zip)':<58} {import_s:8.3f} s  {import_best:8.3f} s"
          f"   budget 60 s -> {'OK' if import_s <= 60 else 'OVER'}")
    print(f"{'netcensus matching: VulnStore.match()':<58} {match_s:8.3f} s  {match_best:8.3f} s")
    print(f"{'netcensus vulnerable-software step (match + findings)':<58} {step_s:8.3f} s  {step_best:8.3f} s"
          f"   budget 5 s -> {'OK' if step_s <= 5 else 'OVER'}")
    print(f"{'bare DuckDB join: installs x affected on name, count(*)':<58} {bare_s:8.3f} s  {bare_best:8.3f} s")
    print(f"{'ratio (our step / bare join)':<58} {step_s / bare_s:8.1f} x  {step_best / bare_best:8.1f} x")
    load = os.getloadavg()[0]
    print(f"load average: {load:.2f} on {os.cpu_count()} cores (other work on the machine inflates every figure)")


if __name__ == "__main__":
    main()
