"""The SQL rule engine: rules evaluated over the store's ``software_scoped`` and ``assets_scoped`` views.

Why it is shaped like this: an estate of 10,000 hosts with 1,500 installs each is 15 M rows, but
far fewer distinct names and *titles* (name, version, vendor, source), because most hosts share a
base image. Python does the part SQL cannot (name normalisation, globs, per-ecosystem version
order: :class:`collector.rules.matching.TitleMatcher`) once per distinct value; DuckDB does the
part Python cannot do fast (joining a small Arrow match table back to 15 M installs, scoping rules
to assets, anti-joins for ``require`` rules, seat counting for ``licence``). The passes:

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

Inputs (views of migration 002)::

    software_scoped(asset_id, hostname, os_family, device_type, ips VARCHAR[], name, version,
                    vendor, source, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ)
    assets_scoped(asset_id, hostname, os_family, device_type, ips VARCHAR[],
                  has_software_inventory BOOLEAN, first_seen, last_seen)

What each rule type means is :mod:`collector.rules.engine`'s to say; this module only makes it fast.
The helper tables it registers live on a cursor of its own and are gone when it returns, so a
read-only store works and nothing is left behind.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Final

import duckdb
import pyarrow as pa

from collector.errors import StoreError
from collector.rules.engine import RuleFinding, rule_finding, sorted_findings, utc_date
from collector.rules.matching import TitleMatcher
from collector.rules.schema import Rule, RuleSet
from collector.store.duckdb import Store

__all__ = ["SqlRuleEngine", "narrow_to_assets"]


class SqlRuleEngine:
    """A :class:`collector.rules.engine.RuleEngine` over one store's views."""

    def __init__(self, store: Store, only: Collection[str] | None = None) -> None:
        """`only`: evaluate the per-asset rules (deny, allow, require) for these asset ids alone.

        Why: the live path (collector/inventory/live.py) re-evaluates the assets one update touched,
        not 15 M installs. Licence rules count seats over every asset, so they are always evaluated
        whole. The views are narrowed by temporary views of the same names on this evaluation's own
        cursor (DuckDB resolves temporary objects first), so the passes below are unchanged.
        """
        self._store = store
        self._only = only

    def evaluate(self, rules: RuleSet, now: datetime) -> list[RuleFinding]:
        """Evaluate ``rules`` over ``software_scoped`` and ``assets_scoped`` at time ``now``.

        The steps, each a single pass: distinct (name, source) pairs are matched against the name
        globs in Python; the distinct titles of the names that can match are fetched and matched in
        full (vendor, version in the package's scheme); DuckDB joins that small match table back to
        the installs, scoped per rule. Allow catalogues fetch only the titles on their own assets.

        Raises:
            StoreError: DuckDB failed (the message names the database file).
        """
        software = [r for r in rules.rules if r.type != "posture"]  # posture rules: collector/rules/posture.py
        if not software:
            return []
        if self._only is None:
            return self._run(software, now, None)
        licence = [r for r in software if r.type == "licence"]
        per_asset = [r for r in software if r.type != "licence"]
        return sorted_findings([*(self._run(per_asset, now, self._only) if per_asset and self._only else ()),
                                *(self._run(licence, now, None) if licence else ())])

    def _run(self, rules: list[Rule], now: datetime, only: Collection[str] | None) -> list[RuleFinding]:
        con = self._store._cursor()
        try:
            if only is not None:
                narrow_to_assets(con, only)
            return _evaluate(con, rules, now)
        except duckdb.Error as exc:
            raise StoreError(f"{self._store.path}: rule evaluation failed: {exc}") from exc
        finally:
            con.close()


def narrow_to_assets(con: duckdb.DuckDBPyConnection, only: Collection[str], *, sightings: bool = False) -> None:
    """Make the views the passes read show the assets `only` alone, on this cursor (with `sightings`,
    also the sightings table: vulnerability matching reads each member's latest agent report).

    Temporary views named like the tables beneath the views (`assets`, `asset_members`,
    `software_installs`) shadow them, also inside the stored views (DuckDB resolves temporary objects
    first), so `software_scoped` reads the installs of a few subjects: the scan filters 15 M rows by
    subject instead of joining them all. The temporary views die with the cursor.
    """
    ((name,),) = con.execute("SELECT current_database()").fetchall()
    db = '"' + str(name).replace('"', '""') + '"'  # the file's own catalog, never the temporary one
    con.register("nc_only_assets", pa.table({"asset_id": pa.array(sorted(only), pa.string())}))
    only_ids = "asset_id IN (SELECT asset_id FROM nc_only_assets)"
    con.execute(f"CREATE TEMP VIEW assets AS SELECT * FROM {db}.main.assets WHERE {only_ids}")
    con.execute(f"CREATE TEMP VIEW asset_members AS SELECT * FROM {db}.main.asset_members WHERE {only_ids}")
    con.execute(f"""CREATE TEMP VIEW software_installs AS SELECT * FROM {db}.main.software_installs
                    WHERE subject IN (SELECT subject FROM {db}.main.asset_members WHERE {only_ids})""")
    if sightings:
        con.execute(f"""CREATE TEMP VIEW sightings AS SELECT * FROM {db}.main.sightings
                        WHERE subject IN (SELECT subject FROM {db}.main.asset_members WHERE {only_ids})""")


def _ip_key(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Fixed-width hex of an address, so that SQL string comparison orders addresses."""
    return f"{int(ip):032x}"


@contextmanager
def registered(con: duckdb.DuckDBPyConnection) -> Iterator[Callable[[str, pa.Table], None]]:
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


def _match_table(matcher: TitleMatcher, titles: pa.Table, wanted: Callable[[int], bool]) -> pa.Table:
    """Match distinct raw titles to the rules ``wanted`` selects; one row per (title, rule)."""
    names: list[str] = []
    versions: list[str] = []
    vendors: list[str] = []
    sources: list[str] = []
    rule_idx: list[int] = []
    products: list[str] = []
    pversions: list[str] = []
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
            names.append(name)
            versions.append(version)
            vendors.append(vendor)
            sources.append(source)
            rule_idx.append(index)
            products.append(product)
            pversions.append(pversion)
    text = pa.string()
    return pa.table({
        "name": pa.array(names, text), "version": pa.array(versions, text), "vendor": pa.array(vendors, text),
        "source": pa.array(sources, text), "rule_idx": pa.array(rule_idx, pa.int32()),
        "product": pa.array(products, text), "pversion": pa.array(pversions, text),
    })


def _evaluate(con: duckdb.DuckDBPyConnection, all_rules: list[Rule], now: datetime) -> list[RuleFinding]:
    """The passes of the module docstring, on a cursor of this evaluation's own."""
    tag = uuid.uuid4().hex[:12]
    matcher = TitleMatcher(all_rules)
    is_allow = [r.type == "allow" for r in all_rules]
    today = utc_date(now)
    findings: list[RuleFinding] = []
    with registered(con) as register:
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
        register(f"nc_match_{tag}", _match_table(matcher, titles, lambda i: not is_allow[i]))
        rows = con.execute(_SQL.format(t=tag)).fetchall()
        for _type, rule_idx, asset_id, hostname, product, pversion, source, first_seen, last_seen, n in rows:
            findings.append(
                rule_finding(
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
    return sorted_findings(findings)


def _allow_findings(
    con: duckdb.DuckDBPyConnection,
    register: Callable[[str, pa.Table], None],
    rules: list[Rule],
    matcher: TitleMatcher,
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
    sig_ids: list[int] = []
    unapproved: dict[str, list[str]] = {k: [] for k in ("name", "version", "vendor", "source")}
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
                sig_ids.append(sig_id)
                for column, value in zip(unapproved.values(), (name, version, vendor, source), strict=True):
                    column.append(value)
    register(
        f"nc_unapproved_{tag}",
        pa.table(
            {"sig_id": pa.array(sig_ids, pa.int32()), **{k: pa.array(v, pa.string()) for k, v in unapproved.items()}}
        ),
    )
    rows = con.execute(_ALLOW_SQL.format(t=tag)).fetchall()
    out: list[RuleFinding] = []
    for rule_idx, asset_id, hostname, name, version, _vendor, source, first_seen, last_seen in rows:
        product, pversion = matcher.title(name, version, source)
        out.append(
            rule_finding(
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
