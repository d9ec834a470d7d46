"""Benchmark: rules evaluation over 10,000 hosts x 1,500 installs (15 M rows) with 200 rules.

Prints our time for the default rule engine (``collector.rules.registry.engine_for(store)``)
beside the time DuckDB itself needs to scan the same table once (``SELECT count(*), count(DISTINCT
name) FROM software_scoped``), measured in the same run on the same store file, and the ratio. The
estate is generated in DuckDB SQL (no Python loops) inside a real store, as plain tables standing in
for the store's ``software_scoped`` and ``assets_scoped`` views, so the figure is the engine's own
and not that of the joins behind the views:

* hosts: 60 % Windows, 30 % Linux (half deb, half rpm), 10 % macOS; workstations, laptops and
  servers; one IPv4 address each; 5 % of Windows hosts are seen only over SNMP, whose names carry
  the version ("Contoso App 17 1.7.2 (x64)") and whose version column is empty;
* software: 1,200 packages from the host OS's common base (each in 1 to 4 versions) plus 300 from
  a long tail of 20,000 rarer packages, some of which are real names the shipped packs flag
  (teamviewer, xmrig, Heartbleed-era OpenSSL...);
* rules: the shipped packs plus synthetic deny/licence/require/allow rules up to 200, with
  name globs, version ranges, and OS / hostname / subnet scopes.

Run: ``.venv/bin/python bench/bench_rules.py [--hosts N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.timing import median_best  # noqa: E402
from collector.rules import RuleSet, load_rules  # noqa: E402
from collector.rules.registry import engine_for  # noqa: E402
from collector.store.duckdb import Store  # noqa: E402

BASE_PACKAGES = 1_200
TAIL_PACKAGES = 300
TAIL_POOL = 20_000

# Real names in the long tail (pool ids 0..len-1), so that the shipped packs have work to do.
REAL_TAIL = [
    ("TeamViewer 15.49.2 (x64)", "", "TeamViewer Germany GmbH", "msi"),
    ("AnyDesk", "8.0.8", "AnyDesk Software GmbH", "msi"),
    ("xmrig", "6.21.0", "", "deb"),
    ("qBittorrent 4.6.2 (x64)", "4.6.2", "The qBittorrent project", "msi"),
    ("tor", "0.4.8.9-1", "", "deb"),
    ("torsocks", "2.4.0-1", "", "deb"),
    ("openssl", "1.0.1e-2+deb7u4", "", "deb"),
    ("OpenSSL 1.0.1e (32-bit)", "", "", "snmp"),
    ("openssl", "1.0.1e-15.el6", "", "rpm"),
    ("log4j-core", "2.14.1", "", "other"),
    ("xz-utils", "5.6.1-1", "", "deb"),
    ("xz-libs", "5.6.0-1.fc40", "", "rpm"),
    ("Adobe Flash Player 32 NPAPI", "32.0.0.465", "Adobe", "msi"),
    ("NordVPN", "7.14.3", "nordvpn s.a.", "msi"),
    ("clamav", "1.0.5+dfsg-1", "", "deb"),
    ("falcon-sensor", "7.10.0-16303", "CrowdStrike", "rpm"),
    ("Microsoft Visio Professional 2016", "16.0.4266.1001", "Microsoft Corporation", "msi"),
    ("Python 2.7.18", "2.7.18150", "Python Software Foundation", "msi"),
    ("PuTTY release 0.76 (64-bit)", "0.76.0.0", "Simon Tatham", "msi"),
    ("7-Zip 9.20 (x64 edition)", "", "", "snmp"),
]

GENERATE_SQL = """
CREATE TABLE assets_scoped AS
SELECT
    'asset-' || lpad(i::VARCHAR, 6, '0') AS asset_id,
    (CASE WHEN i % 20 = 0 THEN 'kiosk-' WHEN i % 7 = 0 THEN 'srv-' WHEN i % 7 < 3 THEN 'lt-' ELSE 'ws-' END)
        || lpad(i::VARCHAR, 6, '0') AS hostname,
    CASE WHEN i % 10 < 6 THEN 'windows' WHEN i % 10 < 9 THEN 'linux' ELSE 'macos' END AS os_family,
    CASE WHEN i % 7 = 0 THEN 'server' WHEN i % 7 < 3 THEN 'laptop' ELSE 'workstation' END AS device_type,
    ['10.' || (i // 65536 % 256) || '.' || (i // 256 % 256) || '.' || (i % 256)] AS ips,
    i % 50 <> 49 AS has_software_inventory,
    TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_days(i % 300) AS first_seen,
    TIMESTAMPTZ '2026-05-30 00:00:00+00' AS last_seen,
    -- package source of this host's agent (or SNMP for a few Windows hosts)
    CASE WHEN i % 10 < 6 THEN (CASE WHEN i % 100 = 7 THEN 'snmp' ELSE 'msi' END)
         WHEN i % 10 < 9 THEN (CASE WHEN i % 2 = 0 THEN 'deb' ELSE 'rpm' END)
         ELSE 'macos' END AS src
FROM range({hosts}) t(i);

CREATE TABLE real_tail(t INTEGER, name VARCHAR, version VARCHAR, vendor VARCHAR, source VARCHAR);

CREATE TABLE software_scoped AS
WITH base AS (
    SELECT a.*, k, hash(a.asset_id, k) % (1 + k % 4) AS v, 0 AS tail
    FROM assets_scoped a CROSS JOIN range({base}) b(k)
),
tail AS (
    SELECT a.*,
           (CASE a.os_family WHEN 'windows' THEN 0 WHEN 'linux' THEN 10000 ELSE 17000 END)
             + hash(a.asset_id, j) % (CASE a.os_family WHEN 'windows' THEN 10000
                                      WHEN 'linux' THEN 7000 ELSE 3000 END) AS k,
           hash(a.asset_id, j, 'v') % 2 AS v, 1 AS tail
    FROM assets_scoped a CROSS JOIN range({tail}) b(j)
),
rows AS (SELECT * FROM base UNION ALL SELECT * FROM tail),
named AS (
    SELECT r.*,
           CASE WHEN tail = 1 THEN 'tailpkg-' || k ELSE 'base-' || k END AS stem,
           CASE WHEN tail = 1 THEN '2.' || (k % 7) || '.' || v ELSE '1.' || (k % 10) || '.' || v END AS ver
    FROM rows r
)
SELECT n.asset_id, n.hostname, n.os_family, n.device_type, n.ips,
    coalesce(rt.name, CASE n.src
        WHEN 'msi' THEN 'Contoso ' || n.stem
        WHEN 'snmp' THEN 'Contoso ' || n.stem || ' ' || n.ver || ' (x64)'
        WHEN 'macos' THEN 'Mac ' || n.stem
        ELSE n.stem END) AS name,
    coalesce(rt.version, CASE n.src
        WHEN 'snmp' THEN ''
        WHEN 'deb' THEN n.ver || '-' || (1 + n.v)
        WHEN 'rpm' THEN n.ver || '-' || (1 + n.v) || '.el9'
        ELSE n.ver END) AS version,
    coalesce(rt.vendor, CASE WHEN n.src IN ('msi', 'snmp', 'macos') THEN 'Contoso Corporation' ELSE '' END) AS vendor,
    coalesce(rt.source, n.src) AS source,
    n.first_seen + to_days((hash(n.asset_id, n.k) % 200)::INTEGER) AS first_seen,
    n.last_seen
FROM named n LEFT JOIN real_tail rt ON n.tail = 1 AND rt.t = n.k;
"""


def generate(path: Path, hosts: int) -> Store:
    """Create the estate in a new store file and return the store, reopened (checkpointed)."""
    store = Store.open(path)
    first, _, rest = GENERATE_SQL.partition("CREATE TABLE software_scoped")
    # Real names sit at the start of each OS's tail pool, matched to the OS they belong to.
    offsets = {"msi": 0, "snmp": 0, "deb": 10_000, "rpm": 10_000, "other": 10_000}
    rows = [(offsets[src] + i, name, ver, vendor, src) for i, (name, ver, vendor, src) in enumerate(REAL_TAIL)]
    real_tail = pa.table({name: [row[i] for row in rows]
                          for i, name in enumerate(("t", "name", "version", "vendor", "source"))})
    store.write([("DROP VIEW software_scoped; DROP VIEW assets_scoped", []),
                 (first.format(hosts=hosts), []),
                 ("INSERT INTO real_tail SELECT * FROM real_tail_rows", []),
                 (("CREATE TABLE software_scoped" + rest).format(base=BASE_PACKAGES, tail=TAIL_PACKAGES), []),
                 ("ALTER TABLE assets_scoped DROP COLUMN src", [])],
                tables={"real_tail_rows": real_tail})
    store.close()
    return Store.open(path)


def synthetic_rules(directory: Path, count: int) -> None:
    """Write ``count`` synthetic rules (deny/licence/require/allow with scopes) as one YAML file."""
    lines = ["rules:"]
    for n in range(count):
        kind = "deny"
        extra: list[str] = []
        if n % 40 == 1:
            kind = "licence"
            extra.append(f"    seats: {50 + n}")
        elif n % 60 == 2:
            kind = "require"
        elif n == 3:
            kind = "allow"
        lines += [
            f"  - id: synthetic-{n:03d}",
            f"    title: Synthetic rule {n}",
            f"    severity: {('low', 'medium', 'high', 'critical')[n % 4]}",
            f"    type: {kind}",
            *extra,
            "    match:",
        ]
        if kind == "allow":
            # A locked-down kiosk catalogue approves the image and the usual tail; the real
            # names in the tail (remote-access tools, miners...) fall outside it.
            lines.append('      name: ["base-*", "contoso base-*", "mac base-*", "tailpkg-*", "contoso tailpkg-*"]')
        elif kind == "require":
            lines.append(f'      name: ["base-{n % 1000}", "contoso base-{n % 1000}"]')
        else:
            lines.append(f'      name: ["tailpkg-{n * 37 % 20000}*", "contoso tailpkg-{n * 53 % 10000}"]')
            if n % 3 == 0:
                lines.append(f'      version: "<2.{n % 7}.1"')
            if n % 5 == 0:
                lines.append("      source: [deb, rpm, msi]")
        if kind == "allow":
            lines += ["    scope:", '      hostname: ["kiosk-*"]']
        elif n % 4 == 0:
            lines += ["    scope:", "      os: [windows, linux]", '      hostname: ["ws-*", "lt-*"]']
        elif n % 4 == 1:
            lines += ["    scope:", f'      subnet: ["10.0.{n % 40}.0/24", "10.0.64.0/18"]']
        if n % 9 == 0:
            lines += [
                "    exceptions:",
                f'      - {{hostname: "srv-00{n % 10}*", reason: "synthetic approval", until: 2027-06-30}}',
            ]
    (directory / "synthetic.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_bench_rules(directory: Path, total: int) -> RuleSet:
    """Shipped packs plus synthetic rules up to ``total``."""
    shipped = load_rules([REPO / "rules"])
    synthetic_rules(directory, max(0, total - len(shipped)))
    return load_rules([REPO / "rules", directory])


def main() -> None:
    """Generate the estate, evaluate 200 rules, and print our time beside a DuckDB scan."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rules-") as tmp:
        tmpdir = Path(tmp)
        start = time.perf_counter()
        store = generate(tmpdir / "estate.duckdb", args.hosts)
        (sizes,) = store.query(
            "SELECT count(*) AS installs, (SELECT count(*) FROM (SELECT DISTINCT name, version, vendor, source "
            "FROM software_scoped)) AS titles FROM software_scoped"
        )
        installs, titles = sizes["installs"], sizes["titles"]
        print(f"generated {args.hosts:,} hosts, {installs:,} installs, {titles:,} distinct titles "
              f"in {time.perf_counter() - start:.1f} s")
        (tmpdir / "rules").mkdir()
        rules = load_bench_rules(tmpdir / "rules", args.rules)
        now = datetime(2026, 6, 1, tzinfo=UTC)
        # Both figures come from the same open file, back to back, so they see the same page
        # cache and (nearly) the same machine load.
        scan_s, scan_best, _ = median_best(
            lambda: store.query("SELECT count(*), count(DISTINCT name) FROM software_scoped"), args.runs
        )
        engine = engine_for(store)
        ours_s, ours_best, findings = median_best(lambda: engine.evaluate(rules, now), args.runs)
        assert isinstance(findings, list)
        by_kind: dict[str, int] = {}
        for f in findings:
            by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
        store.close()
    kinds = ", ".join(f"{k}={v:,}" for k, v in sorted(by_kind.items()))
    print(f"rules: {len(rules)}; findings: {len(findings):,} ({kinds})")
    print(f"{'':<48} {'median':>8}    {'best':>8}   (of {args.runs} runs)")
    print(f"{'netcensus rules engine.evaluate()':<48} {ours_s:8.3f} s  {ours_best:8.3f} s")
    print(f"{'DuckDB scan: count(*), count(DISTINCT name)':<48} {scan_s:8.3f} s  {scan_best:8.3f} s")
    print(f"{'ratio (ours / one DuckDB scan)':<48} {ours_s / scan_s:8.1f} x  {ours_best / scan_best:8.1f} x")
    print(f"{'budget':<48} {'3.000':>8} s  -> {'OK' if ours_s <= 3.0 else 'OVER'}")
    load = os.getloadavg()[0]
    print(f"load average: {load:.2f} on {os.cpu_count()} cores (other work on the machine inflates both figures)")


if __name__ == "__main__":
    main()
