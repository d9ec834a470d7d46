"""Scanner benchmarks, each printing our figure beside the reference tool's, same lab, same run.

1. ARP sweep of two directly attached /24s (512 addresses, a handful live) vs `nmap -sn -PR`
   and `arp-scan`; then found-rate under 5% simulated loss (nftables, both directions).
   (A /20 would need addresses outside the documentation ranges 192.0.2.0/24 and
   198.51.100.0/24, which the lab never uses; per-address rates are printed so the figure scales.)
2. SNMP inventory of one net-snmp device vs net-snmp `snmpbulkwalk` of the same subtrees.
3. 50 simulated devices (snmpsim, one agent answering on 50 addresses) at once vs one, with a
   sequential `snmpbulkwalk` loop over the same 50 as the reference.

Needs root, iproute2, nftables, nmap, arp-scan, snmpd, snmp and snmpsim. Run:
    .venv/bin/python bench/bench_scan.py
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.scan.lab import Lab, LabHost, have_tools  # noqa: E402
from agent.scan.snmp import COLUMNS, SYSTEM  # noqa: E402

DATA = REPO / "tests" / "data" / "scan" / "snmpsim"

# Runs inside the scanner namespace: time sweep() without interpreter start-up.
_TIMED = r"""
import json, sys, time
from agent.scan.lab import options_from_mapping
from agent.scan.model import Method
from agent.scan.sweep import sweep
cfg = json.loads(sys.stdin.read())
opts = options_from_mapping(cfg["options"])
methods = [Method(m) for m in cfg["methods"]]
import agent.scan.arp, agent.scan.snmp  # warm imports outside the timing
t = time.perf_counter()
obs, sts = [], []
for b in sweep(cfg["targets"], methods=methods, options=opts):
    obs += [o.ip for o in b.observations if o.method.value == cfg["count"]]
    sts += [(s.target, s.ok) for s in b.statuses]
print(json.dumps({"elapsed": time.perf_counter() - t, "found": sorted(set(obs)), "statuses": sts}))
"""


def timed_sweep(lab: Lab, targets: list[str], methods: list[str], options: dict[str, Any],
                count: str) -> dict[str, Any]:
    proc = lab.scanner_run([sys.executable, "-c", _TIMED], input_text=json.dumps(
        {"targets": targets, "methods": methods, "options": options, "count": count}), timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"bench: sweep failed: {proc.stderr[-1500:]}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def timed_cmd(lab: Lab, argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = lab.scanner_run(argv, timeout=600)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: {argv[0]} failed: {proc.stderr[-800:]}")
    return elapsed, proc.stdout


def row(label: str, ours: float, theirs: float, unit: str, ref: str) -> None:
    ratio = ours / theirs if theirs else float("nan")
    print(f"  {label:<44} ours {ours:8.2f} {unit:<4} | {ref:<26} {theirs:8.2f} {unit:<4} | ours/ref {ratio:5.2f}")


def bench_arp() -> None:
    print("\n[1] ARP sweep: 192.0.2.0/24 + 198.51.100.0/24 (512 addresses), 8 live hosts, one segment")
    hosts = [LabHost(f"a{i}", f"192.0.2.{10 + i * 20}", f"00:1b:21:0d:00:{i:02x}") for i in range(1, 5)]
    hosts += [LabHost(f"b{i}", f"198.51.100.{10 + i * 20}", f"00:1e:c9:0d:00:{i:02x}") for i in range(1, 5)]
    live = {h.ip for h in hosts}
    targets = ["192.0.2.0/24", "198.51.100.0/24"]
    with Lab(hosts, scanner_extra_ips=("198.51.100.1/24",)) as lab:
        opts = {"rate_pps": 2000, "retries": 2, "timeout_s": 0.5}
        ours = timed_sweep(lab, targets, ["arp"], opts, "arp")
        nmap_t, nmap_out = timed_cmd(lab, ["nmap", "-sn", "-PR", "-n", *targets])
        nmap_up = len(re.findall(r"Nmap scan report for (192\.0\.2\.\d+|198\.51\.100\.\d+)", nmap_out)) - 2
        row("clean segment, wall time", ours["elapsed"], nmap_t, "s", "nmap -sn -PR")
        print(f"  found: ours {len(set(ours['found']) & live)}/8, nmap {nmap_up}/8 (excluding the scanner itself)")
        if have_tools("arp-scan"):
            as_t, as_out = timed_cmd(lab, ["arp-scan", "-I", "eth0", "-q", "-x", *targets])
            as_found = len({ln.split()[0] for ln in as_out.splitlines() if ln.strip()} & live)
            row("clean segment, wall time", ours["elapsed"], as_t, "s", "arp-scan (defaults)")
            print(f"  found: arp-scan {as_found}/8")
        print(f"  ours per address: {ours['elapsed'] / 512 * 1000:.2f} ms at rate 2000 pps, 2 retries")

        lab.set_loss(5)
        runs = 5
        ours_found = nmap_found = 0
        ours_time = nmap_time = 0.0
        for _ in range(runs):
            r = timed_sweep(lab, targets, ["arp"], {**opts, "retries": 3}, "arp")
            ours_found += len(set(r["found"]) & live)
            ours_time += r["elapsed"]
            t, out = timed_cmd(lab, ["nmap", "-sn", "-PR", "-n", *targets])
            nmap_found += len(set(re.findall(r"Nmap scan report for (\S+)", out)) & live)
            nmap_time += t
        print(f"  with 5% loss each way, {runs} runs: found ours {ours_found}/{8 * runs} "
              f"({100 * ours_found / (8 * runs):.1f}%), nmap {nmap_found}/{8 * runs} "
              f"({100 * nmap_found / (8 * runs):.1f}%); drops seen by nftables: {lab.loss_drops()}")
        row("5% loss, mean wall time", ours_time / runs, nmap_time / runs, "s", "nmap -sn -PR")


def bench_snmp_one() -> None:
    print("\n[2] SNMP inventory of one net-snmp device (all subtrees we read)")
    hosts = [LabHost("dev", "192.0.2.11", "00:1b:21:0a:00:01", snmpd=True, neighbours=(("192.0.2.99",
                                                                                      "00:80:77:0a:00:99"),))]
    subtrees = [".".join(map(str, SYSTEM))] + [".".join(map(str, c)) for cols in COLUMNS.values() for c in cols]
    with Lab(hosts) as lab:
        runs = 3
        ours = [timed_sweep(lab, ["192.0.2.11"], ["snmp"], {"time_budget_s": 60}, "snmp") for _ in range(runs)]
        best_ours = min(r["elapsed"] for r in ours)
        theirs = []
        for _ in range(runs):
            script = "; ".join(f"snmpbulkwalk -v2c -c public -Cr25 -On 192.0.2.11 {oid} >/dev/null"
                               for oid in subtrees)
            t, _ = timed_cmd(lab, ["sh", "-c", script])
            theirs.append(t)
        row(f"{len(subtrees)} subtrees, best of {runs}", best_ours, min(theirs), "s", "snmpbulkwalk (sequential)")
        print(f"  ours includes the credential probe and building observations; status: {ours[-1]['statuses']}")


def bench_snmp_many() -> None:
    print("\n[3] 50 simulated devices (snmpsim switch walk) at once vs one")
    ips = [f"192.0.2.{100 + i}" for i in range(50)]
    host = LabHost("sim", ips[0], "00:00:0c:aa:bb:01", snmpsim_data=DATA / "switch",
                   extra_ips=tuple(f"{ip}/24" for ip in ips[1:]),
                   snmpsim_args=tuple(f"--agent-udpv4-endpoint={ip}:161" for ip in ips[1:]))
    with Lab([host]) as lab:
        time.sleep(2)  # snmpsim binds its extra endpoints after the first
        one = timed_sweep(lab, [ips[0]], ["snmp"], {"time_budget_s": 120}, "snmp")
        # One snmpsim process answers for all 50 addresses and is single-threaded, so it, not the
        # scanner, is the bottleneck; a moderate concurrency and a patient timeout avoid piling
        # retries onto a queue it cannot drain (64 at once with 1 s timeouts makes it time out).
        many = timed_sweep(lab, ips, ["snmp"], {"time_budget_s": 300, "snmp_concurrency": 8, "timeout_s": 3},
                           "snmp")
        ok = sum(1 for _, good in many["statuses"] if good)
        script = "; ".join(
            f"for o in 1.3.6.1.2.1.1 1.3.6.1.2.1.2.2 1.3.6.1.2.1.31.1.1 1.3.6.1.2.1.4.22 1.3.6.1.2.1.17 "
            f"1.3.6.1.2.1.47.1.1.1 1.0.8802.1.1.2.1.4; do snmpbulkwalk -v2c -c public -Cr25 {ip} $o >/dev/null; done"
            for ip in ips)
        ref_t, _ = timed_cmd(lab, ["sh", "-c", script])
        print(f"  ours: 1 device {one['elapsed']:.2f} s; 50 devices {many['elapsed']:.2f} s "
              f"({ok}/50 ok) -> {many['elapsed'] / one['elapsed']:.1f}x the time for 50x the devices")
        row("50 devices, wall time", many["elapsed"], ref_t, "s", "snmpbulkwalk loop (serial)")


def main() -> None:
    """Run every scanner benchmark (root only) and print ours beside the reference tools."""
    if os.geteuid() != 0:
        print("bench_scan: needs root (network namespaces); skipped")
        return
    missing = [t for t in ("ip", "nft", "nmap", "snmpd", "snmpbulkwalk") if not have_tools(t)]
    if missing:
        print(f"bench_scan: missing tools {', '.join(missing)}; skipped")
        return
    print("netcensus scanner benchmarks (namespace lab; times are wall-clock seconds)")
    only = set(sys.argv[1:])
    if not only or "arp" in only:
        bench_arp()
    if not only or "snmp" in only:
        bench_snmp_one()
    if not only or "many" in only:
        bench_snmp_many()


if __name__ == "__main__":
    main()
