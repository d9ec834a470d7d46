"""A device whose serial, model and release live only in its vendor's MIB, served by snmpsim in a
namespace and swept at both depths: the objects come from the public-MIB registry (no hand list names
this vendor), and the observation says which object each came from."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.lab.namespaces import Lab, LabHost, iter_observations
from agent.scan.snmp.mib.vendor_ids import VENDOR
from tests.agent.scan.conftest import need_root

pytestmark = [pytest.mark.root]

DATA = Path(__file__).resolve().parents[3] / "data" / "scan" / "snmpsim" / "vendor-ident"
IP = "192.0.2.70"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    need_root()
    if not (Path(sys.executable).parent / "snmpsim-command-responder").exists() and not shutil.which(
            "snmpsim-command-responder"):
        pytest.skip("snmpsim is not installed")
    with Lab([LabHost("vendor-ident", IP, "00:00:5e:00:53:01", snmpsim_data=DATA)]) as running:
        yield running


def _device(lab: Lab, depth: str) -> dict[str, Any]:
    batches = lab.sweep([IP], ["snmp"], {"time_budget_s": 60, "timeout_s": 2, "retries": 2, "snmp_depth": depth})
    (dev,) = [o for o in iter_observations(batches) if o["method"] == "snmp"]
    return dev


@pytest.mark.parametrize("depth", ["inventory", "discovery"])
def test_serial_model_and_release_from_the_vendor_mib_with_their_source(lab: Lab, depth: str) -> None:
    assert 3375 not in VENDOR  # nobody listed this vendor's objects by hand
    dev = _device(lab, depth)
    assert (dev["serial"], dev["model"], dev["firmware"]) == ("f5-vxzt-lqkd", "BIG-IP", "15.1.0.4")
    evidence = dict(dev["attributes"])["identityEvidence"]
    assert evidence == ("serial from F5-BIGIP-SYSTEM-MIB::sysGeneralChassisSerialNum; "
                        "model from F5-BIGIP-SYSTEM-MIB::sysProductName; "
                        "firmware from F5-BIGIP-SYSTEM-MIB::sysProductVersion")
