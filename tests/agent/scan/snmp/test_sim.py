"""SNMP against snmpsim peers (hand-written switch, snmpsim's recorded Windows XP walk, a slow
and an erroring agent) and SNMPv3 against net-snmp snmpd, all in namespaces."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.lab.namespaces import Lab, LabHost, iter_observations
from tests.agent.scan.conftest import need_root

pytestmark = [pytest.mark.root]

DATA = Path(__file__).resolve().parents[3] / "data" / "scan" / "snmpsim"
V3_USERS = {
    # net-snmp createUser line, our SnmpV3User fields
    "sha512-aes256": ("v3a SHA-512 authpass512 AES256 privpass512",
                      {"auth_protocol": "sha512", "auth_key": "authpass512", "priv_protocol": "aes256",
                       "priv_key": "privpass512"}),
    "sha256-aes256c": ("v3b SHA-256 authpass256 AES256C privpass256",
                       {"auth_protocol": "sha256", "auth_key": "authpass256", "priv_protocol": "aes256c",
                        "priv_key": "privpass256"}),
    "sha-aes128": ("v3c SHA authpass001 AES privpass001",
                   {"auth_protocol": "sha", "auth_key": "authpass001", "priv_protocol": "aes",
                    "priv_key": "privpass001"}),
    "md5-des": ("v3d MD5 authpassmd5 DES privpassdes",
                {"auth_protocol": "md5", "auth_key": "authpassmd5", "priv_protocol": "des", "priv_key": "privpassdes"}),
    "sha224-authnopriv": ("v3e SHA-224 authonly224", {"auth_protocol": "sha224", "auth_key": "authonly224"}),
}
# An SNMPv1-only community (RFC 3584 VACM mapping): v2c requests with it are dropped.
V1_ONLY = ("com2sec v1sec default v1only", "group v1grp v1 v1sec", "view all included .1",
           'access v1grp "" v1 noauth exact all none none')


def _winxp_walk() -> Path:
    import snmpsim

    return Path(snmpsim.__file__).parent / "data" / "recorded" / "winxp-full-walk.snmprec"


@pytest.fixture(scope="module")
def sim_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    need_root("snmpd")
    if shutil.which("snmpsim-command-responder") is None and not (
            Path(__import__("sys").executable).parent / "snmpsim-command-responder").exists():
        pytest.skip("snmpsim is not installed")
    xp = tmp_path_factory.mktemp("winxp")
    shutil.copy(_winxp_walk(), xp / "public.snmprec")
    hosts = [
        LabHost("lab-v3", "192.0.2.11", "00:1b:21:0a:00:01", snmpd=True,
                v3_users=tuple(line for line, _ in V3_USERS.values()), snmpd_extra=V1_ONLY),
        LabHost("switch", "192.0.2.40", "00:00:0c:aa:bb:01", snmpsim_data=DATA / "switch"),
        LabHost("winxp", "192.0.2.50", "00:0e:35:d3:3d:53", snmpsim_data=xp),
        LabHost("slow", "192.0.2.60", "00:1b:21:0a:00:60", snmpsim_data=DATA / "slow"),
        LabHost("erroring", "192.0.2.61", "00:1b:21:0a:00:61", snmpsim_data=DATA / "erroring"),
    ]
    with Lab(hosts) as lab:
        yield lab


@pytest.fixture(scope="module")
def sim_sweep(sim_lab: Lab) -> list[dict[str, Any]]:
    return sim_lab.sweep(["192.0.2.40", "192.0.2.50", "192.0.2.60", "192.0.2.61"], ["snmp"],
                         {"time_budget_s": 60, "timeout_s": 1, "retries": 1})


def _obs(batches: list[dict[str, Any]], method: str, via: str | None = None) -> list[dict[str, Any]]:
    return [o for o in iter_observations(batches) if o["method"] == method
            and (via is None or (o["seen_via"] or {}).get("device_ip") == via or o["ip"] == via)]


def _statuses(batches: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["target"]: s for b in batches for s in b["statuses"]}


def test_switch_device(sim_sweep: list[dict[str, Any]]) -> None:
    (sw,) = _obs(sim_sweep, "snmp", "192.0.2.40")
    assert (sw["hostname"], sw["mac"], sw["vendor"]) == ("sw-core-01", "00:00:0c:aa:bb:01", "Cisco")
    assert (sw["device_type"], sw["os_family"]) == ("switch", "cisco-ios")
    assert (sw["serial"], sw["model"]) == ("FOC1234X0AB", "WS-C2960X-48FPD-L")
    assert sw["snmp"]["object_id"] == "1.3.6.1.4.1.9.1.1208"
    ifaces = {i["name"]: (i["mac"], i["addresses"], i["is_up"], i["is_virtual"], i["speed_mbps"])
              for i in sw["interfaces"]}
    assert ifaces == {
        "Vl1": ("00:00:0c:aa:bb:01", ["192.0.2.40/24"], True, True, 1000),
        "Gi1/0/1": ("00:00:0c:aa:bb:81", [], True, False, 1000),
        "Gi1/0/2": ("00:00:0c:aa:bb:82", [], True, False, 1000),
        "Gi1/0/3": ("00:00:0c:aa:bb:83", [], False, False, 1000),
    }


def test_switch_tables(sim_sweep: list[dict[str, Any]]) -> None:
    arp = {o["ip"]: (o["mac"], o["seen_via"]["port_name"]) for o in _obs(sim_sweep, "snmp-arp-cache", "192.0.2.40")}
    # 192.0.2.43 is ipNetToMediaType invalid(2): not a sighting.
    assert arp == {"192.0.2.41": ("00:1e:c9:0a:00:41", "Vl1"), "192.0.2.42": ("b8:27:eb:0a:00:42", "Vl1")}
    fdb = {o["mac"]: (o["seen_via"]["port_name"], o["seen_via"]["if_index"], o["seen_via"]["vlan"], o["vendor"])
           for o in _obs(sim_sweep, "snmp-fdb", "192.0.2.40")}
    # The switch's own self(4) entry is not a sighting; Q-BRIDGE supplies VLANs (FDB 10 = VLAN 20).
    assert fdb == {
        "00:1e:c9:0a:00:41": ("Gi1/0/1", 10101, 1, "Dell Inc."),
        "b8:27:eb:0a:00:42": ("Gi1/0/2", 10102, 0, "Raspberry Pi Foundation"),
        "00:80:77:0a:00:44": ("Gi1/0/3", 10103, 20, "Brother industries, LTD."),
    }
    (nb,) = _obs(sim_sweep, "snmp-lldp", "192.0.2.40")
    assert (nb["hostname"], nb["mac"], nb["ip"], nb["device_type"]) == (
        "ap-lobby", "00:1b:21:0a:00:55", "192.0.2.55", "wireless")
    assert nb["seen_via"]["port_name"] == "GigabitEthernet1/0/1"
    assert dict(nb["attributes"])["lldpRemPortId"] == "eth0"


def _snmprec_software(path: Path) -> list[str]:
    names = []
    for line in path.read_text(errors="replace").splitlines():
        oid, tag, value = line.split("|", 2)
        if oid.startswith("1.3.6.1.2.1.25.6.3.1.2."):
            names.append((bytes.fromhex(value).decode("utf-8", "replace") if tag == "4x" else value).strip())
    return names


def test_recorded_windows_walk(sim_sweep: list[dict[str, Any]]) -> None:
    (xp,) = _obs(sim_sweep, "snmp", "192.0.2.50")
    assert (xp["hostname"], xp["device_type"], xp["os_family"]) == ("CRAY", "workstation", "windows")
    assert xp["mac"] == "00:0e:35:d3:3d:53"
    names = [s["name"] for s in xp["software"]]
    assert names == _snmprec_software(_winxp_walk())
    assert len(names) == 160
    assert "7-Zip 9.20" in names
    assert all(s["version"] == "" and s["source"] == "snmp" for s in xp["software"])
    cache = {o["ip"]: o["mac"] for o in _obs(sim_sweep, "snmp-arp-cache", "192.0.2.50")}
    assert cache["192.168.1.1"] == "48:5b:39:3a:bb:68"


def test_discovery_sweep_identifies_real_peers_like_an_inventory(sim_lab: Lab, sim_sweep: list[dict[str, Any]]) -> None:
    # net-snmp's snmpd, the hand-written switch and the recorded Windows XP walk (snmpsim).
    peers = ["192.0.2.11", "192.0.2.40", "192.0.2.50"]
    opts = {"time_budget_s": 60, "timeout_s": 1, "retries": 1}
    full = sim_sweep + sim_lab.sweep(peers[:1], ["snmp"], opts)
    found = sim_lab.sweep(peers, ["snmp"], {**opts, "snmp_depth": "discovery"})
    identity = ("ip", "mac", "mac_is_local", "hostname", "vendor", "device_type", "os_family", "serial", "model")
    for ip in peers:
        (dev,) = _obs(found, "snmp", ip)
        (ref,) = _obs(full, "snmp", ip)
        assert {k: dev[k] for k in identity} == {k: ref[k] for k in identity}, ip
        # The whole system group, but snmpd's uptime moves on between the two sweeps.
        assert {**dev["snmp"], "uptime_ticks": 0} == {**ref["snmp"], "uptime_ticks": 0}
        assert dev["mac"] and dev["snmp"]["object_id"] and dev["device_type"] not in ("", "unknown")
        ifaces = [(i["name"], i["mac"], i["addresses"], i["is_virtual"]) for i in dev["interfaces"]]
        assert ifaces == [(i["name"], i["mac"], i["addresses"], i["is_virtual"]) for i in ref["interfaces"]]
        # No software or hrSystem values; only why the vendor, type, product and identity fields are what they
        # are, as in the inventory.
        evidence = {"vendorEvidence", "typeEvidence", "productEvidence", "identityEvidence"}
        assert dev["software"] == [] and {k for k, _ in dev["attributes"]} <= evidence
        assert dict(dev["attributes"]) == {k: v for k, v in ref["attributes"] if k in evidence}
    assert sorted((o["ip"], o["device_type"]) for o in _obs(found, "snmp")) == [
        ("192.0.2.11", "server"), ("192.0.2.40", "switch"), ("192.0.2.50", "workstation")]
    # What discovery leaves out: the tables of what a device sees (the inventory found some).
    assert not [o for o in iter_observations(found) if o["method"] != "snmp"]
    assert _obs(full, "snmp-arp-cache", "192.0.2.40") and _obs(full, "snmp-lldp", "192.0.2.40")
    st, ref_st = _statuses(found), {**_statuses(sim_sweep), **_statuses(full)}

    def varbinds(reason: str) -> int:
        return int(reason.split(" varbinds", maxsplit=1)[0].rsplit(" ", 1)[1])

    for ip in peers:
        assert st[ip]["ok"] and "; discovery; " in st[ip]["reason"], st[ip]
        assert varbinds(st[ip]["reason"]) < varbinds(ref_st[ip]["reason"])


def test_misbehaving_peers_get_statuses_and_others_are_unaffected(sim_sweep: list[dict[str, Any]]) -> None:
    st = _statuses(sim_sweep)
    assert st["192.0.2.40"]["ok"] is True
    assert st["192.0.2.50"]["ok"] is True
    # Healthy devices were not held up by the slow one (which stalls for the whole sweep budget);
    # the bound is loose on purpose: this is a behaviour check, not a benchmark.
    assert st["192.0.2.40"]["duration_ms"] < st["192.0.2.60"]["duration_ms"]
    assert st["192.0.2.50"]["duration_ms"] < st["192.0.2.60"]["duration_ms"]
    assert st["192.0.2.61"]["ok"] is False
    assert "genErr" in st["192.0.2.61"]["reason"]
    assert st["192.0.2.60"]["ok"] is False
    assert st["192.0.2.60"]["reason"].startswith("partial inventory")
    # What the slow device did answer is still reported.
    (slow,) = _obs(sim_sweep, "snmp", "192.0.2.60")
    assert slow["hostname"] == "slowpoke"
    assert sim_sweep[-1]["complete"] is True


def test_time_budget_cuts_the_slow_device(sim_lab: Lab) -> None:
    started = time.monotonic()
    batches = sim_lab.sweep(["192.0.2.40", "192.0.2.60"], ["snmp"],
                            {"time_budget_s": 8, "timeout_s": 3, "retries": 2})
    elapsed = time.monotonic() - started
    st = _statuses(batches)
    assert st["192.0.2.40"]["ok"] is True
    assert st["192.0.2.60"]["ok"] is False
    assert "time budget" in st["192.0.2.60"]["reason"]
    assert elapsed < 8 + 10  # budget + interpreter start-up and grace, on a loaded 2-core machine
    assert batches[-1]["complete"] is True


@pytest.mark.parametrize("variant", sorted(V3_USERS))
def test_snmpv3_variants(sim_lab: Lab, variant: str) -> None:
    line, fields = V3_USERS[variant]
    user = {"user": line.split()[0], **fields}
    batches = sim_lab.sweep(["192.0.2.11"], ["snmp"], {"communities": [], "v3_users": [user], "time_budget_s": 30})
    (dev,) = _obs(batches, "snmp", "192.0.2.11")
    assert dev["hostname"] == "lab-v3"
    assert dev["mac"] == "00:1b:21:0a:00:01"
    (status,) = _statuses(batches).values()
    assert status["ok"] is True
    assert status["reason"].startswith("v3 user #1")
    for secret in (fields.get("auth_key"), fields.get("priv_key")):
        assert not secret or secret not in str(batches)


def test_snmpv3_wrong_key_then_right_user(sim_lab: Lab) -> None:
    wrong = {"user": "v3a", "auth_protocol": "sha512", "auth_key": "wrongpass512", "priv_protocol": "aes256",
             "priv_key": "privpass512"}
    right = {"user": "v3c", **V3_USERS["sha-aes128"][1]}
    batches = sim_lab.sweep(["192.0.2.11"], ["snmp"], {"communities": ["nope-community"],
                                                       "v3_users": [wrong, right], "time_budget_s": 30})
    (status,) = _statuses(batches).values()
    assert status["ok"] is True
    assert status["reason"].startswith("v3 user #2")
    assert "wrongpass512" not in str(batches)
    assert "nope-community" not in str(batches)


def test_snmpv1_only_community(sim_lab: Lab) -> None:
    batches = sim_lab.sweep(["192.0.2.11"], ["snmp"], {"communities": ["v1only"], "timeout_s": 0.5, "retries": 0,
                                                       "time_budget_s": 30})
    (status,) = _statuses(batches).values()
    assert status["ok"] is True
    assert status["reason"].startswith("v1 community #1")
    (dev,) = _obs(batches, "snmp", "192.0.2.11")
    assert dev["hostname"] == "lab-v3"


def test_lite_simulator_serves_one_device_per_endpoint(tmp_path: Path) -> None:
    # The bench's fleets rely on this: one snmpsim-command-responder-lite process, a different
    # recorded device on each of its addresses (data file chosen by community + transport).
    need_root()
    (tmp_path / "public").mkdir()
    shutil.copy(DATA / "switch" / "public.snmprec", tmp_path / "public" / "1.3.6.1.6.1.1.0.snmprec")
    shutil.copy(_winxp_walk(), tmp_path / "public" / "1.3.6.1.6.1.1.1.snmprec")
    host = LabHost("fleet", "192.0.2.70", "00:00:0c:aa:bb:70", snmpsim_data=tmp_path, snmpsim_lite=True,
                   extra_ips=("192.0.2.71/24",), snmpsim_args=("--agent-udpv4-endpoint=192.0.2.71:161",))
    with Lab([host]) as lab:
        for _ in range(100):  # the second endpoint is bound after the first
            if "192.0.2.71:161" in lab.run_in(lab.ns_of(host), ["ss", "-Hlun"]).stdout:
                break
            time.sleep(0.1)
        batches = lab.sweep(["192.0.2.70", "192.0.2.71"], ["snmp"], {"time_budget_s": 60})
    names = {o["ip"]: (o["hostname"], o["device_type"]) for o in _obs(batches, "snmp")}
    assert names == {"192.0.2.70": ("sw-core-01", "switch"), "192.0.2.71": ("CRAY", "workstation")}
    assert all(s["ok"] for s in _statuses(batches).values())
