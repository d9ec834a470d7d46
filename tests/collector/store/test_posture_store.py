"""Posture out of stored agent reports (collector/store/posture.py) on a real DuckDB file.

Reports are written where ingest leaves them (a sighting with the JSON detail the codec writes,
and the report's collector runs), so each test states what an agent said and when.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from collector.store.duckdb import Store

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)
COLLECTORS = ("security_updates", "disk_encryption", "firewall", "endpoint_protection", "listening_ports")
OPENSSL = {"name": "openssl", "installed": "3.0.11-1", "available": "3.0.13-1", "suite": "bookworm-security"}
EXPAT = {"name": "libexpat1", "installed": "2.5.0-1", "available": "2.5.0-1+deb12u1", "suite": "bookworm-security"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "p.duckdb")
    yield s
    s.close()


def report(store: Store, at: datetime, pending: list[dict[str, str]], *, failed: tuple[str, ...] = (),
           **security: object) -> None:
    """One agent report of subject agent:s1 at `at`, compact JSON as collector/wire/codec.py writes it."""
    rid = f"r-{at.timestamp()}"
    detail = json.dumps({"security": {"listening": [], "endpoint_protection": [], "root_encrypted": False,
                                      "encrypted_volumes": [], "firewalls": [], "pending_security_updates": pending,
                                      **security}}, separators=(",", ":"))
    sighting = pa.Table.from_pylist([{"report_id": rid, "source_id": "s1", "method": "agent", "seen_at": at,
                                      "subject": "agent:s1", "ips": [], "macs": [], "networks": [], "detail": detail}])
    runs = pa.Table.from_pylist([{"report_id": rid, "subject": "agent:s1", "name": c,
                                  "state": "failed" if c in failed else "ok"} for c in COLLECTORS])
    store.write([("INSERT INTO sightings BY NAME SELECT * REPLACE (detail::JSON AS detail) FROM s", []),
                 ("INSERT INTO collector_runs BY NAME SELECT * FROM c", [])], tables={"s": sighting, "c": runs})


def test_oldest_pending_follows_updates_installed_and_new(store: Store) -> None:
    report(store, T0, [OPENSSL])
    report(store, T0 + DAY, [OPENSSL, EXPAT])
    p = store.load_posture()["agent:s1"]
    assert p.pending_updates == ("openssl 3.0.11-1 -> 3.0.13-1 (bookworm-security)",
                                 "libexpat1 2.5.0-1 -> 2.5.0-1+deb12u1 (bookworm-security)")
    assert p.oldest_pending_since == T0 and p.reported_at == T0 + DAY

    report(store, T0 + 2 * DAY, [EXPAT])              # openssl installed: the oldest is now expat's
    assert store.load_posture()["agent:s1"].oldest_pending_since == T0 + DAY

    report(store, T0 + 3 * DAY, [], failed=("security_updates",))   # could not tell: unknown, nothing forgotten
    blind = store.load_posture()["agent:s1"]
    assert blind.pending_updates is None and blind.oldest_pending_since is None
    # the next openssl fix, for the version installed on day 2: pending since now; expat still since day 1
    report(store, T0 + 4 * DAY, [EXPAT, {**OPENSSL, "installed": "3.0.13-1", "available": "3.0.14-1"}])
    again = store.load_posture()["agent:s1"]
    assert again.oldest_pending_since == T0 + DAY and len(again.pending_updates or ()) == 2
    assert store.query("SELECT update_key, since FROM pending_update_since ORDER BY since") == [
        {"update_key": "libexpat1 2.5.0-1", "since": T0 + DAY},
        {"update_key": "openssl 3.0.13-1", "since": T0 + 4 * DAY}]


def test_facts_and_unknowns(store: Store) -> None:
    report(store, T0, [], failed=("firewall", "listening_ports"), root_encrypted=True,
           endpoint_protection=[{"product": "ClamAV", "vendor": "Cisco", "running": False}],
           firewalls=[{"name": "ufw", "enabled": True, "active": False, "rules": 3}],
           listening=[{"protocol": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"}])
    p = store.load_posture()["agent:s1"]
    assert p.pending_updates == () and p.oldest_pending_since is None
    assert p.disk_encrypted is True and p.endpoint_protection == ("ClamAV (installed, not running)",)
    assert p.firewall_active is None and p.firewalls is None           # its collector failed
    assert p.listening is None and p.exposed is None

    report(store, T0 + DAY, [], firewalls=[{"name": "ufw", "enabled": True, "active": False, "rules": 3}],
           listening=[{"protocol": "tcp6", "address": "::", "port": 3389, "process": "xrdp"},
                      {"protocol": "tcp", "address": "127.0.0.1", "port": 5901, "process": "Xvnc"}])
    p = store.load_posture()["agent:s1"]
    assert p.firewall_active is False and p.firewalls == ("ufw (inactive, enabled, 3 rules)",)
    assert p.listening == ("tcp6 [::]:3389 (xrdp)", "tcp 127.0.0.1:5901 (Xvnc)")
    assert [(s.protocol, s.address, s.port, s.process) for s in p.exposed or ()] == [("tcp", "::", 3389, "xrdp")]
