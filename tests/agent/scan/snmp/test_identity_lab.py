"""A device whose serial, model and release live only in its vendor's MIB, served by snmpsim in a
namespace and swept at both depths: the objects come from the public-MIB registry (no hand list names
this vendor), and the observation says which object each came from. A second device answers with
net-snmp's own sysObjectID: the maker probe finds whose MIB it answers, which names the vendor and
whose objects give its serial and release. A third, an access point whose sysDescr is a bare uname
without its host name, is named by IEEE802dot11-MIB's product name and version of its radio. A fourth, a
switch whose sysObjectID names its maker, keeps its serial in the MIB of the software it is built on,
another maker's, which the probe finds (values made up)."""

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
NET_SNMP_DATA = DATA.parent / "maker-probe"
NET_SNMP_IP = "192.0.2.71"
AP_DATA = DATA.parent / "dot11-ap"
AP_IP = "192.0.2.72"
OTHER_DATA = DATA.parent / "other-maker"
OTHER_IP = "192.0.2.73"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    need_root()
    if not (Path(sys.executable).parent / "snmpsim-command-responder").exists() and not shutil.which(
            "snmpsim-command-responder"):
        pytest.skip("snmpsim is not installed")
    with Lab([LabHost("vendor-ident", IP, "00:00:5e:00:53:01", snmpsim_data=DATA),
              LabHost("maker-probe", NET_SNMP_IP, "00:00:5e:00:53:02", snmpsim_data=NET_SNMP_DATA),
              LabHost("dot11-ap", AP_IP, "00:00:5e:00:53:03", snmpsim_data=AP_DATA),
              LabHost("other-maker", OTHER_IP, "00:00:5e:00:53:04", snmpsim_data=OTHER_DATA)]) as running:
        yield running


def _device(lab: Lab, depth: str, ip: str = IP) -> dict[str, Any]:
    batches = lab.sweep([ip], ["snmp"], {"time_budget_s": 60, "timeout_s": 2, "retries": 2, "snmp_depth": depth})
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


@pytest.mark.parametrize("depth", ["inventory", "discovery"])
def test_a_net_snmp_appliance_is_named_by_the_mib_it_answers(lab: Lab, depth: str) -> None:
    dev = _device(lab, depth, NET_SNMP_IP)
    attributes = dict(dev["attributes"])
    assert "enterprise 8072 names the SNMP agent's software" in attributes["vendorEvidence"]
    assert "answers enterprise 40989's MIB" in attributes["vendorEvidence"]
    assert dev["vendor"]  # the IANA registry's name for 40989 (its spelling is the registry's)
    assert (dev["serial"], dev["firmware"]) == ("NMU-7731-0042", "1.03.24")
    assert attributes["identityEvidence"] == ("serial from OAP-NMU::serialNumber; "
                                              "firmware from OAP-NMU::softwareVersion")


@pytest.mark.parametrize("depth", ["inventory", "discovery"])
def test_an_access_point_is_named_by_its_radio(lab: Lab, depth: str) -> None:
    """The radio's row is at its ifIndex (5), which no GET could name: the census reads the first row. The
    kernel release of the bare uname ("Linux 3.3.8 #1 ...") is not the firmware the access point runs."""
    dev = _device(lab, depth, AP_IP)
    assert (dev["model"], dev["firmware"], dev["device_type"]) == (
        "AirBeam 5AC", "AB.qca955x.v6.3.2.48211.230105.1410", "wireless")
    assert dict(dev["attributes"])["identityEvidence"] == (
        "model from IEEE802dot11-MIB::dot11manufacturerProductName; "
        "firmware from IEEE802dot11-MIB::dot11manufacturerProductVersion")


@pytest.mark.parametrize("depth", ["inventory", "discovery"])
def test_a_switch_built_on_another_makers_software_gives_its_serial_from_that_mib(lab: Lab, depth: str) -> None:
    dev = _device(lab, depth, OTHER_IP)
    attributes = dict(dev["attributes"])
    assert "sysObjectID enterprise 35265" in attributes["vendorEvidence"]  # the vendor stays sysObjectID's
    assert dev["serial"] == "ES9E003484"
    assert "serial from ARICENT-ISS-MIB::issHardwareSerialNumber" in attributes["identityEvidence"]
