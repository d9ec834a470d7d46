"""A real store holding what hostile devices and agents call themselves, stored the normal way.

Values from issue #14: ESC ]0;title BEL (window title), ESC [2J (clear screen), ESC [8m (hidden
text), a bidi override, newlines and CR that would forge lines, and spreadsheet formulas
(=HYPERLINK, +, -, @, a leading tab). They enter as protobuf reports through the wire codec and the
store's ingest path, exactly as a collector receives them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from netcensus.v1 import report_pb2

from collector.store.duckdb import Store
from collector.wire.codec import decode_report

NOW = datetime.now(UTC).replace(microsecond=0)

SYS_NAME = "\x1b]0;owned\x07core-sw1\x1b[2J"
SYS_DESCR = "Cisco IOS\r\n2026-12-02 INFO forged\x1b[8mhidden\x1b[0m \u202efdp.exe"
HOSTNAME = '=HYPERLINK("http://example.invalid/x","pc")'
SOFTWARE = ["+cmd|' /C calc'!A0", "@SUM(1+1)", "\tteamviewer", "-2+3", "note\u202etxt.exe", "vnc\x1b[8mserver"]
RAW = [SYS_NAME, SYS_DESCR, HOSTNAME, *SOFTWARE]
# What must never reach a terminal or a spreadsheet cell raw.
DANGEROUS_CHARS = "\x1b\x07\r\t\u202e"


def _scan(now: datetime) -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id="scanner-1", seq=1, software_version="test")
    r.created_at.FromDatetime(now)
    scan = r.scan
    scan.scan_id = "sweep-1"
    scan.targets.append("192.0.2.0/24")
    scan.methods.append(report_pb2.METHOD_SNMP)
    scan.started_at.FromDatetime(now - timedelta(seconds=5))
    scan.finished_at.FromDatetime(now)
    scan.complete = True
    obs = scan.observations.add(ip="192.0.2.1", mac="00:1b:21:0a:00:01", method=report_pb2.METHOD_SNMP)
    obs.seen_at.FromDatetime(now)
    obs.hostname = SYS_NAME
    obs.snmp.name = SYS_NAME
    obs.snmp.descr = SYS_DESCR
    obs.snmp.location = "=1+1"
    for name in SOFTWARE:
        obs.software.add(name=name, version="1.0", source="snmp")
    scan.statuses.add(target="192.0.2.0/24", method=report_pb2.METHOD_SNMP, ok=True)
    return r


def _host(now: datetime) -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id="0f1e2d3c-0000-4000-8000-000000000001", seq=1,
                          software_version="test")
    r.created_at.FromDatetime(now)
    snap = r.host_snapshot
    snap.facts.hostname = HOSTNAME
    snap.facts.os.family = "linux"
    snap.facts.os.name = "Debian\x1b[2J"
    nic = snap.facts.interfaces.add(name="eth0", mac="00:1b:21:0a:00:02")
    nic.addresses.append("192.0.2.2/24")
    for name in SOFTWARE:
        snap.software.add(name=name, version="1.0", arch="amd64", source="deb")
    snap.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK, items=len(SOFTWARE))
    return r


def hostile_store(path: Path) -> Path:
    """A netcensus database at `path` holding one hostile SNMP device and one hostile agent."""
    store = Store.open(path)
    try:
        # As the Enroll servicer records them: the host name is whatever the node sent.
        store.enroll_source("scanner-1", "scanner", SYS_NAME, "0" * 64, NOW)
        store.enroll_source("0f1e2d3c-0000-4000-8000-000000000001", "agent", HOSTNAME + "\n" + SYS_DESCR,
                            "1" * 64, NOW)
        store.store_reports([decode_report(_scan(NOW), NOW), decode_report(_host(NOW), NOW)], NOW)
    finally:
        store.close()
    return path
