"""The store side of vulnerabilities: atomic feed imports, status, accepted risks, and set-wise matching.

Why matching is shaped like this (the same reasoning as rules_sql.py): 10,000 hosts x 1,500 packages
is 15 M installs, but far fewer distinct (ecosystem, release, package, version) *titles*, and far
fewer still whose package any advisory names. So:

1. one aggregate gives each machine's distribution and release per package source, numbered in
   Python as a few host classes; one scan of the installs gives the distinct (host class, name,
   source package, version) rows (hosts from one image share them);
2. Python maps each host class once to its OSV ecosystem
   (:func:`collector.vulns.ecosystems.host_ecosystem`); DuckDB derives the matched name and joins
   the distinct titles to ``vuln_affected`` on ecosystem + release + name (withdrawn advisories left
   out): the candidates;
3. Python tests each distinct candidate exactly, in the ecosystem's version order
   (:func:`collector.vulns.ranges.evaluate`): the match table; aliases are folded into groups;
4. a second scan, pruned to the vulnerable names, joins the vulnerable rows back to the installs
   and aggregates per asset and title.

Installs are read from ``software_installs`` joined to ``asset_members`` (the current, resolved ones);
the machine's release is its agent's latest os-release VERSION_ID (``sightings.firmware``) and its
distribution the namespace of the package's purl (``pkg:deb/debian/...``), both as the agent
reported them (without purls, the distribution its OS name names).

Measured by bench/bench_vulns.py (README, Benchmarks): on 15 M installs nearly all the time is the
two scans and the Python test of the distinct candidates; rows per asset only appear for the
vulnerable titles.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Final

import duckdb
import pyarrow as pa

from collector.errors import StoreError
from collector.store.duckdb import Store
from collector.store.rules_sql import narrow_to_assets, registered
from collector.vulns.ecosystems import ECOSYSTEM_SCHEMES, distro_from_os_name, host_ecosystem
from collector.vulns.matches import AdvisoryInfo, AffectedRow, Hit, MatchResult, TitleKey, fold_aliases
from collector.vulns.ranges import Range, Verdict, evaluate
from collector.vulns.records import Advisory

__all__ = ["SourceStatus", "VulnException", "VulnStore"]

#: Package sources that can belong to an OSV ecosystem (collector/vulns/ecosystems.py).
_SOURCES: Final = ("deb", "rpm", "apk", "pip", "npm")


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One imported feed source, for `netcensus vulns status`."""

    source: str
    path: str
    imported_at: datetime
    records: int
    withdrawn: int
    rejected: int
    newest_modified: datetime | None
    ecosystems: tuple[tuple[str, int], ...]     # (raw ecosystem, advisories) by count


@dataclass(frozen=True, slots=True)
class VulnException:
    """An accepted risk (see migration 010)."""

    exception_id: int
    advisory: str
    package: str | None
    hostname: str | None
    asset_id: str | None
    reason: str
    until: date
    created_by: str | None
    created_at: datetime
    revoked_at: datetime | None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ranges_json(ranges: Sequence[Range]) -> str:
    return json.dumps([{"type": r.type, "events": [list(e) for e in r.events]} for r in ranges],
                      separators=(",", ":"))


@lru_cache(maxsize=65536)
def _parse_ranges(text: str | None) -> tuple[Range, ...]:
    """Ranges from their stored JSON (cached: databases repeat the same ranges across advisories)."""
    if not text:
        return ()
    return tuple(Range(r["type"], tuple(map(tuple, r["events"]))) for r in json.loads(text))


# Per subject and package source: the distribution (the purl namespace: pkg:deb/debian/openssl@...
# names the os-release ID; language packages have none; without a purl, the agent's OS name says it)
# and the machine's os-release VERSION_ID (its agent's latest report). Taken once per (subject,
# source), not parsed out of every install.
_HOSTS: Final = """
    SELECT i.subject, i.pkg_source, i.distro, coalesce(h.version_id, '') AS version_id, coalesce(h.os, '') AS os
    FROM (SELECT subject, pkg_source,
                 CASE WHEN pkg_source IN ('deb', 'rpm', 'apk') THEN coalesce(split_part(any_value(purl), '/', 2), '')
                      ELSE '' END AS distro
          FROM software_installs WHERE removed_at IS NULL AND pkg_source IN ('deb', 'rpm', 'apk', 'pip', 'npm')
          GROUP BY subject, pkg_source) i
    LEFT JOIN (SELECT subject, arg_max(firmware, seen_at) AS version_id, arg_max(os, seen_at) AS os FROM sightings
               WHERE method = 'agent' GROUP BY subject) h USING (subject)
"""

# What an install's ecosystem and matched name depend on: its host class (package source, distro,
# VERSION_ID: a handful of values, numbered in Python), name, source package, version. The one full
# scan of the installs before the version test; hosts sharing images share these rows. Not filtered by
# the advisories' names: nearly every package of a distribution has some advisory, and the filter
# cost more than it saved (bench_vulns).
_RAW: Final = """
    SELECT DISTINCT h.cls, s.name, coalesce(s.source_package, '') AS source_package, s.version
    FROM software_installs s JOIN nc_hosts_{t} h ON h.subject = s.subject AND h.pkg_source = s.pkg_source
    WHERE s.removed_at IS NULL
"""

# The machines' os-release VERSION_IDs; crossed with the (source, distro) pairs ecosystems.py knows, they
# give every combination an install can have, without asking the installs.

# The name(s) a raw row is matched under: the source package for Debian-family and Alpine
# (advisories name source packages), the binary and the source package for RPM (Red Hat names
# binaries, SUSE and others sources), the PEP 503 name for PyPI, the name for npm.
_KEYED: Final = """
    WITH inst AS (
        SELECT r.*, c.pkg_source, c.ecosystem, c.release FROM nc_raw_{t} r JOIN nc_classes_{t} c USING (cls)
    )
    SELECT *, CASE WHEN ecosystem = 'PyPI' THEN lower(regexp_replace(name, '[-_.]+', '-', 'g'))
                   WHEN pkg_source IN ('deb', 'apk') THEN coalesce(nullif(source_package, ''), name)
                   ELSE name END AS key
    FROM inst
    UNION ALL
    SELECT *, source_package AS key FROM inst
    WHERE pkg_source = 'rpm' AND source_package NOT IN ('', name)
"""

_CANDIDATES: Final = """
    WITH titles AS (SELECT DISTINCT ecosystem, release, key, version FROM ({keyed}))
    SELECT t.ecosystem, t.release, t.key, t.version, f.rowid AS affected_row, f.source, f.id
    FROM titles t
    JOIN vuln_affected f ON f.ecosystem = t.ecosystem AND f.release = t.release AND f.name = t.key
    JOIN vuln_advisories a ON a.source = f.source AND a.id = f.id
    WHERE a.withdrawn IS NULL
"""

_AFFECTED_ROWS: Final = "SELECT rowid, ranges, versions FROM vuln_affected WHERE rowid IN (SELECT r FROM nc_rows_{t})"

_MATCH_KEYS: Final = ("SELECT DISTINCT m.source, m.id, a.aliases FROM nc_match_{t} m "
                      "JOIN vuln_advisories a USING (source, id)")

# The raw rows whose title is vulnerable, with the advisory group's label: small.
_VULNERABLE_RAW: Final = """
    SELECT DISTINCT k.cls, k.name, k.source_package, k.version, g.label, k.ecosystem, k.release, k.key
    FROM ({keyed}) k
    JOIN nc_match_{t} x ON x.ecosystem = k.ecosystem AND x.release = k.release AND x.key = k.key
                       AND x.version = k.version
    JOIN nc_group_{t} g ON g.source = x.source AND g.id = x.id
"""

# One row per asset and vulnerable title (the advisory group's label, not each advisory: an asset with
# a CVE from three databases is one row). The name semi-join prunes the scan to vulnerable packages.
_MATCHED: Final = """
    WITH s AS MATERIALIZED (  -- first, and alone: the installs of vulnerable names (a filtered scan)
        SELECT subject, pkg_source, name, coalesce(source_package, '') AS source_package, version, installed_at,
               first_seen
        FROM software_installs WHERE removed_at IS NULL AND name IN (SELECT DISTINCT name FROM nc_vraw_{t})
    )
    SELECT m.asset_id, any_value(a.hostnames[1]) AS hostname, v.label, v.ecosystem, v.release, v.key, v.version,
           any_value(s.pkg_source) AS pkg_source,
           timezone('UTC', min(coalesce(s.installed_at, s.first_seen))::TIMESTAMPTZ) AS first_installed,
           timezone('UTC', max(coalesce(st.last_ok_at, s.first_seen))::TIMESTAMPTZ) AS last_seen
    FROM s
    JOIN asset_members m USING (subject)
    JOIN nc_hosts_{t} h ON h.subject = s.subject AND h.pkg_source = s.pkg_source
    JOIN nc_vraw_{t} v
      ON v.cls = h.cls AND v.name = s.name AND v.version = s.version AND v.source_package = s.source_package
    LEFT JOIN assets a ON a.asset_id = m.asset_id
    LEFT JOIN inventory_state st ON st.subject = s.subject AND st.pkg_source = s.pkg_source
    GROUP BY m.asset_id, v.label, v.ecosystem, v.release, v.key, v.version
    ORDER BY m.asset_id, v.label
"""

#: The reference of the benchmark: the bare candidate join of installs to advisories, no version test.
BARE_JOIN: Final = """
    SELECT count(*) FROM software_installs s JOIN vuln_affected f ON f.name = coalesce(s.source_package, s.name)
    WHERE s.removed_at IS NULL
"""


class VulnStore:
    """Vulnerability tables of one store: imports, status, accepted risks and matching."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # --- import ------------------------------------------------------------------------------------

    def replace_source(self, source: str, path: str, advisories: Sequence[Advisory], *, rejected: int,
                       now: datetime) -> None:
        """Make ``advisories`` the whole of ``source``, in one transaction (nothing half-written)."""
        adv = pa.table({
            "source": pa.array([source] * len(advisories), pa.string()),
            "id": pa.array([a.id for a in advisories], pa.string()),
            "modified": pa.array([a.modified for a in advisories], pa.timestamp("us", tz="UTC")),
            "published": pa.array([a.published for a in advisories], pa.timestamp("us", tz="UTC")),
            "withdrawn": pa.array([a.withdrawn for a in advisories], pa.timestamp("us", tz="UTC")),
            "summary": pa.array([a.summary for a in advisories], pa.string()),
            "aliases": pa.array([list(a.aliases) for a in advisories], pa.list_(pa.string())),
            "severity": pa.array([a.severity.level for a in advisories], pa.string()),
            "score": pa.array([a.severity.score for a in advisories], pa.float64()),
            "severity_basis": pa.array([a.severity.basis for a in advisories], pa.string()),
            "links": pa.array([list(a.links) for a in advisories], pa.list_(pa.string())),
            "origin": pa.array([a.origin for a in advisories], pa.string()),
            "covers": pa.array([list(a.covers) for a in advisories], pa.list_(pa.string())),
        })
        rows = [(a.id, f) for a in advisories for f in a.affected]
        aff = pa.table({
            "source": pa.array([source] * len(rows), pa.string()),
            "id": pa.array([i for i, _ in rows], pa.string()),
            "ecosystem": pa.array([f.ecosystem for _, f in rows], pa.string()),
            "release": pa.array([f.release for _, f in rows], pa.string()),
            "raw_ecosystem": pa.array([f.raw_ecosystem for _, f in rows], pa.string()),
            "name": pa.array([f.name for _, f in rows], pa.string()),
            "ranges": pa.array([_ranges_json(f.ranges) for _, f in rows], pa.string()),
            "versions": pa.array([list(f.versions) for _, f in rows], pa.list_(pa.string())),
        })
        withdrawn = sum(1 for a in advisories if a.withdrawn is not None)
        newest = max((a.modified for a in advisories), default=None)
        with self._store._mapped(f"importing advisories of {source!r}"), self._store._transaction() as cur:
            cur.register("nc_adv", adv)
            cur.register("nc_aff", aff)
            try:
                cur.execute("DELETE FROM vuln_affected WHERE source = ?", [source])
                cur.execute("DELETE FROM vuln_advisories WHERE source = ?", [source])
                cur.execute("INSERT INTO vuln_advisories SELECT * FROM nc_adv")
                cur.execute("INSERT INTO vuln_affected SELECT source, id, ecosystem, release, raw_ecosystem, name, "
                            "ranges::JSON, versions FROM nc_aff")
                cur.execute("INSERT OR REPLACE INTO vuln_sources VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [source, path, now, len(advisories), withdrawn, rejected, newest])
            finally:
                # In a failed transaction unregistering fails too; the first error is the news.
                with contextlib.suppress(duckdb.Error):
                    cur.unregister("nc_aff")
                    cur.unregister("nc_adv")

    def status(self) -> list[SourceStatus]:
        """Every imported source with its ecosystems, newest import first."""
        with self._store._mapped("reading vulnerability sources"):
            cur = self._store._cursor()
            sources = cur.execute("SELECT source, path, imported_at, records, withdrawn, rejected, newest_modified "
                                  "FROM vuln_sources ORDER BY source").fetchall()
            ecos = cur.execute("SELECT source, raw_ecosystem, count(DISTINCT id) FROM vuln_affected "
                               "GROUP BY ALL ORDER BY 3 DESC, 2").fetchall()
        by_source: dict[str, list[tuple[str, int]]] = {}
        for src, eco, n in ecos:
            by_source.setdefault(src, []).append((eco, int(n)))
        return [SourceStatus(source=s, path=p, imported_at=_utc(at) or at, records=int(r), withdrawn=int(w),
                             rejected=int(x), newest_modified=_utc(newest), ecosystems=tuple(by_source.get(s, ())))
                for s, p, at, r, w, x, newest in sources]

    def unmatched_sources(self) -> list[tuple[str, int]]:
        """(package source, current installs) of installs no OSV ecosystem covers (msi, snmp...)."""
        with self._store._mapped("counting installs"):
            rows = self._store._cursor().execute(
                "SELECT pkg_source, count(*) FROM software_installs WHERE removed_at IS NULL "
                f"AND pkg_source NOT IN {_SOURCES!r} GROUP BY ALL ORDER BY 2 DESC").fetchall()
        return [(str(s), int(n)) for s, n in rows]

    def has_advisories(self) -> bool:
        """Whether any feed is loaded (matching is skipped otherwise)."""
        with self._store._mapped("reading vulnerability sources"):
            row = self._store._cursor().execute("SELECT count(*) FROM vuln_sources").fetchone()
        return bool(row and row[0])

    # --- accepted risks ----------------------------------------------------------------------------

    def add_exception(self, *, advisory: str, package: str | None, hostname: str | None, asset_id: str | None,
                      reason: str, until: date, created_by: str | None, now: datetime) -> int:
        """Record an accepted risk; returns its id."""
        with self._store._mapped("recording an exception"), self._store._transaction() as cur:
            row = cur.execute(
                "INSERT INTO vuln_exceptions (advisory, package, hostname, asset_id, reason, until, created_by, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING exception_id",
                [advisory, package, hostname, asset_id, reason, until, created_by, now]).fetchone()
        return int(row[0]) if row else 0

    def revoke_exception(self, exception_id: int, now: datetime) -> bool:
        """Revoke an accepted risk (it stays listed); False if no live one has that id."""
        with self._store._mapped("revoking an exception"), self._store._transaction() as cur:
            row = cur.execute("UPDATE vuln_exceptions SET revoked_at = ? WHERE exception_id = ? "
                              "AND revoked_at IS NULL RETURNING exception_id", [now, exception_id]).fetchone()
        return row is not None

    def exceptions(self) -> list[VulnException]:
        """Every accepted risk, revoked ones included."""
        with self._store._mapped("reading exceptions"):
            rows = self._store._cursor().execute(
                "SELECT exception_id, advisory, package, hostname, asset_id, reason, until, created_by, created_at, "
                "revoked_at FROM vuln_exceptions ORDER BY exception_id").fetchall()
        return [VulnException(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], _utc(r[8]) or r[8], _utc(r[9]))
                for r in rows]

    # --- matching ----------------------------------------------------------------------------------

    def match(self, only: Collection[str] | None = None) -> MatchResult:
        """Every vulnerable title on every asset, with the advisories' details (the passes of the module docstring).

        `only`: of these asset ids alone (the live path re-matches the assets an update rebuilt), by the
        rules engine's narrowing of the tables beneath the views on this cursor.

        Raises:
            StoreError: DuckDB failed (the message names the database file).
        """
        con = self._store._cursor()
        try:
            if only is not None:
                narrow_to_assets(con, only, sightings=True)
            # One snapshot for every pass: the row ids of pass 2 must still name the same rows in 3.
            con.execute("BEGIN TRANSACTION")
            try:
                return _match(con)
            finally:
                con.execute("ROLLBACK")
        except duckdb.Error as exc:
            raise StoreError(f"{self._store.path}: vulnerability matching failed: {exc}") from exc
        finally:
            con.close()

    def bare_join_count(self) -> int:
        """Rows of the bare install x advisory name join (the benchmark's reference)."""
        with self._store._mapped("the bare join"):
            row = self._store._cursor().execute(BARE_JOIN).fetchone()
        return int(row[0]) if row else 0


def _judge(candidates: pa.Table, affected: dict[int, tuple[tuple[Range, ...], tuple[str, ...]]]
           ) -> tuple[pa.Table, list[tuple[str, str, str, str, str, Hit]]]:
    """The match table (candidates whose version the advisory's ranges or list hold), and its hits."""
    cols: dict[str, list[str]] = {k: [] for k in ("ecosystem", "release", "key", "version", "source", "id")}
    hits: list[tuple[str, str, str, str, str, Hit]] = []
    verdicts: dict[tuple[int, str], Verdict] = {}
    for eco, release, key, version, row, source, adv in zip(
            *(candidates.column(c).to_pylist() for c in ("ecosystem", "release", "key", "version",
                                                           "affected_row", "source", "id")), strict=True):
        verdict = verdicts.get((row, version))
        if verdict is None:
            ranges, versions = affected[row]
            verdict = evaluate(version, ranges, versions, ECOSYSTEM_SCHEMES[eco])
            verdicts[(row, version)] = verdict
        if not verdict.affected:
            continue
        for name, value in zip(cols, (eco, release, key, version, source, adv), strict=True):
            cols[name].append(value)
        hits.append((eco, release, key, version, source, Hit(source, adv, verdict.fixed, verdict.why)))
    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()}), hits


def _hosts(rows: Sequence[tuple[str, str, str, str, str]]) -> tuple[pa.Table, pa.Table]:
    """Per subject and package source its host class; per class its package source, ecosystem and release.

    A class is a (package source, distro, VERSION_ID); the distro is the purl namespace, else what the
    OS name says. Classes without an OSV ecosystem (a Fedora rpm, a Debian machine of unknown release)
    are left out, so their installs never join.
    """
    by_name: dict[str, str] = {}
    classes: dict[tuple[str, str, str], int] = {}
    subjects: list[str] = []
    sources: list[str] = []
    numbers: list[int] = []
    for subject, source, namespace, version_id, os_name in rows:
        distro = namespace
        if not distro and source in ("deb", "rpm", "apk"):
            if os_name not in by_name:
                by_name[os_name] = distro_from_os_name(os_name)
            distro = by_name[os_name]
        subjects.append(subject)
        sources.append(source)
        numbers.append(classes.setdefault((source, distro, version_id), len(classes)))
    hosts = pa.table({"subject": pa.array(subjects, pa.string()), "pkg_source": pa.array(sources, pa.string()),
                      "cls": pa.array(numbers, pa.int32())})
    known = [(n, source, he.ecosystem, he.release) for (source, distro, vid), n in classes.items()
             if (he := host_ecosystem(source, distro, vid)) is not None]
    return hosts, pa.table({"cls": pa.array([k[0] for k in known], pa.int32()),
                            "pkg_source": pa.array([k[1] for k in known], pa.string()),
                            "ecosystem": pa.array([k[2] for k in known], pa.string()),
                            "release": pa.array([k[3] for k in known], pa.string())})


def _match(con: duckdb.DuckDBPyConnection) -> MatchResult:
    tag = uuid.uuid4().hex[:12]
    with registered(con) as register:
        hosts, classes = _hosts(con.execute(_HOSTS).fetchall())
        register(f"nc_hosts_{tag}", hosts)
        register(f"nc_classes_{tag}", classes)
        register(f"nc_raw_{tag}", con.sql(_RAW.format(t=tag)).to_arrow_table())
        keyed = _KEYED.format(t=tag)
        candidates: pa.Table = con.sql(_CANDIDATES.format(keyed=keyed)).to_arrow_table()
        rows = sorted(set(candidates.column("affected_row").to_pylist()))
        register(f"nc_rows_{tag}", pa.table({"r": pa.array(rows, pa.int64())}))
        affected = {int(r): (_parse_ranges(ranges), tuple(versions or ()))
                    for r, ranges, versions in con.execute(_AFFECTED_ROWS.format(t=tag)).fetchall()}
        match_table, hit_rows = _judge(candidates, affected)
        register(f"nc_match_{tag}", match_table)
        keys = con.execute(_MATCH_KEYS.format(t=tag)).fetchall()
        labels = fold_aliases((source, ident, tuple(aliases or ())) for source, ident, aliases in keys)
        register(f"nc_group_{tag}", pa.table({
            "source": pa.array([k[0] for k in labels], pa.string()),
            "id": pa.array([k[1] for k in labels], pa.string()),
            "label": pa.array(list(labels.values()), pa.string())}))
        hits: dict[TitleKey, list[Hit]] = {}
        for eco, release, key, version, source, hit in hit_rows:
            hits.setdefault((labels[(source, hit.id)], eco, release, key, version), []).append(hit)
        register(f"nc_vraw_{tag}", con.sql(_VULNERABLE_RAW.format(keyed=keyed, t=tag)).to_arrow_table())
        out = [AffectedRow(asset_id=r[0], hostname=r[1], title=(r[2], r[3], r[4], r[5], r[6]), pkg_source=r[7],
                           first_installed=r[8], last_seen=r[9])
               for r in con.execute(_MATCHED.format(t=tag)).fetchall()]
        info = {
            (r[0], r[1]): AdvisoryInfo(source=r[0], id=r[1], aliases=tuple(r[2] or ()), severity=r[3], score=r[4],
                                       severity_basis=r[5] or "", summary=r[6] or "", links=tuple(r[7] or ()),
                                       modified=_utc(r[8]), covers=tuple(r[9] or ()))
            for r in con.execute(
                f"SELECT a.source, a.id, a.aliases, a.severity, a.score, a.severity_basis, a.summary, a.links, "
                f"a.modified, a.covers FROM vuln_advisories a JOIN nc_group_{tag} k USING (source, id)").fetchall()
        }
    return MatchResult(rows=out, hits=hits, advisories=info)
