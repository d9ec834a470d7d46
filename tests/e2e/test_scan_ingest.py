"""Scanner reports through the real collector: observations, SNMP details and coverage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from netcensus.v1 import report_pb2

from agent.facts.model import NetworkInterface, SoftwareItem
from agent.scan.model import Method, Observation, ScanBatch, SeenVia, SnmpSystem, TargetStatus
from agent.transport.client import IngestClient
from agent.transport.encode import encode_scan
from agent.transport.state import NodeState
from tests.conftest import run_cli


def test_scan_batch_with_every_kind_of_detail(collector, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    router = Observation(
        method=Method.SNMP, seen_at=now, ip="192.0.2.1", mac="00:1b:21:0a:00:fe", hostname="rt-core",
        vendor="Intel Corporate", device_type="router", os_family="linux",
        snmp=SnmpSystem(descr="Linux rt-core 6.1", object_id="1.3.6.1.4.1.8072.3.2.10", name="rt-core"),
        software=(SoftwareItem("OpenSSL 1.0.1e (32-bit)", "", "snmp"),),
        interfaces=(NetworkInterface("eth0", "00:1b:21:0a:00:fe", ("192.0.2.1/24", "127.0.0.1/8")),),
        attributes=(("hr_num_users", "2"), ("lldp_port_id", "Gi0/1")))
    behind = Observation(method=Method.SNMP_ARP_CACHE, seen_at=now, ip="198.51.100.7", mac="3c:22:fb:0a:00:02",
                         seen_via=SeenVia(device_ip="192.0.2.1", device_name="rt-core", if_index=2))
    batch = ScanBatch(scan_id="sweep-1", targets=("192.0.2.0/24",), methods=(Method.SNMP,), started_at=now,
                      finished_at=now, observations=(router, behind),
                      statuses=(TargetStatus("192.0.2.9", Method.SNMP, ok=False, reason="timeout"),), complete=True)
    state = NodeState.load(tmp_path / "state.json")
    with IngestClient(collector.target, state, kind=report_pb2.SOURCE_KIND_SCANNER) as client:
        client.ensure_enrolled()
        (ack,) = client.send([encode_scan(batch, source_id=state.source_id, seq=state.take_seq(), now=now)])
    assert ack.stored, ack.reason

    assets = {a["ips"][0]: a for a in json.loads(
        run_cli("netcensus", "assets", "--collector", collector.target, "--format", "json").out)}
    assert set(assets) == {"192.0.2.1", "198.51.100.7"}
    assert assets["192.0.2.1"]["hostnames"] == ["rt-core"]
    assert assets["192.0.2.1"]["device_type"] == "router"
    assert "127.0.0.1" not in assets["192.0.2.1"]["ips"]
    assert assets["198.51.100.7"]["vendor"] == "Apple, Inc."  # from the IEEE OUI registry
    store = collector.collector.store
    detail = store.query("SELECT detail FROM sightings WHERE method = 'snmp'")[0]["detail"]
    assert json.loads(detail)["attributes"] == {"hr_num_users": "2", "lldp_port_id": "Gi0/1"}
    via = store.query("SELECT seen_via_name, seen_via_port FROM sightings WHERE method = 'snmp-arp-cache'")[0]
    assert via == {"seen_via_name": "rt-core", "seen_via_port": "2"}
    assert store.query("SELECT name FROM software_installs WHERE pkg_source = 'snmp'") == [
        {"name": "OpenSSL 1.0.1e (32-bit)"}]
    assert store.query("SELECT targets, complete FROM scan_runs") == [{"targets": ["192.0.2.0/24"], "complete": True}]
