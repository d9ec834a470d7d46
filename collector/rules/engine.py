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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Protocol

import duckdb
import pyarrow as pa

from collector.rules.globs import compile_glob, glob_prefix
from collector.rules.schema import Rule, RuleSet
from collector.software_names import normalise_vendor, split_title

__all__ = ["KINDS", "RuleEngine", "RuleFinding", "evaluate", "match_titles"]

KINDS: Final = ("unauthorised-software", "missing-software", "licence")
_KIND_BY_TYPE: Final = {
    "deny": "unauthorised-software",
    "allow": "unauthorised-software",
    "require": "missing-software",
    "licence": "licence",
}
_PACKAGE_FORMAT: Final = {"rpm": "rpm", "debian": "deb"}
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
        # Name globs indexed by their literal prefix, per prefix length: a subject is tried only
        # against globs whose whole literal prefix it starts with (one dict probe per distinct
        # prefix length), plus the few that start with a wildcard.
        self._by_prefix: dict[int, dict[str, list[tuple[int, Any]]]] = {}
        self._wild: list[tuple[int, Any]] = []
        self._nameless: list[int] = []
        for index, rule in enumerate(rules):
            if not rule.match.names:
                self._nameless.append(index)
            for glob in rule.match.names:
                prefix = glob_prefix(glob)
                entry = (index, compile_glob(glob).fullmatch)
                if prefix:
                    self._by_prefix.setdefault(len(prefix), {}).setdefault(prefix, []).append(entry)
                else:
                    self._wild.append(entry)
        self._lengths = sorted(self._by_prefix)
        self._name_cache: dict[tuple[str, str], tuple[int, ...]] = {}
        self._names: dict[tuple[str, str], tuple[str, str, str, tuple[int, ...]]] = {}

    def _name_candidates(self, product: str, raw: str) -> tuple[int, ...]:
        key = (product, raw)
        cached = self._name_cache.get(key)
        if cached is not None:
            return cached
        found: set[int] = set(self._nameless)
        for subject in {product, raw}:
            for length in self._lengths:
                if length > len(subject):
                    break
                for index, fullmatch in self._by_prefix[length].get(subject[:length], ()):
                    if index not in found and fullmatch(subject) is not None:
                        found.add(index)
            for index, fullmatch in self._wild:
                if index not in found and fullmatch(subject) is not None:
                    found.add(index)
        result = tuple(sorted(found))
        self._name_cache[key] = result
        return result

    def _name_info(self, name: str, source: str) -> tuple[str, str, str, tuple[int, ...]]:
        """(product, version found in the name, scheme, candidate rules) for one name and source.

        Cached per (name, source): versions of one package share everything but the version.
        """
        key = (name, source)
        info = self._names.get(key)
        if info is None:
            product, found, scheme = split_title(name, "", source)
            source_cf = source.lower()
            if source_cf == "snmp" and scheme in _PACKAGE_FORMAT:
                # net-snmp reports Linux packages as rpm NEVRA / dpkg triples: they are rpm or
                # deb packages, and distribution-specific rules (backported fixes) apply to them.
                source_cf = _PACKAGE_FORMAT[scheme]
            candidates = tuple(
                index
                for index in self._name_candidates(product.casefold(), name.casefold())
                if not self.rules[index].match.sources or source_cf in self.rules[index].match.sources
            )
            info = (product, found, scheme, candidates)
            self._names[key] = info
        return info

    def title(self, name: str, version: str, source: str) -> tuple[str, str]:
        """Normalised (product, version) of a raw title."""
        product, found, _, _ = self._name_info(name, source)
        return product, version or found

    def match(self, name: str, version: str, vendor: str, source: str) -> tuple[str, str, list[int]]:
        """Return the normalised product, version, and the indices of matching rules (load order)."""
        product, found, scheme, candidates = self._name_info(name, source)
        version = version or found
        if not candidates:
            return product, version, []
        vendor_norm = normalise_vendor(vendor) if vendor else ""
        raw_vendor = vendor.casefold()
        hits = []
        for index in candidates:
            m = self.rules[index].match
            if m.matches_vendor(vendor_norm, raw_vendor) and m.matches_version(version, scheme):
                hits.append(index)
        return product, version, hits


def match_titles(rules: Sequence[Rule], titles: Sequence[tuple[str, str, str, str]]) -> list[list[str]]:
    """Which rules each raw (name, version, vendor, source) title matches, ignoring scope.

    A pure helper for tests and for ``netcensus rules`` tooling that wants to try a pack on a
    few names without a database.

    Returns:
        For each title, the ids of the matching rules in load order.
    """
    matcher = _Matcher(rules)
    return [[rules[i].id for i in matcher.match(*t)[2]] for t in titles]


def _ip_key(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Fixed-width hex of an address, so that SQL string comparison orders addresses."""
    return f"{int(ip):032x}"


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection) -> Iterator[Callable[[str, pa.Table], None]]:
    """Yield a function that registers Arrow tables as views; all are unregistered on exit."""
    names: list[str] = []

    def register(name: str, table: pa.Table) -> None:
        con.register(name, table)
        names.append(name)

    try:
        yield register
    finally:
        for name in reversed(names):
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


_SCOPE_SQL: Final = """
WITH
asset AS (
    SELECT asset_id, lower(coalesce(hostname, '')) AS h, lower(coalesce(os_family, '')) AS os,
           lower(coalesce(device_type, '')) AS dt, ips
    FROM assets_scoped
),
asset_ip AS (
    SELECT DISTINCT a.asset_id, i.kind, i.key
    FROM (SELECT asset_id, unnest(ips) AS ip FROM asset) a JOIN nc_ip_{t} i ON i.ip = a.ip
)
-- (rule, asset) pairs for rules that have a scope: every scope dimension the rule names must
-- hold (any value within it), so count the dimensions each asset satisfies.
SELECT x.rule_idx, x.asset_id FROM (
    SELECT s.rule_idx, a.asset_id, s.kind FROM nc_scope_{t} s JOIN asset a ON s.kind = 'os' AND a.os = s.value
    UNION ALL
    SELECT s.rule_idx, a.asset_id, s.kind FROM nc_scope_{t} s JOIN asset a
        ON s.kind = 'device_type' AND a.dt = s.value
    UNION ALL
    SELECT s.rule_idx, a.asset_id, s.kind FROM (SELECT * FROM nc_scope_{t} WHERE kind = 'hostname') s
        JOIN asset a ON a.h GLOB s.value
    UNION ALL
    SELECT s.rule_idx, ai.asset_id, 'subnet' AS kind
    FROM nc_scope_{t} s JOIN asset_ip ai ON ai.kind = s.kind AND ai.key BETWEEN s.lo AND s.hi
) x JOIN nc_rules_{t} r ON r.rule_idx = x.rule_idx
GROUP BY x.rule_idx, x.asset_id, r.dims
HAVING count(DISTINCT x.kind) = r.dims
"""

_SQL: Final = """
WITH
rules AS (SELECT * FROM nc_rules_{t}),
-- Installs matching deny/require/licence rules, restricted to the rule's scope.
hits AS MATERIALIZED (
    SELECT s.asset_id, s.hostname, s.source, s.first_seen, s.last_seen, m.rule_idx, m.product, m.pversion
    -- The one-column semi-join first discards the bulk of installs cheaply (few names match any
    -- rule); only the survivors pay for the four-column join.
    FROM (SELECT * FROM software_scoped WHERE name IN (SELECT name FROM nc_match_{t})) s
    JOIN nc_match_{t} m
      ON s.name = m.name AND coalesce(s.version, '') = m.version
     AND coalesce(s.vendor, '') = m.vendor AND coalesce(s.source, '') = m.source
    JOIN rules r ON r.rule_idx = m.rule_idx
    LEFT JOIN nc_in_scope_{t} i ON i.rule_idx = m.rule_idx AND i.asset_id = s.asset_id
    WHERE NOT r.scoped OR i.asset_id IS NOT NULL
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
    FROM assets_scoped a JOIN rules r ON r.type = 'require'
    LEFT JOIN nc_in_scope_{t} i ON i.rule_idx = r.rule_idx AND i.asset_id = a.asset_id
    WHERE coalesce(a.has_software_inventory, false)
      AND (NOT r.scoped OR i.asset_id IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.rule_idx = r.rule_idx AND h.asset_id = a.asset_id)
)
-- Timestamps leave as naive UTC: converting TIMESTAMPTZ to Python datetimes costs ~4 us per value
-- in the client, longer than the whole query for a large result.
SELECT type, rule_idx, asset_id, hostname, product, pversion, source,
       timezone('UTC', first_seen::TIMESTAMPTZ), timezone('UTC', last_seen::TIMESTAMPTZ), n
FROM (SELECT * FROM deny UNION ALL SELECT * FROM licence UNION ALL SELECT * FROM require)
"""

_ALLOW_SQL: Final = """
WITH
-- (allow rule, asset) pairs: the catalogues that apply to each asset.
catalogue AS MATERIALIZED (
    SELECT r.rule_idx, a.asset_id
    FROM assets_scoped a JOIN nc_rules_{t} r ON r.type = 'allow' AND NOT r.scoped
    UNION ALL
    SELECT i.rule_idx, i.asset_id
    FROM nc_in_scope_{t} i JOIN nc_rules_{t} r ON r.rule_idx = i.rule_idx AND r.type = 'allow'
)
-- Each install on a catalogue asset, joined to every catalogue of that asset and, where one
-- approves it, to the approving match; kept when no catalogue approved it.
SELECT min(c.rule_idx) AS rule_idx, s.asset_id, any_value(s.hostname) AS hostname, s.name,
       coalesce(s.version, '') AS version, coalesce(s.vendor, '') AS vendor,
       coalesce(s.source, '') AS source, timezone('UTC', min(s.first_seen)::TIMESTAMPTZ),
       timezone('UTC', max(s.last_seen)::TIMESTAMPTZ)
FROM software_scoped s
JOIN catalogue c ON c.asset_id = s.asset_id
LEFT JOIN nc_allow_{t} m
  ON m.rule_idx = c.rule_idx AND m.name = s.name AND m.version = coalesce(s.version, '')
 AND m.vendor = coalesce(s.vendor, '') AND m.source = coalesce(s.source, '')
WHERE s.name IS NOT NULL
GROUP BY s.asset_id, s.name, coalesce(s.version, ''), coalesce(s.vendor, ''), coalesce(s.source, '')
HAVING count(m.rule_idx) = 0
"""


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    # A relation converts straight to Arrow; a DB-API result would copy the rows once more.
    table: pa.Table = con.sql(sql).to_arrow_table()
    return table


def _utc(value: datetime | None) -> datetime | None:
    """Attach UTC to a naive UTC timestamp from DuckDB."""
    return value.replace(tzinfo=UTC) if value is not None else None


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
    # Plain columns group fastest; NULLs become "" below, as the joins' coalesce() expects.
    titles = _arrow(con, "SELECT DISTINCT name, version, vendor, source FROM software_scoped")
    columns: dict[str, list[Any]] = {
        k: [] for k in ("name", "version", "vendor", "source", "rule_idx", "product", "pversion")
    }
    allow_cols: dict[str, list[Any]] = {k: [] for k in ("name", "version", "vendor", "source", "rule_idx")}
    is_allow = [r.type == "allow" for r in all_rules]
    for name, raw_version, raw_vendor, raw_source in zip(
        titles.column("name").to_pylist(),
        titles.column("version").to_pylist(),
        titles.column("vendor").to_pylist(),
        titles.column("source").to_pylist(),
        strict=True,
    ):
        if name is None:
            continue
        version, vendor, source = raw_version or "", raw_vendor or "", raw_source or ""
        product, pversion, hits = matcher.match(name, version, vendor, source)
        for index in hits:
            target = allow_cols if is_allow[index] else columns
            target["name"].append(name)
            target["version"].append(version)
            target["vendor"].append(vendor)
            target["source"].append(source)
            target["rule_idx"].append(index)
            if target is columns:
                columns["product"].append(product)
                columns["pversion"].append(pversion)
    match = pa.table(
        {k: pa.array(v, pa.int32() if k == "rule_idx" else pa.string()) for k, v in columns.items()}
    )
    allow = pa.table({k: pa.array(v, pa.int32() if k == "rule_idx" else pa.string()) for k, v in allow_cols.items()})
    tables = {f"nc_rules_{tag}": _rules_table(all_rules), f"nc_match_{tag}": match, f"nc_allow_{tag}": allow}
    tables.update(_scope_tables(all_rules, con, tag))
    today = _today(now)
    findings: list[RuleFinding] = []
    with _registered(con) as register:
        for name, table in tables.items():
            register(name, table)
        register(f"nc_in_scope_{tag}", _arrow(con, _SCOPE_SQL.format(t=tag)))
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
                    first_seen=_utc(first_seen),
                    last_seen=_utc(last_seen),
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
    rows = con.execute(_ALLOW_SQL.format(t=tag)).fetchall()
    out: list[RuleFinding] = []
    for rule_idx, asset_id, hostname, name, version, _vendor, source, first_seen, last_seen in rows:
        product, pversion = matcher.title(name, version, source)
        out.append(
            _finding(
                rules[rule_idx],
                today=today,
                asset_id=asset_id,
                hostname=hostname,
                product=product,
                version=pversion,
                source=source,
                first_seen=_utc(first_seen),
                last_seen=_utc(last_seen),
                n=0,
            )
        )
    return out
