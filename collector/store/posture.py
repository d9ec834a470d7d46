"""Posture facts out of the agents' reports: the freshest per agent subject, and the assets' columns.

Part of the store adapter (collector/store/duckdb.py calls these with its own cursor). An agent
report keeps its security facts as JSON in `sightings.detail` ("security", see
collector/wire/codec.py) and whether each collector ran in `collector_runs`; here both become
typed values, with every part a collector did not complete left unknown (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from collector.domain.posture import ListeningSocket, Posture

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_POSTURE_SQL = """
    -- The agent's collectors behind each part are named as in agent/facts/security/*.py.
    WITH latest AS (
        SELECT subject, arg_max(source_id, seen_at) AS source_id, arg_max(report_id, seen_at) AS report_id,
               max(seen_at) AS reported_at, arg_max(detail, seen_at) AS detail
        FROM sightings WHERE method = 'agent' GROUP BY subject
    ), states AS (
        SELECT c.subject,
               bool_or(c.name = 'security_updates' AND c.state = 'ok') AS updates_ok,
               bool_or(c.name = 'disk_encryption' AND c.state = 'ok') AS disk_ok,
               bool_or(c.name = 'firewall' AND c.state = 'ok') AS firewall_ok,
               bool_or(c.name = 'endpoint_protection' AND c.state = 'ok') AS protection_ok,
               bool_or(c.name = 'listening_ports' AND c.state = 'ok') AS ports_ok
        FROM collector_runs c JOIN latest l ON l.report_id = c.report_id AND l.subject = c.subject
        GROUP BY c.subject
    ), facts AS (
        SELECT l.subject, l.source_id, l.reported_at, s.updates_ok, s.disk_ok, s.firewall_ok, s.protection_ok,
               s.ports_ok,
               json_extract(l.detail, '$.security.root_encrypted')::BOOLEAN AS root_encrypted,
               from_json(json_extract(l.detail, '$.security.pending_security_updates'),
                         '[{"name":"VARCHAR","installed":"VARCHAR","available":"VARCHAR","suite":"VARCHAR"}]')
                   AS pending,
               from_json(json_extract(l.detail, '$.security.firewalls'),
                         '[{"name":"VARCHAR","enabled":"BOOLEAN","active":"BOOLEAN","rules":"BIGINT"}]') AS firewalls,
               from_json(json_extract(l.detail, '$.security.endpoint_protection'),
                         '[{"product":"VARCHAR","vendor":"VARCHAR","running":"BOOLEAN"}]') AS protection,
               from_json(json_extract(l.detail, '$.security.listening'),
                         '[{"protocol":"VARCHAR","address":"VARCHAR","port":"BIGINT","process":"VARCHAR"}]')
                   AS listening
        FROM latest l LEFT JOIN states s USING (subject)
    ), pending_now AS (
        SELECT subject, u.name AS name, u.installed AS installed
        FROM (SELECT subject, unnest(pending) AS u FROM facts WHERE updates_ok)
    ), pending_first AS (
        -- When each update still pending was first reported pending for the version installed now.
        -- Only reports that listed pending updates are parsed (a cheap text test first).
        SELECT h.subject, h.u.name AS name, h.u.installed AS installed, min(h.seen_at) AS since
        FROM (SELECT subject, seen_at,
                     unnest(from_json(json_extract(detail, '$.security.pending_security_updates'),
                                      '[{"name":"VARCHAR","installed":"VARCHAR"}]')) AS u
              FROM sightings
              WHERE method = 'agent' AND subject IN (SELECT subject FROM pending_now)
                AND contains(CAST(detail AS VARCHAR), '"pending_security_updates":[{')) h
        GROUP BY ALL
    ), oldest AS (
        SELECT p.subject, min(f.since) AS since
        FROM pending_now p JOIN pending_first f USING (subject, name, installed) GROUP BY p.subject
    )
    SELECT f.subject, f.source_id, epoch_us(f.reported_at) AS reported_at, f.updates_ok, f.disk_ok, f.firewall_ok,
           f.protection_ok, f.ports_ok, f.root_encrypted, f.pending, f.firewalls, f.protection, f.listening,
           epoch_us(o.since) AS oldest_since
    FROM facts f LEFT JOIN oldest o USING (subject)
    ORDER BY f.subject"""


def _time(us: int | None) -> datetime | None:
    return None if us is None else _EPOCH + timedelta(microseconds=us)


def _pending(items: Sequence[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(f"{u['name']} {u['installed'] or '?'} -> {u['available'] or '?'}"
                 + (f" ({u['suite']})" if u.get("suite") else "") for u in items or () if u and u.get("name"))


def _firewall(f: dict[str, Any]) -> str:
    state = ["active" if f.get("active") else "inactive", "enabled" if f.get("enabled") else "not enabled at boot"]
    if f.get("rules"):
        state.append(f"{f['rules']} rules")
    return f"{f.get('name') or '?'} ({', '.join(state)})"


def _socket(p: dict[str, Any]) -> ListeningSocket:
    protocol = str(p.get("protocol") or "").lower().rstrip("6") or "tcp"  # "tcp6" is tcp over IPv6
    return ListeningSocket(protocol=protocol, address=str(p.get("address") or ""), port=int(p.get("port") or 0),
                           process=str(p.get("process") or ""))


def load_posture(cur: duckdb.DuckDBPyConnection) -> dict[str, Posture]:
    """subject -> the posture of the freshest report of every agent subject."""
    c: dict[str, list[Any]] = cur.sql(_POSTURE_SQL).to_arrow_table().to_pydict()
    out: dict[str, Posture] = {}
    for n, subject in enumerate(c["subject"]):
        reported = _time(c["reported_at"][n])
        if reported is None:
            continue
        updates_ok, disk_ok, firewall_ok = c["updates_ok"][n], c["disk_ok"][n], c["firewall_ok"][n]
        protection_ok, ports_ok = c["protection_ok"][n], c["ports_ok"][n]
        firewalls = c["firewalls"][n] or []
        out[subject] = Posture(
            subject=subject, source_id=c["source_id"][n], reported_at=reported,
            pending_updates=_pending(c["pending"][n]) if updates_ok else None,
            oldest_pending_since=_time(c["oldest_since"][n]) if updates_ok else None,
            disk_encrypted=bool(c["root_encrypted"][n]) if disk_ok else None,
            firewall_active=any(f.get("active") for f in firewalls if f) if firewall_ok else None,
            firewalls=tuple(_firewall(f) for f in firewalls if f) if firewall_ok else None,
            endpoint_protection=tuple(
                f"{p['product']} ({'running' if p.get('running') else 'installed, not running'})"
                for p in c["protection"][n] or () if p and p.get("product")) if protection_ok else None,
            listening=tuple(_socket(p) for p in c["listening"][n] or () if p and p.get("port"))
            if ports_ok else None,
        )
    return out
