"""One device of every type SNMP can see, served by snmpsim in a namespace and swept at both depths.

Recordings of real devices from the snmpsim-data package (BSD-2-Clause), plus a printer and an IP
phone written from their MIBs (tests/data/scan/classify). The sweep must type each from its own
evidence and say why (typeEvidence), name its maker (vendorEvidence), and give the same answers at
--snmp-depth discovery as at inventory. "laptop" and "virtual" are not in the list: nothing an SNMP
agent answers tells a laptop from a workstation or a VM from a server.
"""

from __future__ import annotations

import bz2
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.lab.namespaces import Lab, LabHost, iter_observations
from tests.agent.scan.conftest import need_root

pytestmark = [pytest.mark.root]

DATA = Path(__file__).resolve().parents[3] / "data" / "scan"

# (recording, expected type, expected vendor). snmpsim-data paths are relative to its data/ folder.
DEVICES: tuple[tuple[str, str, str], ...] = (
    ("local:snmpsim/switch/public.snmprec", "switch", "Cisco"),
    ("network/router/vyatta-unknown.snmprec.bz2", "router", "Vyatta"),
    ("network/firewall/clavister-amaranten.snmprec.bz2", "firewall", "Clavister"),
    ("network/wifi/ubiquiti-m5.snmprec.bz2", "wireless", "Ubiquiti"),
    ("local:classify/printer.snmprec", "printer", "HP"),
    ("UPS/eaton-93e-80.snmprec.bz2", "ups", "Eaton"),
    ("storage/isilon-onefs.snmprec.bz2", "storage", ""),
    ("camera/samsung-ipolis.snmprec.bz2", "camera", ""),
    ("local:classify/phone.snmprec", "phone", "Cisco"),
    ("iot/geist-temperature-sensor.snmprec", "iot", ""),
    # Says nothing of itself but its sysObjectID, the root of its vendor's MIB (WebGraph-Thermometer-MIB).
    ("local:classify/thermometer.snmprec", "iot", "W&T"),
    ("bmc/hp-onboard-administrator.snmprec.bz2", "bmc", "HP"),
    # A Linux host on a PC CPU (i686). Not ibm-x3550-m3: that recording is the server's management
    # module, a Linux on a MIPS CPU, which is no longer typed a server.
    ("os/linux/slackware.snmprec.bz2", "server", ""),
    ("os/windows/XP.snmprec.bz2", "workstation", ""),
)
IPS = tuple(f"192.0.2.{100 + i}" for i in range(len(DEVICES)))


def _read(name: str) -> bytes:
    if name.startswith("local:"):
        return (DATA / name.removeprefix("local:")).read_bytes()
    snmpsim_data = pytest.importorskip("snmpsim_data")
    path = Path(snmpsim_data.__file__).parent / "data" / name
    return bz2.decompress(path.read_bytes()) if name.endswith(".bz2") else path.read_bytes()


@pytest.fixture(scope="module")
def types_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    need_root()
    if not (Path(sys.executable).parent / "snmpsim-command-responder").exists() and not shutil.which(
            "snmpsim-command-responder"):
        pytest.skip("snmpsim is not installed")
    # One lite simulator serves every device, each on its own address: it picks the data file by
    # community and endpoint (public/1.3.6.1.6.1.1.<n>.snmprec for the n-th endpoint).
    root = tmp_path_factory.mktemp("types")
    (root / "public").mkdir()
    for n, (name, _, _) in enumerate(DEVICES):
        (root / "public" / f"1.3.6.1.6.1.1.{n}.snmprec").write_bytes(_read(name))
    host = LabHost("types", IPS[0], "00:00:0c:aa:cc:01", snmpsim_data=root, snmpsim_lite=True,
                   extra_ips=tuple(f"{ip}/24" for ip in IPS[1:]),
                   snmpsim_args=tuple(f"--agent-udpv4-endpoint={ip}:161" for ip in IPS[1:]))
    with Lab([host]) as lab:
        yield lab


def _devices(lab: Lab, depth: str) -> dict[str, dict[str, Any]]:
    batches = lab.sweep(list(IPS), ["snmp"], {"time_budget_s": 120, "timeout_s": 2, "retries": 2,
                                              "snmp_depth": depth})
    return {o["ip"]: o for o in iter_observations(batches) if o["method"] == "snmp"}


@pytest.fixture(scope="module")
def swept(types_lab: Lab) -> dict[str, dict[str, dict[str, Any]]]:
    return {depth: _devices(types_lab, depth) for depth in ("inventory", "discovery")}


@pytest.mark.parametrize(("index", "expected_type", "expected_vendor"),
                         [(i, t, v) for i, (_, t, v) in enumerate(DEVICES)], ids=[d[0] for d in DEVICES])
def test_every_type_from_its_own_evidence(swept: dict[str, dict[str, dict[str, Any]]], index: int,
                                          expected_type: str, expected_vendor: str) -> None:
    dev = swept["inventory"][IPS[index]]
    attrs = dict(dev["attributes"])
    assert dev["device_type"] == expected_type, attrs.get("typeEvidence")
    assert attrs["typeEvidence"], "the type says why"
    if expected_vendor:
        assert dev["vendor"] == expected_vendor, attrs.get("vendorEvidence")
    assert dev["vendor"] and attrs["vendorEvidence"]
    # The quick identity pass reaches the same answers with the same reasons.
    quick = swept["discovery"][IPS[index]]
    assert (quick["device_type"], quick["vendor"]) == (dev["device_type"], dev["vendor"])
    assert dict(quick["attributes"])["typeEvidence"] == attrs["typeEvidence"]
