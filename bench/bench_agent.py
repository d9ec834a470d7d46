"""Benchmark: the endpoint agent's footprint beside dpkg-query, rpm and FusionInventory, same run.

Prints, for this machine:

* one-shot inventory: wall time, CPU time (user+sys of the child and everything it ran) and max
  RSS of `netcensus-agent facts --format json`, `dpkg-query -W`, `rpm -qa` (where present) and
  `fusioninventory-inventory` (Debian package fusioninventory-agent; skipped with a note when it
  is not installed — this script installs nothing), each run several times, median reported;
  with item counts: our software list vs dpkg-query lines vs rpm lines vs <SOFTWARES> entries
  in FusionInventory's XML;
* the collection itself inside one process (no interpreter start-up): CPU for everything, and
  for software sources + hardware facts only (the issue's 200 ms budget);
* the report path's imports: `netcensus-agent report --once` against a closed loopback port,
  under `python -X importtime`, listing whether scapy, pysnmp, nmap or duckdb were imported;
* the daemon: `run_daemon` in a subprocess with a 2 s interval whose cycle only collects (no
  collector), RSS and CPU sampled from /proc for ~20 s, then idle CPU with a long interval.

Goals from issue 6: more items than FusionInventory, at most half its wall time and three
quarters of its memory; collection <= 200 ms CPU; daemon steady-state RSS <= 50 MB, idle CPU ~0.

Run: ``.venv/bin/python bench/bench_agent.py [--runs N] [--daemon-seconds S]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
AGENT = str(VENV_BIN / "netcensus-agent")
HEAVY = ("scapy", "pysnmp", "nmap", "duckdb", "pyarrow", "collector")
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    """One measured child process."""

    wall_s: float
    cpu_s: float
    maxrss_mb: float
    stdout: bytes
    returncode: int


def measure(argv: list[str], *, env: dict[str, str] | None = None, timeout_s: float = 300) -> Run:
    """Run argv once; wall from fork to exit, CPU and max RSS from wait4's rusage of that child.

    wait4 reports the child's own usage plus that of its waited-for descendants, so a tool that
    forks helpers (FusionInventory runs dmidecode, lspci, dpkg-query...) is charged for them.
    """
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)
        deadline = started + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        data = out.read()
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, data, proc.returncode)


def _count_ours(out: bytes) -> str:
    data = json.loads(out)
    by: dict[str, int] = {}
    for item in data["software"]:
        by[item["source"]] = by.get(item["source"], 0) + 1
    detail = ", ".join(f"{n} {s}" for s, n in sorted(by.items()))
    return f"{len(data['software'])} ({detail})"


def _count_lines(out: bytes) -> str:
    return str(sum(1 for line in out.splitlines() if line.strip()))


def _count_fusion(out: bytes) -> str:
    text = out.decode("utf-8", errors="replace")
    return str(len(re.findall(r"<SOFTWARES>", text)))


def tools() -> list[tuple[str, list[str], object, str]]:
    """(label, argv, item counter, note) for every tool present here."""
    found: list[tuple[str, list[str], object, str]] = [
        ("netcensus-agent facts", [AGENT, "facts", "--format", "json"], _count_ours, ""),
    ]
    if shutil.which("dpkg-query"):
        found.append(("dpkg-query -W", ["dpkg-query", "-W"], _count_lines, ""))
    if shutil.which("rpm"):
        found.append(("rpm -qa", ["rpm", "-qa"], _count_lines, ""))
    fusion = shutil.which("fusioninventory-inventory")
    if fusion:
        found.append(("fusioninventory-inventory", [fusion], _count_fusion, ""))
    else:
        found.append(("fusioninventory-inventory", [], None,
                      "not installed (apt-get install fusioninventory-agent); column skipped"))
    return found


def bench_tools(runs: int) -> dict[str, tuple[float, float, float, str]]:
    """Median wall/CPU/RSS and item count per tool, interleaved run by run so load hits all alike."""
    table = tools()
    results: dict[str, list[Run]] = {label: [] for label, argv, _, _ in table if argv}
    for _ in range(runs):
        for label, argv, _, _ in table:
            if argv:
                results[label].append(measure(argv))
    summary: dict[str, tuple[float, float, float, str]] = {}
    print(f"\none-shot inventory on {os.uname().nodename} ({runs} runs each, median; CPU includes children)")
    print(f"  {'tool':<28} {'wall s':>8} {'CPU s':>8} {'max RSS MB':>11}  items")
    for label, argv, counter, note in table:
        if not argv:
            print(f"  {label:<28} {note}")
            continue
        rs = results[label]
        ok = [r for r in rs if r.returncode == 0] or rs
        wall = statistics.median(r.wall_s for r in ok)
        cpu = statistics.median(r.cpu_s for r in ok)
        rss = statistics.median(r.maxrss_mb for r in ok)
        try:
            items = counter(ok[-1].stdout) if callable(counter) else "?"
        except (ValueError, KeyError) as exc:
            items = f"? ({exc})"
        if ok[-1].returncode != 0:
            items += f" (exit {ok[-1].returncode})"
        summary[label] = (wall, cpu, rss, items)
        print(f"  {label:<28} {wall:8.3f} {cpu:8.3f} {rss:11.1f}  {items}")
    ours = summary.get("netcensus-agent facts")
    fusion = summary.get("fusioninventory-inventory")
    if ours and fusion:
        print(f"  ours/FusionInventory: wall {ours[0] / fusion[0]:.2f}x (goal <= 0.50), "
              f"max RSS {ours[2] / fusion[2]:.2f}x (goal <= 0.75), CPU {ours[1] / fusion[1]:.2f}x")
    return summary


_IN_PROCESS = textwrap.dedent("""
    import json, resource, time
    from agent.facts.collect import collect_inventory, FACT_NAMES
    def cpu():
        s = resource.getrusage(resource.RUSAGE_SELF); c = resource.getrusage(resource.RUSAGE_CHILDREN)
        return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
    out = {}
    hw = ["hostname", "os", "hardware", "cpu", "memory", "boot_time", "network", "disks", "virtualization"]
    for label, kw in [("everything", {}), ("sources + hardware", {"facts": hw})]:
        samples = []
        for i in range(6):
            c0, w0 = cpu(), time.perf_counter()
            inv = collect_inventory(**kw)
            samples.append((cpu() - c0, time.perf_counter() - w0))
        first, rest = samples[0], sorted(samples[1:])
        out[label] = {"first_cpu": first[0], "cpu": rest[len(rest) // 2][0], "wall": rest[len(rest) // 2][1],
                      "items": len(inv.software)}
    out["collectors"] = sorted(((s.duration_ms, s.name) for s in inv.collectors), reverse=True)[:5]
    print(json.dumps(out))
""")


def bench_in_process() -> None:
    """CPU of collect_inventory itself, first run (cold) and median of the next five."""
    done = subprocess.run([PYTHON, "-c", _IN_PROCESS], capture_output=True, text=True, check=True, cwd=REPO)
    data = json.loads(done.stdout)
    print("\ncollection inside one process (no interpreter start-up; CPU includes helper processes)")
    for label in ("everything", "sources + hardware"):
        d = data[label]
        print(f"  {label:<20} first run {d['first_cpu'] * 1000:6.1f} ms CPU; then median {d['cpu'] * 1000:6.1f} ms CPU,"
              f" {d['wall'] * 1000:6.1f} ms wall; {d['items']} packages   (budget 200 ms CPU)")


def bench_report_imports() -> None:
    """Which heavy libraries the report path imports, and what the imports cost."""
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "NETCENSUS_AGENT_STATE": state, "GRPC_VERBOSITY": "NONE"}
        started = time.perf_counter()
        # Port 9 (discard) on loopback: nothing listens, so the report fails fast after collecting.
        done = subprocess.run([PYTHON, "-X", "importtime", "-m", "agent.cli", "report", "--once",
                               "--collector", "127.0.0.1:9", "--state-dir", state],
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False)
        wall = time.perf_counter() - started
    modules: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            if cumulative.isdigit() and not name.startswith(" "):
                modules[name.strip()] = int(cumulative)
    top = {n: us for n, us in modules.items() if "." not in n}
    heavy = sorted(n for n in modules if n.split(".")[0] in HEAVY)
    biggest = sorted(top.items(), key=lambda kv: -kv[1])[:6]
    print("\nreport path (`netcensus-agent report --once` to a closed loopback port)")
    print(f"  {len(modules)} modules imported, {wall:.2f} s wall in total (collect + failed connect)")
    print("  largest top-level imports: " + ", ".join(f"{n} {us / 1000:.0f} ms" for n, us in biggest))
    print(f"  heavy libraries imported: {', '.join(heavy) if heavy else 'none'} (checked: {', '.join(HEAVY)})")


_DAEMON = textwrap.dedent("""
    import sys, threading, signal
    from agent.daemon import run_daemon
    from agent.facts.collect import collect_inventory
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    def cycle(skip):
        reason = "memory ceiling 80 MB reached"
        collect_inventory(skip={n: reason for n in skip or ()})
        print("cycle", flush=True)
    run_daemon(interval_s=float(sys.argv[1]), jitter_s=float(sys.argv[2]), memory_ceiling_mb=80, cycle=cycle,
               stop=stop)
""")


def _proc_sample(pid: int) -> tuple[float, float]:
    """(RSS MB, CPU seconds) of a live process from /proc (proc(5): status VmRSS, stat utime+stime)."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # After the comm field: state is index 0, utime 11, stime 12, cutime 13, cstime 14.
    cpu = sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLK_TCK
    return rss, cpu


def bench_daemon(seconds: float) -> None:
    """Steady-state RSS and CPU of the daemon loop, then its idle CPU between cycles."""
    busy = max(6.0, seconds * 0.7)
    proc = subprocess.Popen([PYTHON, "-c", _DAEMON, "2", "0.5"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    samples: list[tuple[float, float, float]] = []
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < busy:
            time.sleep(0.25)
            samples.append((time.perf_counter() - started, *_proc_sample(proc.pid)))
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    cycles = out.count("cycle")
    steady = [s for s in samples if s[0] > busy / 3]
    rss_values = [s[1] for s in steady]
    cpu_per_cycle = (samples[-1][2] - samples[0][2]) / max(1, cycles - 1)

    proc = subprocess.Popen([PYTHON, "-c", _DAEMON, "3600", "0"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # first cycle done; from here on the daemon waits
        time.sleep(0.5)
        idle_window = max(3.0, seconds - busy)
        _, cpu0 = _proc_sample(proc.pid)
        time.sleep(idle_window)
        rss1, cpu1 = _proc_sample(proc.pid)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    print(f"\ndaemon (run_daemon, 2 s interval + up to 0.5 s jitter, cycle = collect only; "
          f"{busy:.0f} s, {cycles} cycles)")
    print(f"  RSS steady state: median {statistics.median(rss_values):.1f} MB, max {max(rss_values):.1f} MB "
          f"(goal <= 50 MB); first sample {samples[0][1]:.1f} MB")
    print(f"  CPU per cycle: {cpu_per_cycle * 1000:.0f} ms")
    print(f"  idle between cycles: {(cpu1 - cpu0) * 1000:.0f} ms CPU over {idle_window:.0f} s "
          f"({(cpu1 - cpu0) / idle_window * 100:.2f} % of a core), RSS {rss1:.1f} MB")


def main() -> None:
    """Run every part and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per tool (median reported)")
    parser.add_argument("--daemon-seconds", type=float, default=20.0, help="how long to watch the daemon")
    args = parser.parse_args()
    print(f"netcensus agent benchmark · Python {sys.version.split()[0]} · {os.cpu_count()} CPUs")
    bench_tools(args.runs)
    bench_in_process()
    bench_report_imports()
    bench_daemon(args.daemon_seconds)


if __name__ == "__main__":
    main()
