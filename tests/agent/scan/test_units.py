"""Pure unit tests: classification, MAC handling, targets, options, JSON round trip, schedule config
loading and the scheduler loop (no packets sent)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.errors import ConfigError
from agent.facts.model import NetworkInterface, SoftwareItem
from agent.scan import schedule as sched
from agent.scan.classify import classify, enterprise_number, mac_is_local, mac_vendor, normalise_mac
from agent.scan.jsonio import batch_from_dict, batch_to_dict
from agent.scan.model import DEVICE_TYPES, Method, Observation, ScanBatch, SeenVia, SnmpSystem, TargetStatus
from agent.scan.options import SnmpV3User, SweepOptions
from agent.scan.targets import parse_targets

# --- classification -------------------------------------------------------------------------------


@pytest.mark.parametrize(("oid", "descr", "expected"), [
    # Linux inside is not a type: a system group alone says "linux", not "server" ...
    ("1.3.6.1.4.1.8072.3.2.10", "Linux lab-h1 6.1.0-18-arm64 #1 SMP aarch64", ("", "unknown", "linux")),
    ("1.3.6.1.4.1.8072.3.2.10", "Linux lab-h1 6.1.0-18 #1 SMP", ("", "unknown", "linux")),
    # ... but a PC's CPU under the OS's own agent is a host's, as an hrSystem answer is.
    ("1.3.6.1.4.1.8072.3.2.10", "Linux lab-h1 6.1.0-18-amd64 #1 SMP x86_64", ("", "server", "linux")),
    ("1.3.6.1.4.1.9.1.1208", "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M)",
     ("Cisco", "switch", "cisco-ios")),
    ("1.3.6.1.4.1.9.1.1", "Cisco IOS Software, 2900 Software (C2900-UNIVERSALK9-M)", ("Cisco", "router", "cisco-ios")),
    ("1.3.6.1.4.1.9.1.745", "Cisco Adaptive Security Appliance Version 9.8(4)", ("Cisco", "firewall", "asa")),
    ("1.3.6.1.4.1.311.1.1.3.1.1", "Hardware: x86 Family 6 - Software: Windows 2000 Version 5.1",
     ("", "workstation", "windows")),
    ("1.3.6.1.4.1.311.1.1.3.1.2", "Hardware: Intel64 - Software: Windows Version 6.3 (Build 17763 Multiprocessor "
     "Free) Windows Server 2019", ("", "server", "windows")),
    ("1.3.6.1.4.1.11.2.3.9.1", "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153", ("HP", "printer", "")),
    ("1.3.6.1.4.1.534.1", "Eaton 9PX UPS", ("Eaton", "ups", "")),
    ("1.3.6.1.4.1.318.1.3.4.6", "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.7.2 MN:AP8641)", ("APC", "ups", "")),
    ("1.3.6.1.4.1.12356.101.1.1", "FortiGate-60E", ("Fortinet", "firewall", "fortios")),
    # Not every Fortinet is a firewall: a FortiSwitch names itself.
    ("1.3.6.1.4.1.12356.106.1.1", "FortiSwitch-424D v7.0.1", ("Fortinet", "switch", "")),
    ("1.3.6.1.4.1.14988.1", "RouterOS RB4011iGS+", ("MikroTik", "router", "routeros")),
    ("1.3.6.1.4.1.674.10892.5", "iDRAC9", ("Dell", "bmc", "")),
    ("", "Linux ap-lobby 5.10 wireless access point", ("", "wireless", "linux")),
    ("1.3.6.1.4.1.99999.1", "", ("", "unknown", "")),
    ("", "", ("", "unknown", "")),
])
def test_classify(oid: str, descr: str, expected: tuple[str, str, str]) -> None:
    c = classify(oid, descr)
    assert (c.vendor, c.device_type, c.os_family) == expected
    assert c.device_type in DEVICE_TYPES


def test_enterprise_number() -> None:
    assert enterprise_number("1.3.6.1.4.1.9.1.1208") == 9
    assert enterprise_number(".1.3.6.1.4.1.8072.3.2.10") == 8072
    assert enterprise_number("1.3.6.1.2.1.1") == 0


@pytest.mark.parametrize(("raw", "norm"), [
    ("00:1B:21:0A:00:01", "00:1b:21:0a:00:01"), ("00-1b-21-0a-00-01", "00:1b:21:0a:00:01"),
    ("001b.210a.0001", "00:1b:21:0a:00:01"), ("0x001b210a0001", "00:1b:21:0a:00:01"),
    (b"\x00\x1b!\n\x00\x01", "00:1b:21:0a:00:01"), (b"", ""), ("", ""), ("00:1b:21", ""), ("zz:1b:21:0a:00:01", ""),
])
def test_normalise_mac(raw: str | bytes, norm: str) -> None:
    assert normalise_mac(raw) == norm


def test_mac_vendor_and_local_bit() -> None:
    assert mac_vendor("00:1b:21:0a:00:01") == "Intel Corporate"
    assert mac_vendor("3c:22:fb:0a:00:02") == "Apple, Inc."
    assert mac_vendor("00:1e:c9:0a:00:03") == "Dell Inc."
    assert mac_vendor("00:80:77:0a:00:04") == "Brother industries, LTD."
    # Locally administered (IEEE 802 U/L bit): random, no vendor, not identity.
    assert mac_is_local("02:42:c0:a8:00:3c")
    assert mac_is_local("da:a1:19:00:00:01")
    assert not mac_is_local("00:1b:21:0a:00:01")
    assert mac_vendor("02:42:c0:a8:00:3c") == ""
    assert mac_vendor("01:00:5e:00:00:01") == ""  # multicast
    assert mac_vendor("not a mac") == ""


# --- targets and options --------------------------------------------------------------------------


def test_targets_cidr_range_host_and_exclusions() -> None:
    t = parse_targets(["192.0.2.0/29", "192.0.2.5-9", "198.51.100.7"], ["192.0.2.2", "192.0.2.8/32"], resolve=False)
    assert t[0].addresses == ("192.0.2.1", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6")
    assert t[1].addresses == ("192.0.2.7", "192.0.2.9")  # duplicates kept once, exclusion applied
    assert t[2].is_single_host
    assert t[2].addresses == ("198.51.100.7",)
    assert parse_targets(["192.0.2.10/31"], resolve=False)[0].addresses == ("192.0.2.10", "192.0.2.11")


@pytest.mark.parametrize(("specs", "message"), [
    ([], "no targets"), (["192.0.2.0/33"], "192.0.2.0/33"), (["10.0.0.0/8"], "larger than a /16"),
    (["192.0.2.9-3"], "before its start"), (["not-a-host"], "not-a-host"), ([""], "empty target"),
])
def test_target_errors(specs: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_targets(specs, resolve=False)


def test_exclusion_errors() -> None:
    with pytest.raises(ConfigError, match="exclude: 'nope'"):
        parse_targets(["192.0.2.0/24"], ["nope"], resolve=False)


def test_options_validation_and_secret_hiding() -> None:
    with pytest.raises(ConfigError, match="rate_pps"):
        SweepOptions(rate_pps=0)
    with pytest.raises(ConfigError, match="profile"):
        SweepOptions(profile="aggressive")
    with pytest.raises(ConfigError, match="unknown priv protocol 'aes512'"):
        SnmpV3User("u", "sha", "authpass1", "aes512", "privpass1")
    with pytest.raises(ConfigError, match="at least 8"):
        SnmpV3User("u", "sha", "short")
    with pytest.raises(ConfigError, match="privacy needs an auth"):
        SnmpV3User("u", "none", "", "aes", "privpass1")
    opts = SweepOptions(communities=("s3cret-community",),
                        v3_users=(SnmpV3User("u", "sha256", "authsecret1", "aes256", "privsecret1"),))
    assert "s3cret" not in repr(opts)
    assert "authsecret1" not in repr(opts)
    assert "privsecret1" not in repr(opts)
    assert opts.v3_users[0].level == "authPriv"


# --- JSON ------------------------------------------------------------------------------------------


def test_batch_json_round_trip() -> None:
    when = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    batch = ScanBatch(
        scan_id="s1", targets=("192.0.2.0/24",), methods=(Method.ARP, Method.SNMP), started_at=when,
        finished_at=when + timedelta(seconds=3), complete=True,
        observations=(
            Observation(method=Method.SNMP_ARP_CACHE, seen_at=when, ip="192.0.2.99", mac="00:80:77:0a:00:99",
                        vendor="Brother industries, LTD.", seen_via=SeenVia("192.0.2.11", "lab-h1", 2, "eth0"),
                        snmp=SnmpSystem(name="x"), attributes=(("k", "v"),)),
            # The facts' value objects inside an observation (interfaces, software) round-trip too.
            Observation(method=Method.SNMP, seen_at=when, ip="192.0.2.11",
                        interfaces=(NetworkInterface("eth0", "00:1b:21:0a:00:01", ("192.0.2.11/24",), False, 1000,
                                                     True),),
                        software=(SoftwareItem("openssl", "", "snmp", installed_at=when),)),
        ),
        statuses=(TargetStatus("192.0.2.11", Method.SNMP, True, "v2c community #1", 12),),
    )
    as_dict = batch_to_dict(batch)
    json.dumps(as_dict)  # plain JSON all the way down
    assert as_dict["observations"][1]["interfaces"][0]["addresses"] == ["192.0.2.11/24"]
    assert batch_from_dict(as_dict) == batch


# --- schedule ---------------------------------------------------------------------------------------

GOOD = """
[defaults]
rate_pps = 300
time_budget = "10m"

[[credential]]
name = "office-v2c"
type = "community"
community_env = "NC_TEST_COMMUNITY"

[[credential]]
name = "core-v3"
type = "v3"
user = "netcensus"
auth_protocol = "sha256"
auth_key_env = "NC_TEST_V3_AUTH"
priv_protocol = "aes256"
priv_key_file = "{priv}"

[[job]]
name = "office"
targets = ["192.0.2.0/24"]
methods = ["arp", "snmp"]
credentials = ["office-v2c", "core-v3"]
interval = "1h"
jitter = "5m"
exclude = ["192.0.2.1"]
rate_pps = 200

[[job]]
name = "routed"
targets = ["198.51.100.0/24"]
methods = ["nmap"]
interval = 7200
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    priv = tmp_path / "priv"
    priv.write_text("privsecret-from-file\n")
    priv.chmod(0o600)  # a secret file must be private to its owner (issue #14)
    monkeypatch.setenv("NC_TEST_COMMUNITY", "community-from-env")
    monkeypatch.setenv("NC_TEST_V3_AUTH", "authsecret-from-env")
    path = tmp_path / "scan.toml"
    path.write_text(GOOD.format(priv=priv))
    return path


def test_load_scan_config(config_file: Path) -> None:
    cfg = sched.load_scan_config(config_file)
    office, routed = cfg.jobs
    assert office.methods == (Method.ARP, Method.SNMP)
    assert (office.interval_s, office.jitter_s) == (3600, 300)
    assert office.options.rate_pps == 200
    assert office.options.time_budget_s == 600
    assert office.options.exclude == ("192.0.2.1",)
    assert routed.options.rate_pps == 300
    assert routed.interval_s == 7200
    opts = sched.job_options(office)
    assert opts.communities == ("community-from-env",)
    assert opts.v3_users[0].auth_key == "authsecret-from-env"
    assert opts.v3_users[0].priv_key == "privsecret-from-file"
    assert opts.v3_users[0].priv_protocol == "aes256"
    assert "secret" not in repr(cfg)
    assert "community-from-env" not in repr(cfg)
    assert sched.job_options(routed).communities == ()


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda t: "bogus = 1\n" + t, "unknown top-level key(s) bogus"),
    (lambda t: t.replace('methods = ["nmap"]', 'methods = ["ping"]'), "job 'routed': methods"),
    (lambda t: t.replace("interval = 7200", "interval = 10"), "at least 60s"),
    (lambda t: t.replace('jitter = "5m"', 'jitter = "2h"'), "jitter must be shorter"),
    (lambda t: t.replace('"office-v2c", "core-v3"', '"office-v2c", "missing"'), "unknown credential(s) missing"),
    (lambda t: t.replace("NC_TEST_V3_AUTH", "NC_TEST_UNSET_VAR"), "environment variable NC_TEST_UNSET_VAR"),
    (lambda t: t.replace('targets = ["198.51.100.0/24"]', 'targets = ["198.51.100.0/40"]'), "job 'routed': target"),
    (lambda t: t.replace("rate_pps = 200", "rate_pps = 0"), "job 'office': rate_pps"),
    (lambda t: t.replace("rate_pps = 200", "colour = 1"), "job 'office': unknown key(s) colour"),
    (lambda t: t.replace('auth_protocol = "sha256"', 'auth_protocol = "sha3"'), "unknown auth protocol"),
    (lambda t: t.replace("[defaults]", "[defaults\n"), "not valid TOML"),
    (lambda t: t.replace('time_budget = "10m"', 'time_budget = "soon"'), "time_budget"),
])
def test_config_errors_are_one_line_with_file(config_file: Path, mutate: Any, message: str) -> None:
    config_file.write_text(mutate(config_file.read_text()))
    with pytest.raises(ConfigError) as info:
        sched.load_scan_config(config_file)
    text = str(info.value)
    assert text.startswith(f"{config_file}: ")
    assert message in text
    assert "\n" not in text
    for secret in ("community-from-env", "authsecret-from-env", "privsecret-from-file"):
        assert secret not in text


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such scan config"):
        sched.load_scan_config(tmp_path / "absent.toml")


def test_run_schedule_once_and_failure_isolation(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.scan.sweep as sweep_mod

    calls: list[tuple[tuple[str, ...], SweepOptions]] = []
    when = datetime(2026, 1, 1, tzinfo=UTC)

    def fake_sweep(targets: Any, *, methods: Any, options: SweepOptions, progress: Any = None) -> Any:
        calls.append((tuple(targets), options))
        if targets[0].startswith("198."):
            raise ConfigError("scanner exploded")
        yield ScanBatch(scan_id="x", targets=tuple(targets), methods=tuple(methods), started_at=when,
                        finished_at=when, complete=True)

    monkeypatch.setattr(sweep_mod, "sweep", fake_sweep)
    got: list[ScanBatch] = []
    failures: list[str] = []
    failed = sched.run_schedule(sched.load_scan_config(config_file), got.append, stop=threading.Event(), once=True,
                                on_failure=failures.append)
    assert [c[0] for c in calls] == [("192.0.2.0/24",), ("198.51.100.0/24",)]
    assert len(got) == 1
    # The failed job is the scanner's last error (its next report tells the collector), named and one line.
    assert failures == [f"scan job {failed[0]}: scanner exploded"]
    assert calls[0][1].communities == ("community-from-env",)


def test_run_schedule_interval_with_jitter(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    import agent.scan.sweep as sweep_mod

    fake_now = [1000.0]
    runs: list[tuple[str, float]] = []
    stop = threading.Event()

    def fake_sweep(targets: Any, *, methods: Any, options: Any, progress: Any = None) -> Any:
        runs.append((targets[0], fake_now[0]))
        if len(runs) >= 5:
            stop.set()
        return iter(())

    class _Stop(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            fake_now[0] += timeout or 0
            return stop.is_set()

        def is_set(self) -> bool:
            return stop.is_set()

    monkeypatch.setattr(sweep_mod, "sweep", fake_sweep)
    sched.run_schedule(sched.load_scan_config(config_file), lambda b: None, stop=_Stop(), once=False,
                       clock=lambda: fake_now[0], rng=random.Random(7))
    office = [t for name, t in runs if name.startswith("192.")]
    assert len(office) >= 2
    gap = office[1] - office[0]
    assert 3600 <= gap <= 3600 + 300


# --- SNMP depth: option, config file, command line ---------------------------------------------------

def test_snmp_depth_option() -> None:
    assert SweepOptions().snmp_depth == "inventory"
    assert SweepOptions(snmp_depth="discovery").snmp_depth == "discovery"
    for bad in ("deep", "Discovery", "", "full"):
        with pytest.raises(ConfigError) as info:
            SweepOptions(snmp_depth=bad)
        assert str(info.value) == f'snmp_depth must be "inventory" or "discovery", got {bad!r}'


def test_snmp_depth_in_scan_config(config_file: Path) -> None:
    text = config_file.read_text()
    # The default, then [defaults] for every job, then a job of its own.
    assert {j.options.snmp_depth for j in sched.load_scan_config(config_file).jobs} == {"inventory"}
    config_file.write_text(text.replace('time_budget = "10m"', 'time_budget = "10m"\nsnmp_depth = "discovery"'))
    assert {j.options.snmp_depth for j in sched.load_scan_config(config_file).jobs} == {"discovery"}
    config_file.write_text(text.replace("rate_pps = 200", 'rate_pps = 200\nsnmp_depth = "discovery"'))
    office, routed = sched.load_scan_config(config_file).jobs
    assert (office.options.snmp_depth, routed.options.snmp_depth) == ("discovery", "inventory")
    assert sched.job_options(office).snmp_depth == "discovery"


@pytest.mark.parametrize(("line", "where"), [
    ('snmp_depth = "deep"', "job 'office'"), ("snmp_depth = 2", "job 'office'"), ('snmp_depth = ["x"]', "job 'office'"),
])
def test_snmp_depth_config_errors(config_file: Path, line: str, where: str) -> None:
    config_file.write_text(config_file.read_text().replace("rate_pps = 200", f"rate_pps = 200\n{line}"))
    with pytest.raises(ConfigError) as info:
        sched.load_scan_config(config_file)
    text = str(info.value)
    assert text.startswith(f"{config_file}: {where}: snmp_depth must be \"inventory\" or \"discovery\", got ")
    assert "\n" not in text


def test_scan_command_line_snmp_depth(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                      config_file: Path) -> None:
    import agent.scan.sweep as sweep_mod
    from agent.cli import main

    seen: list[SweepOptions] = []

    def fake_sweep(targets: Any, *, methods: Any, options: SweepOptions, progress: Any = None) -> Any:
        seen.append(options)
        return iter(())

    monkeypatch.setattr(sweep_mod, "sweep", fake_sweep)  # nothing is sent
    base = ["scan", "192.0.2.9", "--methods", "snmp", "--format", "json"]
    assert main(base) == 0
    assert main([*base, "--snmp-depth", "discovery"]) == 0
    assert main([*base, "--snmp-depth", "inventory"]) == 0
    assert [o.snmp_depth for o in seen] == ["inventory", "discovery", "inventory"]
    capsys.readouterr()
    assert main([*base, "--snmp-depth", "deep"]) == 1
    err = capsys.readouterr().err
    assert err == "netcensus-agent: --snmp-depth 'deep': use inventory (everything) or discovery (identity only)\n"
    # With --config the file decides (snmp_depth there); the flag is refused rather than ignored.
    assert main(["scan", "--config", str(config_file), "--once", "--format", "json", "--snmp-depth", "discovery"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "snmp_depth in the file" in err
    assert len(seen) == 3
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    scan_help = " ".join(capsys.readouterr().out.split())
    assert "--snmp-depth {inventory,discovery}" in scan_help and "quick identity pass" in scan_help
