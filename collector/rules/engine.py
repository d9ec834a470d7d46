"""Evaluate rules against the collector's software and asset views in DuckDB.

Why it is shaped like this: an estate of 10,000 hosts with 1,500 installs each is 15 M rows, but
far fewer distinct *titles* (name, version, vendor, source), because most hosts share a base
image. Python does the part SQL cannot (name normalisation, globs, per-ecosystem version order)
once per distinct title and hands DuckDB a small Arrow match table (title -> rule); DuckDB does
the part Python cannot do fast (joining that back to 15 M installs, scoping rules to assets,
anti-joins for ``allow`` catalogues and ``require`` rules, seat counting for ``licence``).

Inputs (views the collector provides; tests create tables of the same shape)::

    software_scoped(asset_id, hostname, os_family, device_type, ips VARCHAR[], name, version,
                    vendor, source, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ)
    assets_scoped(asset_id, hostname, os_family, device_type, ips VARCHAR[],
                  has_software_inventory BOOLEAN, first_seen, last_seen)

Semantics per rule type:

* ``deny``: every install matching the rule on an asset in scope is a finding
  (kind ``unauthorised-software``), one per asset x product x version.
* ``allow``: the allow rules that apply to an asset together form its approved catalogue; every
  install on that asset matching none of them is a finding (``unauthorised-software``) charged
  to the first applicable allow rule in load order. Assets no allow rule applies to are free.
* ``require``: an asset in scope whose software inventory is known
  (``has_software_inventory``) and where no install matches is a finding
  (``missing-software``).
* ``licence``: assets in scope with at least one matching install use one seat each, in order of
  their earliest matching install's first_seen (ties by asset_id); each asset beyond ``seats``
  is a finding (``licence``), so the findings name the most recent deployments to remove.

Exceptions never hide a finding: an active one sets ``suppressed`` and ``suppression``; an
expired one (``until`` before ``now``'s UTC date) does not, and the summary says it expired.
Suppressed licence findings still use their seat.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Protocol

import duckdb
import pyarrow as pa

from collector.rules.globs import compile_glob, glob_prefix
from collector.rules.schema import Rule, RuleSet
from collector.software_names import SoftwareTitle, normalise_title, normalise_vendor

__all__ = ["KINDS", "RuleEngine", "RuleFinding", "evaluate", "match_titles"]

KINDS: Final = ("unauthorised-software", "missing-software", "licence")
_KIND_BY_TYPE: Final = {
    "deny": "unauthorised-software",
    "allow": "unauthorised-software",
    "require": "missing-software",
    "licence": "licence",
}
_SEVERITY_RANK: Final = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


@dataclass(frozen=True, slots=True)
class RuleFinding:
    """One rule finding.

    Attributes:
        kind: "unauthorised-software", "missing-software" or "licence".
        severity: the rule's severity.
        asset_id: the asset.
        hostname: its hostname, if known.
        rule_id: the rule's id.
        rule_title: the rule's title.
        software_name: normalised product name ("OpenSSL"); None for missing-software.
        software_version: version as found ("1.0.1e"); None for missing-software, "" if unknown.
        first_seen: first sighting of the install (of the asset, for missing-software).
        last_seen: last sighting of the install (of the asset, for missing-software).
        summary: one human sentence.
        suppressed: an active exception covers this finding.
        suppression: the exception's reason and expiry, e.g. "approved bastion (until 2027-06-30)".
        software_source: package source of the install ("deb", "msi", "snmp"...), if any.
    """

    kind: str
    severity: str
    asset_id: str
    hostname: str | None
    rule_id: str
    rule_title: str
    software_name: str | None
    software_version: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    summary: str
    suppressed: bool = False
    suppression: str = ""
    software_source: str | None = None


class RuleEngine(Protocol):
    """The seam the collector's query layer calls; :func:`evaluate` satisfies it."""

    def __call__(self, con: duckdb.DuckDBPyConnection, rules: RuleSet, now: datetime) -> list[RuleFinding]:
        """Evaluate ``rules`` over the connection's software/asset views at time ``now``."""
        ...


class _Matcher:
    """Matches distinct titles to rules, doing each expensive step once per distinct value."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        # Name globs bucketed by their first literal character: a title is tried only against
        # globs that can start with its first character, plus the ones that start with a wildcard.
        self._by_char: dict[str, list[tuple[int, str, Any]]] = {}
        self._wild: list[tuple[int, str, Any]] = []
        self._nameless: list[int] = []
        for index, rule in enumerate(rules):
            if not rule.match.names:
                self._nameless.append(index)
            for glob in rule.match.names:
                prefix = glob_prefix(glob)
                entry = (index, prefix, compile_glob(glob).fullmatch)
                if prefix:
                    self._by_char.setdefault(prefix[0], []).append(entry)
                else:
                    self._wild.append(entry)
        self._name_cache: dict[tuple[str, str], tuple[int, ...]] = {}
        self._title_cache: dict[tuple[str, str, str], SoftwareTitle] = {}

    def _name_candidates(self, product: str, raw: str) -> tuple[int, ...]:
        key = (product, raw)
        cached = self._name_cache.get(key)
        if cached is not None:
            return cached
        found: set[int] = set(self._nameless)
        for subject in {product, raw}:
            for index, prefix, fullmatch in self._by_char.get(subject[:1], ()):
                if index not in found and subject.startswith(prefix) and fullmatch(subject) is not None:
                    found.add(index)
            for index, _, fullmatch in self._wild:
                if index not in found and fullmatch(subject) is not None:
                    found.add(index)
        result = tuple(sorted(found))
        self._name_cache[key] = result
        return result

    def title(self, name: str, version: str, vendor: str, source: str) -> SoftwareTitle:
        """Normalised title, cached on (name, version, source); vendor normalisation is cached apart."""
        key = (name, version, source)
        cached = self._title_cache.get(key)
        if cached is None:
            cached = normalise_title(name, version, "", source)
            self._title_cache[key] = cached
        if vendor:
            return SoftwareTitle(cached.product, cached.version, normalise_vendor(vendor), cached.source, cached.scheme)
        return cached

    def match(self, name: str, version: str, vendor: str, source: str) -> tuple[SoftwareTitle, list[int]]:
        """Return the title and the indices of the rules it matches (in load order)."""
        title = self.title(name, version, vendor, source)
        candidates = self._name_candidates(title.product.casefold(), name.casefold())
        if not candidates:
            return title, []
        hits = []
        raw_vendor = vendor.casefold()
        for index in candidates:
            m = self.rules[index].match
            if m.sources and title.source not in m.sources:
                continue
            if not m.matches_vendor(title.vendor, raw_vendor):
                continue
            if not m.matches_version(title.version, title.scheme):
                continue
            hits.append(index)
        return title, hits


def match_titles(rules: Sequence[Rule], titles: Sequence[tuple[str, str, str, str]]) -> list[list[str]]:
    """Which rules each raw (name, version, vendor, source) title matches, ignoring scope.

    A pure helper for tests and for ``netcensus rules`` tooling that wants to try a pack on a
    few names without a database.

    Returns:
        For each title, the ids of the matching rules in load order.
    """
    matcher = _Matcher(rules)
    return [[rules[i].id for i in matcher.match(*t)[1]] for t in titles]


def _ip_key(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Fixed-width hex of an address, so that SQL string comparison orders addresses."""
    return f"{int(ip):032x}"


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> Iterator[None]:
    """Register Arrow tables as views for the duration of a query, always unregistering them."""
    names = []
    try:
        for name, table in tables.items():
            con.register(name, table)
            names.append(name)
        yield
    finally:
        for name in names:
            con.unregister(name)


def _scope_tables(rules: Sequence[Rule], con: duckdb.DuckDBPyConnection, tag: str) -> dict[str, pa.Table]:
    """Arrow tables describing every rule's scope, one row per (rule, value)."""
    idx: list[int] = []
    kinds: list[str] = []
    values: list[str] = []
    los: list[str] = []
    his: list[str] = []
    nets: list[tuple[int, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for index, rule in enumerate(rules):
        scope = rule.scope
        for kind, items in (("os", scope.os), ("device_type", scope.device_types), ("hostname", scope.hostnames)):
            for item in items:
                idx.append(index)
                kinds.append(kind)
                values.append(item.lower())
                los.append("")
                his.append("")
        for cidr in scope.subnets:
            net = ipaddress.ip_network(cidr)
            nets.append((index, net))
            idx.append(index)
            kinds.append(f"subnet{net.version}")
            values.append(cidr)
            los.append(_ip_key(net.network_address))
            his.append(_ip_key(net.broadcast_address))
    scope = pa.table(
        {
            "rule_idx": pa.array(idx, pa.int32()),
            "kind": pa.array(kinds, pa.string()),
            "value": pa.array(values, pa.string()),
            "lo": pa.array(los, pa.string()),
            "hi": pa.array(his, pa.string()),
        }
    )
    # Addresses are parsed in Python (DuckDB has no IPv6 parser without the inet extension,
    # which would need a download), but only the distinct ones, and only if a rule needs them.
    ip_text: list[str] = []
    ip_kind: list[str] = []
    ip_key: list[str] = []
    if nets:
        distinct = con.execute("SELECT DISTINCT unnest(ips) FROM assets_scoped").fetchall()
        for (text,) in distinct:
            try:
                ip = ipaddress.ip_address(str(text).split("%", 1)[0].strip())
            except ValueError:
                continue
            ip_text.append(text)
            ip_kind.append(f"subnet{ip.version}")
            ip_key.append(_ip_key(ip))
    ips = pa.table(
        {
            "ip": pa.array(ip_text, pa.string()),
            "kind": pa.array(ip_kind, pa.string()),
            "key": pa.array(ip_key, pa.string()),
        }
    )
    return {f"nc_scope_{tag}": scope, f"nc_ip_{tag}": ips}


def _rules_table(rules: Sequence[Rule]) -> pa.Table:
    return pa.table(
        {
            "rule_idx": pa.array(range(len(rules)), pa.int32()),
            "type": pa.array([r.type for r in rules], pa.string()),
            "seats": pa.array([r.seats for r in rules], pa.int64()),
            "scoped": pa.array([not r.scope.is_everything for r in rules], pa.bool_()),
            "dims": pa.array(
                [
                    sum(bool(d) for d in (r.scope.os, r.scope.device_types, r.scope.hostnames, r.scope.subnets))
                    for r in rules
                ],
                pa.int32(),
            ),
        }
    )


_SQL: Final = """
WITH
rules AS (SELECT * FROM nc_rules_{t}),
asset AS (
    SELECT asset_id, hostname, first_seen, last_seen,
           coalesce(has_software_inventory, false) AS has_inventory,
           lower(coalesce(hostname, '')) AS h, lower(coalesce(os_family, '')) AS os,
           lower(coalesce(device_type, '')) AS dt, ips
    FROM assets_scoped
),
asset_ip AS (
    SELECT DISTINCT a.asset_id, i.kind, i.key
    FROM (SELECT asset_id, unnest(ips) AS ip FROM asset) a JOIN nc_ip_{t} i ON i.ip = a.ip
),
-- (rule, asset) pairs for rules that have a scope: every scope dimension the rule names must
-- hold (any value within it), so count the dimensions each asset satisfies.
in_scope AS MATERIALIZED (
    SELECT x.rule_idx, x.asset_id FROM (
        SELECT s.rule_idx, a.asset_id, s.kind
        FROM nc_scope_{t} s JOIN asset a
          ON (s.kind = 'os' AND a.os = s.value)
          OR (s.kind = 'device_type' AND a.dt = s.value)
          OR (s.kind = 'hostname' AND a.h GLOB s.value)
        UNION
        SELECT s.rule_idx, ai.asset_id, 'subnet' AS kind
        FROM nc_scope_{t} s JOIN asset_ip ai ON ai.kind = s.kind AND ai.key BETWEEN s.lo AND s.hi
    ) x JOIN rules r ON r.rule_idx = x.rule_idx
    GROUP BY x.rule_idx, x.asset_id, r.dims
    HAVING count(DISTINCT x.kind) = r.dims
),
-- Installs matching deny/require/licence rules, restricted to the rule's scope.
hits AS MATERIALIZED (
    SELECT s.asset_id, s.hostname, s.source, s.first_seen, s.last_seen, m.rule_idx, m.product, m.pversion
    FROM software_scoped s
    JOIN nc_match_{t} m
      ON s.name = m.name AND coalesce(s.version, '') = m.version
     AND coalesce(s.vendor, '') = m.vendor AND coalesce(s.source, '') = m.source
    JOIN rules r ON r.rule_idx = m.rule_idx
    WHERE NOT r.scoped
       OR EXISTS (SELECT 1 FROM in_scope i WHERE i.rule_idx = m.rule_idx AND i.asset_id = s.asset_id)
),
deny AS (
    SELECT 'deny' AS type, h.rule_idx, h.asset_id, any_value(h.hostname) AS hostname,
           h.product, h.pversion, any_value(h.source) AS source,
           min(h.first_seen) AS first_seen, max(h.last_seen) AS last_seen, 0::BIGINT AS n
    FROM hits h JOIN rules r ON r.rule_idx = h.rule_idx AND r.type = 'deny'
    GROUP BY h.rule_idx, h.asset_id, h.product, h.pversion
),
licence_assets AS (
    SELECT h.rule_idx, h.asset_id, any_value(h.hostname) AS hostname,
           arg_min(h.product, h.first_seen) AS product, arg_min(h.pversion, h.first_seen) AS pversion,
           arg_min(h.source, h.first_seen) AS source,
           min(h.first_seen) AS first_seen, max(h.last_seen) AS last_seen
    FROM hits h JOIN rules r ON r.rule_idx = h.rule_idx AND r.type = 'licence'
    GROUP BY h.rule_idx, h.asset_id
),
licence AS (
    SELECT 'licence' AS type, rule_idx, asset_id, hostname, product, pversion, source, first_seen,
           last_seen, n
    FROM (
        SELECT l.*, r.seats,
               row_number() OVER (PARTITION BY l.rule_idx ORDER BY l.first_seen, l.asset_id) AS seat,
               count(*) OVER (PARTITION BY l.rule_idx) AS n
        FROM licence_assets l JOIN rules r USING (rule_idx)
    ) WHERE seat > seats
),
require AS (
    SELECT 'require' AS type, r.rule_idx, a.asset_id, a.hostname, NULL AS product, NULL AS pversion,
           NULL AS source, a.first_seen, a.last_seen, 0::BIGINT AS n
    FROM asset a JOIN rules r ON r.type = 'require'
    WHERE a.has_inventory
      AND (NOT r.scoped
           OR EXISTS (SELECT 1 FROM in_scope i WHERE i.rule_idx = r.rule_idx AND i.asset_id = a.asset_id))
      AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.rule_idx = r.rule_idx AND h.asset_id = a.asset_id)
)
SELECT * FROM deny
UNION ALL SELECT * FROM licence
UNION ALL SELECT * FROM require
"""

_ALLOW_SQL: Final = """
WITH
rules AS (SELECT * FROM nc_rules_{t}),
-- (allow rule, asset) pairs: the catalogues that apply to each asset.
catalogue AS MATERIALIZED (
    SELECT r.rule_idx, a.asset_id
    FROM assets_scoped a JOIN rules r ON r.type = 'allow' AND NOT r.scoped
    UNION ALL
    SELECT i.rule_idx, i.asset_id FROM nc_in_scope_{t} i JOIN rules r ON r.rule_idx = i.rule_idx AND r.type = 'allow'
),
charged AS (SELECT asset_id, min(rule_idx) AS rule_idx FROM catalogue GROUP BY asset_id),
-- Installs on catalogue assets that no applicable allow rule approves.
outside AS (
    SELECT s.asset_id, s.hostname, s.name, coalesce(s.version, '') AS version,
           coalesce(s.vendor, '') AS vendor, coalesce(s.source, '') AS source,
           s.first_seen, s.last_seen, c.rule_idx
    FROM software_scoped s JOIN charged c ON c.asset_id = s.asset_id
    WHERE NOT EXISTS (
        SELECT 1 FROM nc_allow_{t} m JOIN catalogue k ON k.rule_idx = m.rule_idx
        WHERE k.asset_id = s.asset_id AND m.name = s.name AND m.version = coalesce(s.version, '')
          AND m.vendor = coalesce(s.vendor, '') AND m.source = coalesce(s.source, '')
    )
)
SELECT rule_idx, asset_id, any_value(hostname), name, version, vendor, source,
       min(first_seen), max(last_seen)
FROM outside GROUP BY rule_idx, asset_id, name, version, vendor, source
"""


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    # A relation converts straight to Arrow; a DB-API result would copy the rows once more.
    table: pa.Table = con.sql(sql).to_arrow_table()
    return table


def _today(now: datetime) -> date:
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).date()


def _label(asset_id: str, hostname: str | None) -> str:
    return hostname or asset_id


def _software(product: str | None, version: str | None) -> str:
    return f"{product} {version}".strip() if version else f"{product} (version unknown)"


def _summary(rule: Rule, host: str, product: str | None, version: str | None, n: int) -> str:
    if rule.type == "deny":
        return f"{_software(product, version)} is installed on {host}: {rule.title} (rule {rule.id})."
    if rule.type == "allow":
        return (
            f"{_software(product, version)} on {host} is not in the approved catalogue of rule {rule.id} "
            f"({rule.title})."
        )
    if rule.type == "require":
        wanted = ", ".join(rule.match.names or rule.match.vendors)
        return f"{host} has none of the software rule {rule.id} requires ({rule.title}; one of: {wanted})."
    return (
        f"{_software(product, version)} on {host} exceeds the {rule.seats} licensed seats of rule {rule.id} "
        f"({rule.title}; {n} assets have it)."
    )


def _finding(
    rule: Rule,
    *,
    today: date,
    asset_id: str,
    hostname: str | None,
    product: str | None,
    version: str | None,
    source: str | None,
    first_seen: datetime | None,
    last_seen: datetime | None,
    n: int,
) -> RuleFinding:
    host = _label(asset_id, hostname)
    summary = _summary(rule, host, product, version, n)
    suppression = ""
    expired = None
    for exemption in rule.exceptions:
        if not exemption.covers(asset_id, hostname):
            continue
        if exemption.active(today):
            suppression = exemption.describe()
            break
        expired = expired or exemption
    if not suppression and expired is not None:
        summary = summary[:-1] + f" (exception {expired.reason!r} expired {expired.until.isoformat()})."
    return RuleFinding(
        kind=_KIND_BY_TYPE[rule.type],
        severity=rule.severity,
        asset_id=asset_id,
        hostname=hostname,
        rule_id=rule.id,
        rule_title=rule.title,
        software_name=product,
        software_version=version,
        first_seen=first_seen,
        last_seen=last_seen,
        summary=summary,
        suppressed=bool(suppression),
        suppression=suppression,
        software_source=source,
    )


def evaluate(con: duckdb.DuckDBPyConnection, rules: RuleSet, now: datetime) -> list[RuleFinding]:
    """Evaluate rules over ``software_scoped`` and ``assets_scoped`` on ``con``.

    Args:
        con: a DuckDB connection (read-only is fine) that has the two views.
        rules: validated rules (see :func:`collector.rules.load_rules`).
        now: the evaluation time; exceptions whose ``until`` is before its UTC date have expired.

    Returns:
        Findings sorted by severity (critical first), kind, rule id, host, software.
    """
    all_rules = list(rules.rules)
    if not all_rules:
        return []
    tag = uuid.uuid4().hex[:12]
    matcher = _Matcher(all_rules)
    titles = _arrow(
        con,
        "SELECT name, coalesce(version, '') AS version, coalesce(vendor, '') AS vendor, "
        "coalesce(source, '') AS source FROM software_scoped WHERE name IS NOT NULL GROUP BY ALL",
    )
    columns: dict[str, list[Any]] = {
        k: [] for k in ("name", "version", "vendor", "source", "rule_idx", "product", "pversion")
    }
    allow_cols: dict[str, list[Any]] = {k: [] for k in ("name", "version", "vendor", "source", "rule_idx")}
    is_allow = [r.type == "allow" for r in all_rules]
    for name, version, vendor, source in zip(
        titles.column("name").to_pylist(),
        titles.column("version").to_pylist(),
        titles.column("vendor").to_pylist(),
        titles.column("source").to_pylist(),
        strict=True,
    ):
        title, hits = matcher.match(name, version, vendor, source)
        for index in hits:
            target = allow_cols if is_allow[index] else columns
            target["name"].append(name)
            target["version"].append(version)
            target["vendor"].append(vendor)
            target["source"].append(source)
            target["rule_idx"].append(index)
            if target is columns:
                columns["product"].append(title.product)
                columns["pversion"].append(title.version)
    match = pa.table(
        {k: pa.array(v, pa.int32() if k == "rule_idx" else pa.string()) for k, v in columns.items()}
    )
    allow = pa.table({k: pa.array(v, pa.int32() if k == "rule_idx" else pa.string()) for k, v in allow_cols.items()})
    tables = {f"nc_rules_{tag}": _rules_table(all_rules), f"nc_match_{tag}": match, f"nc_allow_{tag}": allow}
    tables.update(_scope_tables(all_rules, con, tag))
    today = _today(now)
    findings: list[RuleFinding] = []
    with _registered(con, tables):
        rows = con.execute(_SQL.format(t=tag)).fetchall()
        for rtype, rule_idx, asset_id, hostname, product, pversion, source, first_seen, last_seen, n in rows:
            del rtype
            findings.append(
                _finding(
                    all_rules[rule_idx],
                    today=today,
                    asset_id=asset_id,
                    hostname=hostname,
                    product=product,
                    version=pversion,
                    source=source,
                    first_seen=first_seen,
                    last_seen=last_seen,
                    n=n,
                )
            )
        if any(is_allow):
            findings.extend(_allow_findings(con, all_rules, matcher, tag, today))
    findings.sort(
        key=lambda f: (
            _SEVERITY_RANK.get(f.severity, 9),
            f.kind,
            f.rule_id,
            f.hostname or "",
            f.asset_id,
            f.software_name or "",
            f.software_version or "",
        )
    )
    return findings


def _allow_findings(
    con: duckdb.DuckDBPyConnection, rules: list[Rule], matcher: _Matcher, tag: str, today: date
) -> list[RuleFinding]:
    """Installs outside the approved catalogue of the allow rules that apply to their asset."""
    scope_sql = _SQL.split("-- Installs matching deny")[0].rstrip().rstrip(",")
    in_scope = _arrow(con, scope_sql.format(t=tag) + "\nSELECT rule_idx, asset_id FROM in_scope")
    out: list[RuleFinding] = []
    with _registered(con, {f"nc_in_scope_{tag}": in_scope}):
        rows = con.execute(_ALLOW_SQL.format(t=tag)).fetchall()
    for rule_idx, asset_id, hostname, name, version, vendor, source, first_seen, last_seen in rows:
        title = matcher.title(name, version, vendor, source)
        out.append(
            _finding(
                rules[rule_idx],
                today=today,
                asset_id=asset_id,
                hostname=hostname,
                product=title.product,
                version=title.version,
                source=source,
                first_seen=first_seen,
                last_seen=last_seen,
                n=0,
            )
        )
    return out
