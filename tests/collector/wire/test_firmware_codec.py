"""The firmware field through the collector's codec: an SNMP device's firmware and an agent's OS
version arrive as one field; old agents without it, and bad values, are handled like every string."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from netcensus.v1 import report_pb2

from collector.wire.codec import InvalidReport, decode_report
from collector.wire.validate import MAX_STRING

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _report() -> report_pb2.Report:
    r = report_pb2.Report(report_id=str(uuid.uuid4()), source_id="s-1", seq=1)
    r.created_at.FromDatetime(NOW - timedelta(minutes=1))
    return r


def _scan(firmware: str | None) -> report_pb2.Report:
    r = _report()
    r.scan.scan_id = "sweep-1"
    r.scan.complete = True
    obs = r.scan.observations.add(ip="192.0.2.7", method=report_pb2.METHOD_SNMP, model="WS-C3750G-12S-S")
    obs.seen_at.FromDatetime(NOW - timedelta(minutes=1))
    if firmware is not None:
        obs.firmware = firmware
    return r


@pytest.mark.parametrize(("sent", "stored"), [(" 12.2(50)SE5 ", "12.2(50)SE5"), (None, ""), ("", "")])
def test_snmp_firmware_is_stripped_and_absent_reads_empty(sent: str | None, stored: str) -> None:
    (sighting,) = decode_report(_scan(sent), NOW).sightings
    assert (sighting.firmware, sighting.model) == (stored, "WS-C3750G-12S-S")


@pytest.mark.parametrize(("value", "reason"), [("x" * (MAX_STRING + 1), "longer than"), ("15.2\x00", "NUL")])
def test_bad_firmware_is_refused_naming_the_field(value: str, reason: str) -> None:
    with pytest.raises(InvalidReport, match=rf"observations\[0\]\.firmware: .*{reason}"):
        decode_report(_scan(value), NOW)


def test_an_agents_os_version_is_its_firmware() -> None:
    r = _report()
    facts = r.host_snapshot.facts
    facts.hostname = "pc-1"
    facts.os.name, facts.os.version, facts.os.family = "Debian GNU/Linux", "12", "linux"
    r.host_snapshot.collectors.add(name="deb", state=report_pb2.COLLECTOR_STATE_OK)
    (host,) = decode_report(r, NOW).sightings
    assert (host.os, host.firmware) == ("Debian GNU/Linux 12", "12")
