"""The store side of vulnerabilities: atomic feed imports, status, accepted risks, and set-wise matching.

Why matching is shaped like this (the same reasoning as rules_sql.py): 10,000 hosts x 1,500 packages
is 15 M installs, but far fewer distinct (ecosystem, release, package, version) *titles*, and far
fewer still whose package any advisory names. So:

1. DuckDB maps each install to its OSV ecosystem and release: Python decides the mapping once per
   distinct (package source, distro, os-release VERSION_ID) — a handful of rows
   (:func:`collector.vulns.ecosystems.host_ecosystem`);
2. DuckDB joins the distinct titles to ``vuln_affected`` on ecosystem + release + name (withdrawn
   advisories left out): the candidates;
3. Python tests each distinct candidate exactly, in the ecosystem's version order
   (:func:`collector.vulns.ranges.evaluate`): the match table;
4. DuckDB joins the match table back to the installs and aggregates per asset and advisory.

Installs are read from ``software_installs`` joined to ``asset_members`` (the current, resolved ones);
the machine's release is its agent's latest os-release VERSION_ID (``sightings.firmware``) and its
distribution the namespace of the package's purl (``pkg:deb/debian/...``), both as the agent
reported them.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

import duckdb
import pyarrow as pa

from collector.errors import StoreError
from collector.store.duckdb import Store
from collector.vulns.ecosystems import ECOSYSTEM_SCHEMES, host_ecosystem
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


def _parse_ranges(text: str | None) -> tuple[Range, ...]:
    if not text:
        return ()
    return tuple(Range(str(r["type"]), tuple((str(k), str(v)) for k, v in r["events"])) for r in json.loads(text))


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection) -> Iterator[Callable[[str, pa.Table], None]]:
    names: list[str] = []

    def register(name: str, table: pa.Table) -> None:
        con.register(name, table)
        names.append(name)

    try:
        yield register
    finally:
        for name in reversed(names):
            con.unregister(name)


# Each install with the machine facts its ecosystem depends on; only resolved, current installs.
_INSTALLS: Final = """
    SELECT m.asset_id, s.subject, s.name, s.version, s.pkg_source, s.source_package, s.installed_at,
           s.first_seen,
           -- pkg:deb/debian/openssl@...: the namespace is the os-release ID (language packages have none).
           CASE WHEN s.pkg_source IN ('deb', 'rpm', 'apk') THEN coalesce(split_part(s.purl, '/', 2), '') ELSE ''
           END AS distro,
           coalesce(h.version_id, '') AS version_id
    FROM software_installs s
    JOIN asset_members m USING (subject)
    LEFT JOIN (SELECT subject, arg_max(firmware, seen_at) AS version_id FROM sightings
               WHERE method = 'agent' GROUP BY subject) h USING (subject)
    WHERE s.removed_at IS NULL AND s.pkg_source IN ('deb', 'rpm', 'apk', 'pip', 'npm')
"""

_COMBOS: Final = "SELECT DISTINCT pkg_source, distro, version_id FROM ({installs})"

# The name(s) an install is matched under: the source package for Debian-family and Alpine
# (advisories name source packages), the binary and the source package for RPM (Red Hat names
# binaries, SUSE and others sources), the PEP 503 name for PyPI, the name for npm.
_KEYED: Final = """
    WITH inst AS (
        SELECT i.*, e.ecosystem, e.release FROM ({installs}) i
        JOIN nc_eco_{t} e ON e.pkg_source = i.pkg_source AND e.distro = i.distro AND e.version_id = i.version_id
    )
    SELECT *, CASE WHEN ecosystem = 'PyPI' THEN lower(regexp_replace(name, '[-_.]+', '-', 'g'))
                   WHEN pkg_source IN ('deb', 'apk') THEN coalesce(nullif(source_package, ''), name)
                   ELSE name END AS key
    FROM inst
    UNION ALL
    SELECT *, source_package AS key FROM inst
    WHERE pkg_source = 'rpm' AND coalesce(source_package, '') NOT IN ('', name)
"""

_CANDIDATES: Final = """
    WITH titles AS (
        SELECT DISTINCT ecosystem, release, key, version FROM ({keyed})
        WHERE key IN (SELECT name FROM vuln_affected)
    )
    SELECT t.ecosystem, t.release, t.key, t.version, f.rowid AS affected_row, f.source, f.id
    FROM titles t
    JOIN vuln_affected f ON f.ecosystem = t.ecosystem AND f.release = t.release AND f.name = t.key
    JOIN vuln_advisories a ON a.source = f.source AND a.id = f.id
    WHERE a.withdrawn IS NULL
"""

_AFFECTED_ROWS: Final = "SELECT rowid, ranges, versions FROM vuln_affected WHERE rowid IN (SELECT r FROM nc_rows_{t})"

_MATCH_KEYS: Final = ("SELECT DISTINCT m.source, m.id, a.aliases FROM nc_match_{t} m "
                      "JOIN vuln_advisories a USING (source, id)")

# One row per asset and vulnerable title (the advisory group's label, not each advisory: an asset with
# a CVE from three databases is one row).
_MATCHED: Final = """
    WITH m AS (SELECT DISTINCT g.label, x.ecosystem, x.release, x.key, x.version
               FROM nc_match_{t} x JOIN nc_group_{t} g USING (source, id))
    SELECT k.asset_id, any_value(a.hostnames[1]) AS hostname, m.label, m.ecosystem, m.release, m.key, m.version,
           any_value(k.pkg_source) AS pkg_source,
           timezone('UTC', min(coalesce(k.installed_at, k.first_seen))::TIMESTAMPTZ) AS first_installed,
           timezone('UTC', max(coalesce(st.last_ok_at, k.first_seen))::TIMESTAMPTZ) AS last_seen
    FROM (SELECT * FROM ({keyed}) WHERE key IN (SELECT key FROM nc_match_{t})) k
    JOIN m ON m.ecosystem = k.ecosystem AND m.release = k.release AND m.key = k.key AND m.version = k.version
    LEFT JOIN assets a ON a.asset_id = k.asset_id
    LEFT JOIN inventory_state st ON st.subject = k.subject AND st.pkg_source = k.pkg_source
    GROUP BY k.asset_id, m.label, m.ecosystem, m.release, m.key, m.version
"""

#: The reference of the benchmark: the bare candidate join of installs to advisories, no version test.
BARE_JOIN: Final = """
    SELECT count(*) FROM software_installs s JOIN vuln_affected f ON f.name = s.name
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

    def match(self) -> MatchResult:
        """Every (asset, advisory) match with the advisories' details: the passes of the module docstring."""
        con = self._store._cursor()
        try:
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


def _match(con: duckdb.DuckDBPyConnection) -> MatchResult:
    tag = uuid.uuid4().hex[:12]
    installs = _INSTALLS
    with _registered(con) as register:
        combos = con.execute(_COMBOS.format(installs=installs)).fetchall()
        eco_rows = [(src, distro, vid, he.ecosystem, he.release) for src, distro, vid in combos
                    if (he := host_ecosystem(src, distro, vid)) is not None]
        register(f"nc_eco_{tag}", pa.table({
            name: pa.array([r[i] for r in eco_rows], pa.string())
            for i, name in enumerate(("pkg_source", "distro", "version_id", "ecosystem", "release"))}))
        keyed = _KEYED.format(installs=installs, t=tag)
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
        out = [AffectedRow(asset_id=r[0], hostname=r[1], title=(r[2], r[3], r[4], r[5], r[6]), pkg_source=r[7],
                           first_installed=r[8], last_seen=r[9])
               for r in con.execute(_MATCHED.format(keyed=keyed, t=tag)).fetchall()]
        info = {
            (r[0], r[1]): AdvisoryInfo(source=r[0], id=r[1], aliases=tuple(r[2] or ()), severity=r[3], score=r[4],
                                       severity_basis=r[5] or "", summary=r[6] or "", links=tuple(r[7] or ()),
                                       modified=_utc(r[8]))
            for r in con.execute(
                f"SELECT a.source, a.id, a.aliases, a.severity, a.score, a.severity_basis, a.summary, a.links, "
                f"a.modified FROM vuln_advisories a JOIN nc_group_{tag} k USING (source, id)").fetchall()
        }
    return MatchResult(rows=out, hits=hits, advisories=info)
