"""Assets per device: a namespace lab of real-device SNMP recordings swept with ARP and SNMP, through a
real collector; the ideal is 1.00 (issue #15: "a responder is one asset").

Each device is a namespace with a vendor MAC of the lab's choosing, serving a recorded walk with
snmpsim: its interface MACs and sysName are whatever the recorded device said, unrelated to the MAC
that answers ARP in the lab, which is the case that used to split every device in two. The recordings
are snmpsim's and snmpsim-data's real walks that carry interfaces (UPS, PDU, sensor, Linux, Windows)
plus two hand-written ones (tests/data/scan/snmpsim: a switch, and a router whose agent answers only
its system group). Needs root (namespaces) and snmpsim.

It uses only what the lab, the sweep, the transport and the collector offered before the L2 binding
existed, so the same script measures the code before and after it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.lab.namespaces import Lab, LabHost

REPO = Path(__file__).resolve().parents[1]
HAND_WRITTEN = REPO / "tests" / "data" / "scan" / "snmpsim"


def _recordings() -> list[tuple[str, Path]]:
    """(name, .snmprec file) of every device the lab serves."""
    import snmpsim
    import snmpsim_data

    sim = Path(snmpsim.__file__).parent / "data" / "recorded"
    data = Path(snmpsim_data.__file__).parent / "data"
    return [
        ("ups-apc-7902b", data / "UPS" / "apc-7902b.snmprec"),
        ("ups-apc-8641", data / "UPS" / "apc-8641.snmprec"),
        ("sensor-geist", data / "iot" / "geist-temperature-sensor.snmprec"),
        ("pdu-tripplite", data / "network" / "appliance" / "tripplite-poweralert.snmprec"),
        ("linux", sim / "linux-full-walk.snmprec"),
        ("winxp", sim / "winxp-full-walk.snmprec"),
        ("switch", HAND_WRITTEN / "switch" / "public.snmprec"),
        ("isp-gw", HAND_WRITTEN / "sysgroup-only" / "public.snmprec"),
    ]


def lab_hosts(workdir: Path) -> list[LabHost]:
    """One namespace per recording, 192.0.2.21 upwards, each with a MAC from an Intel block."""
    hosts = []
    for n, (name, walk) in enumerate(_recordings(), start=21):
        served = workdir / name
        served.mkdir(parents=True, exist_ok=True)
        shutil.copy(walk, served / "public.snmprec")
        hosts.append(LabHost(name, f"192.0.2.{n}", f"00:1b:21:0f:00:{n:02x}", snmpsim_data=served))
    return hosts


def sweep_into_collector(lab: Lab, target: str, state_dir: Path) -> None:
    """Sweep the lab with ARP and SNMP inside the scanner namespace; send every batch to `target`."""
    from netcensus.v1 import report_pb2

    from agent.scan.jsonio import batch_from_dict
    from agent.transport.client import IngestClient
    from agent.transport.encode import encode_scan
    from agent.transport.state import NodeState

    batches = lab.sweep(["192.0.2.0/24"], ["arp", "snmp"], {"time_budget_s": 240, "timeout_s": 2, "retries": 1})
    state = NodeState.load(state_dir / "state.json")
    with IngestClient(target, state, kind=report_pb2.SOURCE_KIND_SCANNER) as client:
        client.ensure_enrolled()
        for raw in batches:
            batch = batch_from_dict(raw)
            (ack,) = client.send([encode_scan(batch, source_id=state.source_id, seq=state.take_seq(),
                                              now=datetime.now(UTC))])
            if not ack.stored:
                raise RuntimeError(f"collector refused a batch: {ack.reason}")


def per_device(assets: Sequence[Any], hosts: Sequence[LabHost]) -> dict[str, list[Any]]:
    """Each lab device -> the assets holding its lab address or the MAC its namespace answers with."""
    return {h.name: [a for a in assets if h.ip in a.ips or h.mac in a.macs] for h in hosts}


def measure(workdir: Path) -> tuple[int, int, dict[str, list[Any]]]:
    """(assets of lab devices, devices, device -> its assets) for one sweep of the lab."""
    from collector.config import ServeConfig
    from collector.inventory.refresh import refresh
    from collector.serve.server import BackgroundCollector

    rules = workdir / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "none.yaml").write_text(  # one rule that matches nothing: the figure is about identity only
        "rules:\n  - id: never\n    title: never matches\n    severity: info\n    type: deny\n"
        "    match:\n      name: ['zz-no-such-package-zz']\n", encoding="utf-8")
    hosts = lab_hosts(workdir / "walks")
    config = ServeConfig(db=workdir / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(rules,),
                         ghost_after=timedelta(days=14), refresh_interval=timedelta(0), open_enrolment=True)
    with Lab(hosts) as lab, BackgroundCollector(config) as running:
        sweep_into_collector(lab, running.target, workdir)
        assets = refresh(running.collector.store, now=datetime.now(UTC) + timedelta(seconds=1),
                         ghost_after=timedelta(days=14), rules=None, persist=False).assets
    mine = per_device(assets, hosts)
    distinct = {a.asset_id for found in mine.values() for a in found}
    return len(distinct), len(hosts), mine


def main() -> None:
    """Print assets per device for the lab, and how each device resolved."""
    with tempfile.TemporaryDirectory(prefix="nc-apd-") as tmp:
        n_assets, n_devices, mine = measure(Path(tmp))
    print(f"assets per device: {n_assets / n_devices:.2f} ({n_assets} assets for {n_devices} devices; ideal 1.00)")
    for name, found in mine.items():
        print(f"  {name:14s} {len(found)} asset(s): "
              + "; ".join(f"{a.hostnames[:1] or a.ips[:1]} keys {sorted(set(a.matched_by.values()))}" for a in found))


if __name__ == "__main__":
    sys.exit(main())
