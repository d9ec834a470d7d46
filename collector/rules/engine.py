"""Evaluate rules against the collector's software and asset views in DuckDB.

Why it is shaped like this: an estate of 10,000 hosts with 1,500 installs each is 15 M rows, but
far fewer distinct names and *titles* (name, version, vendor, source), because most hosts share a
base image. Python does the part SQL cannot (name normalisation, globs, per-ecosystem version
order) once per distinct value; DuckDB does the part Python cannot do fast (joining a small Arrow
match table back to 15 M installs, scoping rules to assets, anti-joins for ``require`` rules,
seat counting for ``licence``). The passes:

1. scope: (rule, asset) pairs for scoped rules, from ``assets_scoped`` (globs via DuckDB GLOB,
   subnets as ranges over addresses Python parsed once per distinct IP);
2. distinct (name, source) pairs are tried against a prefix trie of the name globs;
3. the distinct titles of the few names that can match are fetched and matched in full (vendor,
   version in the item's scheme) into the match table;
4. one query joins the match table to the installs (name semi-join first) and yields deny,
   licence and require findings;
5. allow rules: assets are grouped by the set of allow rules applying to them (a catalogue
   "signature"); the titles on those assets are checked once, and only the installs whose title
   their signature does not approve are read back.

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

from collector.domain.software_names import normalise_vendor, split_title
from collector.rules.globs import compile_glob, glob_prefix
from collector.rules.schema import Rule, RuleSet

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


# A trie node: children by next character, and the (rule index, matcher) of the globs whose
# literal prefix ends here.
_TrieNode = tuple[dict[str, "_TrieNode"], list[tuple[int, Callable[[str], object]]]]


class _Matcher:
    """Matches distinct titles to rules, doing each expensive step once per distinct value."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        # Name globs in a trie of their literal prefixes: walking a subject down the trie visits
        # only globs whose whole literal prefix it starts with, and stops at the first character
        # no glob continues with (for most package names, after one or two characters). Globs
        # starting with a wildcard sit at the root and are tried on every subject.
        self._trie: _TrieNode = ({}, [])
        self._nameless: list[int] = []
        for index, rule in enumerate(rules):
            if not rule.match.names:
                self._nameless.append(index)
            for glob in rule.match.names:
                node = self._trie
                for ch in glob_prefix(glob):
                    node = node[0].setdefault(ch, ({}, []))
                node[1].append((index, compile_glob(glob).fullmatch))
        self._name_cache: dict[tuple[str, str], tuple[int, ...]] = {}
        self._names: dict[tuple[str, str], tuple[str, str, str, tuple[int, ...]]] = {}

    def _name_candidates(self, product: str, raw: str) -> tuple[int, ...]:
        key = (product, raw)
        cached = self._name_cache.get(key)
        if cached is not None:
            return cached
        found: set[int] = set(self._nameless)
        for subject in {product, raw}:
            node: _TrieNode | None = self._trie
            position = 0
            while node is not None:
                for index, fullmatch in node[1]:
                    if index not in found and fullmatch(subject) is not None:
                        found.add(index)
                if position >= len(subject):
                    break
                node = node[0].get(subject[position])
                position += 1
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

    def candidates(self, name: str, source: str) -> tuple[int, ...]:
        """Rules whose name globs and sources admit this raw name (vendor and version unchecked)."""
        return self._name_info(name, source)[3]

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


def _dimensions(rule: Rule) -> tuple[tuple[str, ...], ...]:
    return (rule.scope.os, rule.scope.device_types, rule.scope.hostnames, rule.scope.subnets)


def _rules_table(rules: Sequence[Rule]) -> pa.Table:
    return pa.table(
        {
            "rule_idx": pa.array(range(len(rules)), pa.int32()),
            "type": pa.array([r.type for r in rules], pa.string()),
            "seats": pa.array([r.seats for r in rules], pa.int64()),
            "scoped": pa.array([not r.scope.is_everything for r in rules], pa.bool_()),
            # One bit per scope dimension the rule names (os, device type, hostname, subnet).
            "mask": pa.array(
                [
                    sum(bit for bit, d in zip((1, 2, 4, 8), _dimensions(r), strict=True) if d)
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
-- hold (any value within it). Each dimension an asset satisfies contributes its bit; the pair is
-- in scope when the bits add up to the rule's mask.
SELECT x.rule_idx, x.asset_id FROM (
    SELECT s.rule_idx, a.asset_id, 1 AS bit FROM nc_scope_{t} s JOIN asset a ON s.kind = 'os' AND a.os = s.value
    UNION ALL
    SELECT s.rule_idx, a.asset_id, 2 AS bit FROM nc_scope_{t} s JOIN asset a
        ON s.kind = 'device_type' AND a.dt = s.value
    UNION ALL
    SELECT s.rule_idx, a.asset_id, 4 AS bit FROM (SELECT * FROM nc_scope_{t} WHERE kind = 'hostname') s
        JOIN asset a ON a.h GLOB s.value
    UNION ALL
    SELECT s.rule_idx, ai.asset_id, 8 AS bit
    FROM nc_scope_{t} s JOIN asset_ip ai ON ai.kind = s.kind AND ai.key BETWEEN s.lo AND s.hi
) x JOIN nc_rules_{t} r ON r.rule_idx = x.rule_idx
GROUP BY x.rule_idx, x.asset_id, r.mask
HAVING bit_or(x.bit) = r.mask
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

_CATALOGUE_SQL: Final = """
-- (allow rule, asset) pairs: the catalogues that apply to each asset.
SELECT r.rule_idx, a.asset_id
FROM assets_scoped a JOIN nc_rules_{t} r ON r.type = 'allow' AND NOT r.scoped
UNION ALL
SELECT i.rule_idx, i.asset_id
FROM nc_in_scope_{t} i JOIN nc_rules_{t} r ON r.rule_idx = i.rule_idx AND r.type = 'allow'
"""

_CATALOGUE_TITLES_SQL: Final = """
SELECT DISTINCT name, version, vendor, source FROM software_scoped
WHERE name IS NOT NULL AND asset_id IN (SELECT asset_id FROM nc_catalogue_{t})
"""

_ALLOW_SQL: Final = """
-- Installs whose title the catalogues of their asset do not approve. nc_unapproved holds, per
-- catalogue signature (the set of allow rules applying to an asset), the titles found on such
-- assets that none of those rules approves: usually a handful, so the name semi-join first
-- leaves almost nothing to join.
SELECT a.rule_idx, s.asset_id, any_value(s.hostname) AS hostname, s.name, u.version, u.vendor, u.source,
       timezone('UTC', min(s.first_seen)::TIMESTAMPTZ), timezone('UTC', max(s.last_seen)::TIMESTAMPTZ)
FROM (SELECT * FROM software_scoped WHERE name IN (SELECT name FROM nc_unapproved_{t})) s
JOIN nc_asset_sig_{t} a ON a.asset_id = s.asset_id
JOIN nc_unapproved_{t} u
  ON u.sig_id = a.sig_id AND u.name = s.name AND u.version = coalesce(s.version, '')
 AND u.vendor = coalesce(s.vendor, '') AND u.source = coalesce(s.source, '')
GROUP BY a.rule_idx, s.asset_id, s.name, u.version, u.vendor, u.source
"""

_NAMES_SQL: Final = "SELECT DISTINCT name, source FROM software_scoped WHERE name IS NOT NULL"

_TITLES_SQL: Final = """
SELECT DISTINCT name, version, vendor, source FROM software_scoped
WHERE name IN (SELECT name FROM nc_names_{t})
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


def _match_table(
    matcher: _Matcher, titles: pa.Table, wanted: Callable[[int], bool], *, normalised: bool
) -> pa.Table:
    """Match distinct raw titles to the rules ``wanted`` selects; one row per (title, rule)."""
    keys = ("name", "version", "vendor", "source", "rule_idx") + (("product", "pversion") if normalised else ())
    columns: dict[str, list[Any]] = {k: [] for k in keys}
    for name, raw_version, raw_vendor, raw_source in zip(
        titles.column("name").to_pylist(),
        titles.column("version").to_pylist(),
        titles.column("vendor").to_pylist(),
        titles.column("source").to_pylist(),
        strict=True,
    ):
        if name is None:
            continue
        # NULLs become "" here, as the joins' coalesce() expects.
        version, vendor, source = raw_version or "", raw_vendor or "", raw_source or ""
        product, pversion, hits = matcher.match(name, version, vendor, source)
        for index in hits:
            if not wanted(index):
                continue
            columns["name"].append(name)
            columns["version"].append(version)
            columns["vendor"].append(vendor)
            columns["source"].append(source)
            columns["rule_idx"].append(index)
            if normalised:
                columns["product"].append(product)
                columns["pversion"].append(pversion)
    return pa.table({k: pa.array(v, pa.int32() if k == "rule_idx" else pa.string()) for k, v in columns.items()})


def evaluate(con: duckdb.DuckDBPyConnection, rules: RuleSet, now: datetime) -> list[RuleFinding]:
    """Evaluate rules over ``software_scoped`` and ``assets_scoped`` on ``con``.

    The steps, each a single pass: distinct (name, source) pairs are matched against the name
    globs in Python; the distinct titles of the names that can match are fetched and matched in
    full (vendor, version in the package's scheme); DuckDB joins that small match table back to
    the installs, scoped per rule. Allow catalogues fetch only the titles on their own assets.

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
    is_allow = [r.type == "allow" for r in all_rules]
    today = _today(now)
    findings: list[RuleFinding] = []
    with _registered(con) as register:
        register(f"nc_rules_{tag}", _rules_table(all_rules))
        for name, table in _scope_tables(all_rules, con, tag).items():
            register(name, table)
        register(f"nc_in_scope_{tag}", _arrow(con, _SCOPE_SQL.format(t=tag)))
        # Names that can match a deny/require/licence rule: usually a few hundred of tens of
        # thousands, so the next query reads only their installs.
        names = _arrow(con, _NAMES_SQL)
        wanted = sorted(
            {
                name
                for name, source in zip(
                    names.column("name").to_pylist(), names.column("source").to_pylist(), strict=True
                )
                if any(not is_allow[i] for i in matcher.candidates(name, source or ""))
            }
        )
        register(f"nc_names_{tag}", pa.table({"name": pa.array(wanted, pa.string())}))
        titles = _arrow(con, _TITLES_SQL.format(t=tag))
        register(f"nc_match_{tag}", _match_table(matcher, titles, lambda i: not is_allow[i], normalised=True))
        rows = con.execute(_SQL.format(t=tag)).fetchall()
        for _type, rule_idx, asset_id, hostname, product, pversion, source, first_seen, last_seen, n in rows:
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
            findings.extend(_allow_findings(con, register, all_rules, matcher, tag, today))
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
    con: duckdb.DuckDBPyConnection,
    register: Callable[[str, pa.Table], None],
    rules: list[Rule],
    matcher: _Matcher,
    tag: str,
    today: date,
) -> list[RuleFinding]:
    """Installs outside the approved catalogue of the allow rules that apply to their asset."""
    catalogue = _arrow(con, _CATALOGUE_SQL.format(t=tag))
    per_asset: dict[str, set[int]] = {}
    for rule_idx, asset_id in zip(
        catalogue.column("rule_idx").to_pylist(), catalogue.column("asset_id").to_pylist(), strict=True
    ):
        per_asset.setdefault(asset_id, set()).add(rule_idx)
    # Assets sharing the same set of applicable allow rules share a catalogue: a "signature".
    signatures: dict[frozenset[int], int] = {}
    sig_of_asset = {asset: signatures.setdefault(frozenset(idx), len(signatures)) for asset, idx in per_asset.items()}
    register(f"nc_catalogue_{tag}", catalogue)
    register(
        f"nc_asset_sig_{tag}",
        pa.table(
            {
                "asset_id": pa.array(list(sig_of_asset), pa.string()),
                "sig_id": pa.array(list(sig_of_asset.values()), pa.int32()),
                # Findings are charged to the first applicable allow rule in load order.
                "rule_idx": pa.array([min(per_asset[a]) for a in sig_of_asset], pa.int32()),
            }
        ),
    )
    unapproved: dict[str, list[Any]] = {k: [] for k in ("sig_id", "name", "version", "vendor", "source")}
    titles = _arrow(con, _CATALOGUE_TITLES_SQL.format(t=tag))
    for name, raw_version, raw_vendor, raw_source in zip(
        titles.column("name").to_pylist(),
        titles.column("version").to_pylist(),
        titles.column("vendor").to_pylist(),
        titles.column("source").to_pylist(),
        strict=True,
    ):
        version, vendor, source = raw_version or "", raw_vendor or "", raw_source or ""
        approved = set(matcher.match(name, version, vendor, source)[2])
        for signature, sig_id in signatures.items():
            if approved.isdisjoint(signature):
                for key, value in zip(unapproved, (sig_id, name, version, vendor, source), strict=True):
                    unapproved[key].append(value)
    register(
        f"nc_unapproved_{tag}",
        pa.table({k: pa.array(v, pa.int32() if k == "sig_id" else pa.string()) for k, v in unapproved.items()}),
    )
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
