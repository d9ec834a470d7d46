"""A realistic large netcensus database, generated set-wise in DuckDB: `python -m bench.bigdb OUT.duckdb`.

Why a generator: the live-refresh and dashboard benchmarks need the scale of the issue (100,000
machines, 15 M installed packages, a year of finding history, a register, scanners), and building
that through the ingest path would take an hour. Every table is filled by a handful of
`INSERT ... SELECT ... FROM range(N)` statements (no Python loop over rows), so 100,000 machines build
in a minute or two on 2 cores. The shape, per machine i (deterministic: hashes of i, no RNG state):

* 80 % endpoints running an agent (`agent:<source>` subject, serial, SMBIOS UUID, host name, one
  universally administered MAC, its /24 as coverage), reporting 3 times over the last 10 days, and
  seen by ARP too (`mac:<mac>` subject, the same MAC: they resolve to one asset); Windows, Linux
  (deb and rpm) and macOS; workstations, laptops and servers;
* 10 % network devices (switches, printers, access points) swept over ARP and SNMP, the SNMP
  sighting bound to the ARP MAC (an L2 binding) and carrying a host name of its own;
* 10 % address-only or randomised-MAC things (phones, IoT): ARP with a locally administered MAC,
  or nmap from another subnet (address only);
* software: ~190 packages per agent (a per-OS base image shared by most hosts, versions varying,
  plus a long tail), 5 % of them removed earlier in the year (history), a few real names the
  shipped rule packs flag (remote-access tools, miners, Heartbleed-era OpenSSL), endpoint protection
  on 97 % of hosts;
* a register (Snipe-IT shaped) of 90 % of the machines plus 10 % never seen, patchy keys, a tenth
  retired / lost / in stock;
* five scanners sweeping their share of the /24s daily for 30 days;
* a year of finding history: resolved findings of every kind, opened and resolved on days spread
  over the year (the open ones come from the refresh at the end).

`build(path, machines=N)` is the reusable entry point (the UI benchmark calls it too); with
`refresh=True` (the CLI's default) it ends with one full refresh under the shipped rule packs, so
the `assets` and `findings` tables are materialised as a running collector would have them.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from collector.store.duckdb import Store  # noqa: E402

#: The generated estate's "now": every time in it is before this instant.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PACKAGES_PER_AGENT = 190
SCANNERS = 5

# Machine i: kind from i % 10 (0-7 agent endpoint, 8 network device, 9 address-only / random MAC);
# address 10.<s // 256>.<s % 256>.<h> with s = i // 250 (a /24 per 250 machines), h = i % 250 + 2.
_MACHINES = """
CREATE TABLE gen_machines AS
SELECT i,
       CASE WHEN i % 10 < 8 THEN 'agent' WHEN i % 10 = 8 THEN 'netdev' ELSE 'other' END AS kind,
       '10.' || (i // 250 // 256) || '.' || (i // 250 % 256) || '.' || (i % 250 + 2) AS ip,
       '10.' || (i // 250 // 256) || '.' || (i // 250 % 256) || '.0/24' AS net,
       '00:1b:21:' || lpad(printf('%x', i // 65536 % 256), 2, '0') || ':'
           || lpad(printf('%x', i // 256 % 256), 2, '0') || ':' || lpad(printf('%x', i % 256), 2, '0') AS mac,
       '00:25:90:' || lpad(printf('%x', i // 65536 % 256), 2, '0') || ':'
           || lpad(printf('%x', i // 256 % 256), 2, '0') || ':' || lpad(printf('%x', i % 256), 2, '0') AS own_mac,
       'SN' || lpad(i::VARCHAR, 9, '0') AS serial,
       uuid()::VARCHAR AS system_uuid,
       CASE WHEN i % 10 = 8 THEN (CASE i % 3 WHEN 0 THEN 'sw-' WHEN 1 THEN 'prn-' ELSE 'ap-' END)
            WHEN i % 7 = 0 THEN 'srv-' WHEN i % 7 < 3 THEN 'lt-' ELSE 'ws-' END || lpad(i::VARCHAR, 6, '0') AS hostname,
       CASE WHEN i % 10 = 8 THEN (CASE i % 3 WHEN 0 THEN 'switch' WHEN 1 THEN 'printer' ELSE 'access-point' END)
            WHEN i % 7 = 0 THEN 'server' WHEN i % 7 < 3 THEN 'laptop' ELSE 'workstation' END AS device_type,
       CASE WHEN i % 10 >= 8 THEN NULL WHEN i // 10 % 10 < 6 THEN 'windows' WHEN i // 10 % 10 < 9 THEN 'linux'
            ELSE 'macos' END AS os_family,
       CASE WHEN i % 10 >= 8 THEN NULL WHEN i // 10 % 10 < 6 THEN 'msi' WHEN i // 10 % 10 < 9 THEN
            (CASE WHEN i % 2 = 0 THEN 'deb' ELSE 'rpm' END) ELSE 'macos' END AS pkg_source,
       'agent-' || lpad(i::VARCHAR, 7, '0') AS source_id,
       'scanner-' || (i // 250 % {scanners}) AS scanner,
       -- last seen within the last 10 days for most; 3 % fell silent 20-200 days ago (ghost material)
       ?::TIMESTAMPTZ - to_minutes((hash(i, 'seen') % 14400)::BIGINT)
           - CASE WHEN hash(i, 'silent') % 100 < 3 THEN to_days((20 + hash(i, 'd') % 180)::BIGINT)
                  ELSE INTERVAL 0 DAY END AS last_seen,
       ?::TIMESTAMPTZ - to_days((30 + hash(i, 'first') % 700)::BIGINT) AS enrolled_at
FROM range({machines}) t(i)
"""

_SOURCES = """
INSERT INTO sources (source_id, kind, hostname, key_hash, enrolled_at, last_report_at, last_seq)
SELECT source_id, 'agent', hostname, sha256(source_id), enrolled_at, last_seen, 3 FROM gen_machines WHERE kind = 'agent'
UNION ALL
SELECT 'scanner-' || s, 'scanner', 'scan-' || lpad(s::VARCHAR, 2, '0'), sha256('scanner-' || s),
       ?::TIMESTAMPTZ - INTERVAL 400 DAY, ?::TIMESTAMPTZ - INTERVAL 1 HOUR, 30 FROM range({scanners}) t(s)
"""

# Three agent reports per endpoint (the last at last_seen, then 2 and 5 days before), two ARP
# sightings per MAC, an SNMP sighting bound to the ARP MAC for network devices, and nmap
# address-only or random-MAC ARP sightings for the rest.
_SIGHTINGS = """
INSERT INTO sightings BY NAME
SELECT 'r-' || source_id || '-' || k AS report_id, source_id, 'agent' AS method,
       last_seen - to_days(CASE k WHEN 0 THEN 0 WHEN 1 THEN 2 ELSE 5 END) AS seen_at,
       'agent:' || source_id AS subject, hostname, hostname || '.corp.example' AS fqdn, [ip] AS ips, [mac] AS macs,
       [] AS local_macs, [net] AS networks, serial, system_uuid,
       CASE os_family WHEN 'macos' THEN 'Apple Inc.' ELSE (['Dell Inc.', 'LENOVO', 'HP'])[1 + i % 3] END AS vendor,
       (['Latitude 7440', 'ThinkPad T14', 'EliteBook 840'])[1 + i % 3] AS model, device_type,
       CASE os_family WHEN 'windows' THEN 'Windows 11 Pro' WHEN 'macos' THEN 'macOS 14.5'
            ELSE (CASE WHEN i % 2 = 0 THEN 'Debian GNU/Linux 12' ELSE 'Rocky Linux 9.4' END) END AS os,
       os_family, '{{}}' AS detail, NULL::VARCHAR AS bound_mac
FROM gen_machines, range(3) t(k) WHERE kind = 'agent'
UNION ALL
SELECT 'r-' || scanner || '-arp-' || k, scanner, 'arp', last_seen - to_hours(k * 30), 'mac:' || mac, NULL, NULL,
       [ip], [mac], []::VARCHAR[], []::VARCHAR[], NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{{}}', NULL
FROM gen_machines, range(2) t(k) WHERE kind <> 'other'
UNION ALL
SELECT 'r-' || scanner || '-snmp', scanner, 'snmp', last_seen - INTERVAL 5 MINUTE, 'mac:' || own_mac, hostname, NULL,
       [ip], [own_mac], []::VARCHAR[], []::VARCHAR[], serial, NULL, (['Cisco', 'HP', 'Ubiquiti'])[1 + i % 3],
       'Model ' || (i % 17), device_type, NULL, NULL, '{{"l2_binding": {{"learnt_by": "arp"}}}}', mac
FROM gen_machines WHERE kind = 'netdev'
UNION ALL
SELECT 'r-' || scanner || '-nmap', scanner, 'nmap', last_seen - INTERVAL 1 HOUR, 'ip:' || ip, NULL, NULL,
       [ip], []::VARCHAR[], []::VARCHAR[], []::VARCHAR[], NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{{}}', NULL
FROM gen_machines WHERE kind = 'other' AND i % 20 = 19
UNION ALL
SELECT 'r-' || scanner || '-arp-rnd', scanner, 'arp', last_seen, 'mac:' || 'da' || substr(mac, 3), NULL, NULL,
       [ip], []::VARCHAR[], ['da' || substr(mac, 3)], []::VARCHAR[], NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{{}}',
       NULL
FROM gen_machines WHERE kind = 'other' AND i % 20 = 9
"""

_REPORTS = """
INSERT INTO reports
SELECT report_id, any_value(source_id), 1 + row_number() OVER (PARTITION BY any_value(source_id)) AS seq,
       CASE WHEN any_value(method) = 'agent' THEN 'host_snapshot' ELSE 'scan' END, max(seen_at), max(seen_at), count(*)
FROM sightings GROUP BY report_id
"""

_SCAN_RUNS = """
INSERT INTO scan_runs
SELECT 'r-sweep-' || s || '-' || d, 'sweep-' || s || '-' || d, 'scanner-' || s, nets, ['arp', 'snmp', 'nmap'],
       ?::TIMESTAMPTZ - to_days(d::BIGINT) - INTERVAL 2 HOUR,
       ?::TIMESTAMPTZ - to_days(d::BIGINT) - INTERVAL 1 HOUR, true
FROM (SELECT scanner[9:]::INTEGER AS s, list(DISTINCT net ORDER BY net) AS nets FROM gen_machines GROUP BY ALL),
     range(30) t(d)
"""

# The per-OS catalogue: base image packages 0..219 (most hosts carry 85 % of them, in one of 1-3
# versions), a long tail of 20,000, and a few real names at the tail's start.
_CATALOGUE = """
CREATE TABLE gen_real(k INTEGER, name VARCHAR, version VARCHAR, vendor VARCHAR, pkg_source VARCHAR);
INSERT INTO gen_real VALUES
    (0, 'teamviewer', '15.49.2', 'TeamViewer Germany GmbH', 'deb'), (1, 'anydesk', '6.3.0', 'philandro', 'deb'),
    (2, 'xmrig', '6.21.0', '', 'deb'), (3, 'tor', '0.4.8.9-1', '', 'deb'),
    (4, 'openssl', '1.0.1e-2+deb7u4', '', 'deb'), (5, 'TeamViewer 15.49.2 (x64)', '15.49.2', 'TeamViewer', 'msi'),
    (6, 'AnyDesk', '8.0.8', 'AnyDesk Software GmbH', 'msi'), (7, 'qBittorrent 4.6.2 (x64)', '4.6.2', '', 'msi'),
    (8, 'Adobe Flash Player 32 NPAPI', '32.0.0.465', 'Adobe', 'msi'), (9, 'NordVPN', '7.14.3', 'nordvpn s.a.', 'msi');
"""

_SOFTWARE = """
INSERT INTO software_installs
WITH hosts AS (SELECT * FROM gen_machines WHERE kind = 'agent'),
base AS (
    SELECT h.i, h.source_id, h.pkg_source, h.last_seen, h.enrolled_at, k, hash(h.i, k) % (1 + k % 3) AS v, 0 AS tail
    FROM hosts h CROSS JOIN range({base}) b(k) WHERE hash(h.i, k, 'has') % 100 < 85
),
tail AS (
    SELECT h.i, h.source_id, h.pkg_source, h.last_seen, h.enrolled_at, hash(h.i, j) % 20000 AS k, 0 AS v, 1 AS tail
    FROM hosts h CROSS JOIN range({tail}) b(j)
),
edr AS (  -- endpoint protection on 97 % of hosts
    SELECT h.i, h.source_id, h.pkg_source, h.last_seen, h.enrolled_at, -1 AS k, 0 AS v, 2 AS tail
    FROM hosts h WHERE hash(h.i, 'edr') % 100 < 97
),
rows AS (SELECT * FROM base UNION ALL SELECT * FROM tail UNION ALL SELECT * FROM edr),
named AS (
    SELECT r.*,
           CASE WHEN tail = 2 THEN
                     (CASE pkg_source WHEN 'msi' THEN 'CrowdStrike Falcon Sensor' ELSE 'falcon-sensor' END)
                WHEN tail = 1 THEN 'tail-' || k ELSE 'base-' || k END AS stem,
           CASE WHEN tail = 2 THEN '7.10.' || (i % 5) WHEN tail = 1 THEN '2.' || (k % 7) || '.' || v
                ELSE '1.' || (k % 10) || '.' || v END AS ver
    FROM rows r
)
SELECT 'agent:' || n.source_id, n.source_id,
       coalesce(g.name, CASE WHEN n.tail = 2 THEN n.stem WHEN n.pkg_source = 'msi' THEN 'Contoso ' || n.stem
                             WHEN n.pkg_source = 'macos' THEN 'Mac ' || n.stem ELSE n.stem END),
       coalesce(g.version, CASE n.pkg_source WHEN 'deb' THEN n.ver || '-1' WHEN 'rpm' THEN n.ver || '-1.el9'
                           ELSE n.ver END),
       'amd64', coalesce(g.pkg_source, n.pkg_source),
       coalesce(g.vendor, CASE WHEN n.pkg_source IN ('msi', 'macos') THEN 'Contoso Corporation' END),
       NULL, NULL,
       n.enrolled_at + to_hours((hash(n.i, n.k, 'inst') % 2000)::BIGINT),
       n.enrolled_at + to_hours((hash(n.i, n.k, 'inst') % 2000)::BIGINT + 1),
       CASE WHEN hash(n.i, n.k, 'rm') % 100 < 5 THEN n.last_seen - to_days((1 + hash(n.i, n.k) % 300)::BIGINT) END,
       'r-' || n.source_id || '-2',
       CASE WHEN hash(n.i, n.k, 'rm') % 100 < 5 THEN 'r-' || n.source_id || '-1' END
FROM named n
LEFT JOIN gen_real g ON n.tail = 1 AND g.k = n.k % 10 AND n.k < 400
     AND g.pkg_source = CASE WHEN n.pkg_source = 'msi' THEN 'msi' ELSE 'deb' END
"""

_INVENTORY_STATE = """
INSERT INTO inventory_state
SELECT DISTINCT 'agent:' || source_id, pkg_source, last_seen, 'r-' || source_id || '-0', NULL
FROM gen_machines WHERE kind = 'agent'
"""

# 90 % of machines recorded (patchy keys), 10 % more recorded but never seen; status classes as
# a real register has them.
_REGISTER = """
INSERT INTO register_imports
VALUES ('imp-bigdb', 'snipeit', 'assets.csv', 'snipeit', '', ?, {records}, {records}, 0, 0, 0);
INSERT INTO recorded_assets
SELECT 'snipeit', 'NC-' || lpad(i::VARCHAR, 7, '0'), i + 2, 'NC-' || lpad(i::VARCHAR, 7, '0'), hostname,
       CASE WHEN k < 60 THEN serial END, CASE WHEN k >= 30 THEN hostname END, CASE WHEN k >= 20 THEN [mac] ELSE [] END,
       [ip], NULL, NULL, NULL,
       (['Ready to Deploy', 'Archived', 'Lost/Stolen', 'Deployed'])[1 + (CASE WHEN c < 4 THEN 0 WHEN c < 8 THEN 1
                                                                        WHEN c < 10 THEN 2 ELSE 3 END)],
       CASE WHEN c < 4 THEN 'in-stock' WHEN c < 8 THEN 'retired' WHEN c < 10 THEN 'lost' ELSE 'in-use' END,
       NULL, 'site-' || (i // 250 % 40), NULL, NULL, 'imp-bigdb', md5(i::VARCHAR), ?, ?
FROM (SELECT *, hash(i, 'key') % 100 AS k, hash(i, 'class') % 100 AS c FROM gen_machines
      UNION ALL
      SELECT {machines} + i AS i, 'unseen', '10.' || (i * 10 // 250 // 256) || '.' || (i * 10 // 250 % 256) || '.'
             || (252 + i % 3),
             NULL, '00:1b:22:' || lpad(printf('%x', i // 65536 % 256), 2, '0') || ':'
                 || lpad(printf('%x', i // 256 % 256), 2, '0') || ':' || lpad(printf('%x', i % 256), 2, '0'),
             NULL, 'SNX' || lpad(i::VARCHAR, 9, '0'), NULL, 'ws-x' || lpad(i::VARCHAR, 6, '0'), 'workstation',
             NULL, NULL, NULL, NULL, NULL, NULL, hash(i, 'key') % 100, hash(i, 'class') % 100
      FROM range({unseen}) t(i))
WHERE i >= {machines} OR hash(i, 'rec') % 100 < 90
"""

# A year of finding history: resolved findings of every kind, ~1,000 opened a day.
_HISTORY = """
INSERT INTO findings
SELECT 'f-h' || lpad(printf('%x', n), 15, '0'), kind,
       (['low', 'medium', 'high', 'critical'])[1 + (hash(n, 's') % 4)::BIGINT], 'a-hist' || (hash(n, 'a') % {machines}),
       NULL, NULL, 'ws-' || lpad((hash(n, 'a') % {machines})::VARCHAR, 6, '0'), NULL, NULL, NULL, NULL, NULL, NULL,
       CASE WHEN kind IN ('unauthorised-software', 'missing-software') THEN 'remote-access-tool' END,
       CASE WHEN kind = 'unauthorised-software' THEN 'teamviewer' END, NULL,
       opened - INTERVAL 1 HOUR, opened + to_hours(dur), '[]', kind || ' (history)', hash(n, 'sup') % 50 = 0, NULL,
       opened, opened + to_hours(dur), opened + to_hours(dur)
FROM (SELECT n, (['ghost', 'zombie', 'mismatch', 'unauthorised-software', 'missing-software',
                  'possible-duplicate'])[1 + (hash(n, 'k') % 6)::BIGINT] AS kind,
             ?::TIMESTAMPTZ - to_minutes((hash(n, 'o') % 525600)::BIGINT) AS opened,
             (1 + hash(n, 'dur') % 700)::BIGINT AS dur
      FROM range({history}) t(n))
WHERE opened + to_hours(dur) < ?::TIMESTAMPTZ
"""


def build(path: Path, *, machines: int = 100_000, history: int | None = None, refresh: bool = True,
          log: bool = False) -> dict[str, float]:
    """Generate the estate into a new store file at `path`; return the seconds each phase took.

    `history`: resolved findings over the year (default 3.65 per machine, ~1,000 a day at 100,000).
    With `refresh`, one full refresh under the shipped rule packs materialises assets and findings.
    """
    if path.exists():
        raise SystemExit(f"{path}: exists; give a new file")
    history = int(machines * 3.65) if history is None else history
    times: dict[str, float] = {}
    store = Store.open(path)
    now = [NOW, NOW]

    def step(name: str, statements: list[tuple[str, list[object]]]) -> None:
        started = time.perf_counter()
        store.write(statements)
        times[name] = time.perf_counter() - started
        if log:
            print(f"  {name}: {times[name]:.1f} s", flush=True)

    fmt = {"machines": machines, "scanners": SCANNERS, "base": 220, "tail": PACKAGES_PER_AGENT - 220 * 85 // 100 - 1,
           "records": machines * 9 // 10 + machines // 10, "unseen": machines // 10, "history": history}
    try:
        step("machines", [(_MACHINES.format(**fmt), now)])
        step("sources+sightings+reports+scans", [
            (_SOURCES.format(**fmt), now), (_SIGHTINGS.format(**fmt), []), (_REPORTS, []),
            (_SCAN_RUNS, now)])
        step("software", [(_CATALOGUE, []), (_SOFTWARE.format(**fmt), []), (_INVENTORY_STATE, [])])
        reg, _, rest = _REGISTER.partition(";\n")
        step("register", [(reg.format(**fmt), [NOW]), (rest.format(**fmt), [NOW, NOW])])
        step("history", [(_HISTORY.format(**fmt), [NOW, NOW])])
        step("cleanup", [("DROP TABLE gen_machines; DROP TABLE gen_real", [])])
    finally:
        store.close()
    if refresh:
        started = time.perf_counter()
        full_refresh(path)
        times["first full refresh"] = time.perf_counter() - started
        if log:
            print(f"  first full refresh: {times['first full refresh']:.1f} s", flush=True)
    return times


def full_refresh(path: Path, *, now: datetime | None = None) -> None:
    """One full refresh of the file under the shipped rule packs (as a collector's first one)."""
    from collector.inventory.refresh import refresh
    from collector.rules.bridge import load_software_rules

    rules = load_software_rules([REPO / "rules"])
    store = Store.open(path)
    try:
        refresh(store, now=now or NOW + timedelta(minutes=1), ghost_after=timedelta(days=14),
                rules=rules.evaluator(store) if rules else None)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    """CLI: `python -m bench.bigdb OUT.duckdb [--machines N] [--no-refresh]`."""
    parser = argparse.ArgumentParser(prog="python -m bench.bigdb", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the new database file")
    parser.add_argument("--machines", type=int, default=100_000, help="machines in the estate (default 100000)")
    parser.add_argument("--history", type=int, default=None, help="resolved findings over the year")
    parser.add_argument("--no-refresh", action="store_true", help="leave assets and findings unmaterialised")
    args = parser.parse_args(argv)
    if args.machines < 10:
        parser.error("--machines must be at least 10")
    started = time.perf_counter()
    print(f"building {args.out} with {args.machines:,} machines", flush=True)
    build(args.out, machines=args.machines, history=args.history, refresh=not args.no_refresh, log=True)
    store = Store.open(args.out, read_only=True)
    try:
        counts = {t: store.query(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in (
            "sightings", "software_installs", "recorded_assets", "findings", "assets", "scan_runs")}
    finally:
        store.close()
    print(f"built in {time.perf_counter() - started:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
