"""A throw-away network lab in Linux network namespaces, for tests, benchmarks and the demo.

Layout: one *bridge* namespace holding a Linux bridge, one *scanner* namespace and N *host*
namespaces, each joined to the bridge by a veth pair created directly inside the bridge
namespace (so no interface ever appears in the machine's own namespace). Hosts get fixed
vendor MACs and addresses from the documentation range 192.0.2.0/24 (RFC 5737); optional
extra ranges use 198.51.100.0/24, and benchmarks that need a subnet larger than a /24 use
198.18.0.0/20 from the range RFC 2544 reserves for benchmarking (198.18.0.0/15). Nothing here
can reach a real network: the bridge has no uplink and no namespace has a default route.

Every namespace name starts with ``ncl<pid>x<n>`` so parallel runs do not collide, and
``Lab.__exit__`` deletes every namespace it made — also on exceptions and KeyboardInterrupt;
``cleanup_stale()`` removes leftovers of runs whose process died (SIGKILL).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from agent.errors import AgentError
from agent.escaping import escape_text

_COUNTER = itertools.count()
_PREFIX = "ncl"
REPO_ROOT = Path(__file__).resolve().parents[2]


class LabError(AgentError):
    """The lab could not be built (not root, `ip` missing, a command failed)."""


@dataclass(frozen=True, slots=True)
class LabHost:
    """One simulated host: its address, MAC and what it runs.

    Attributes:
        name: short label (also its snmpd sysName).
        ip: IPv4 address on the lab segment.
        prefix: its prefix length there (24 for the documentation ranges; e.g. 20 for a host
            on BENCH_NET).
        mac: fixed MAC, so vendor lookups are deterministic.
        snmpd: run net-snmp's snmpd with `snmpd_community`.
        snmpsim_data: directory of .snmprec files to serve with snmpsim (community = file stem).
        extra_ips: more CIDR-addresses on the same interface (e.g. "198.51.100.11/24").
        neighbours: static ARP entries (ip, mac) in the host's own ARP cache, so that its
            ipNetToMediaTable lists hosts the scanner cannot reach itself.
        v3_users: net-snmp `createUser` argument strings, e.g. "u1 SHA-256 authpass1 AES authpass2".
        snmpd_extra: extra snmpd.conf lines.
        tcp_ports: run a tiny HTTP server (Python's http.server) on each of these ports.
        snmpsim_lite: serve with snmpsim-command-responder-lite (SNMPv1/v2c only, pysnmp v1arch):
            several times less CPU per request than the full responder, so a simulated fleet
            measures the scanner rather than the simulator. Data files are then chosen by
            community and transport as <community>/1.3.6.1.6.1.1.<n>.snmprec, n = endpoint index.
    """

    name: str
    ip: str
    mac: str
    prefix: int = 24
    snmpd: bool = False
    snmpd_community: str = "public"
    snmpsim_data: Path | None = None
    snmpsim_args: tuple[str, ...] = ()
    extra_ips: tuple[str, ...] = ()
    neighbours: tuple[tuple[str, str], ...] = ()
    v3_users: tuple[str, ...] = field(default=(), repr=False)
    snmpd_extra: tuple[str, ...] = ()
    tcp_ports: tuple[int, ...] = ()
    snmpsim_lite: bool = False


# The first four MACs are fixed by the product demo's sample register (Intel, Apple, Dell,
# Brother OUIs); change them only together with that register.
DEMO_MACS = ("00:1b:21:0a:00:01", "3c:22:fb:0a:00:02", "00:1e:c9:0a:00:03", "00:80:77:0a:00:04")
# A host that only host-1's ARP cache knows about (Brother OUI): it exists for the scanner
# solely as an SNMP ARP-cache sighting.
HIDDEN_NEIGHBOUR = ("192.0.2.99", "00:80:77:0a:00:99")
LAN_NET, ROUTED_NET = "192.0.2.0/24", "198.51.100.0/24"
# A /20 for sweeps larger than a documentation /24: RFC 2544 (appendix C) reserves 198.18.0.0/15 for
# benchmarking network devices; it is only ever configured inside the lab's namespaces.
BENCH_NET = "198.18.0.0/20"
ROUTER_LAN_IP, ROUTER_ROUTED_IP = "192.0.2.254", "198.51.100.254"
ROUTER_MAC = "00:00:0c:0a:00:fe"  # a Cisco OUI, as a router on a LAN would typically have


def default_hosts(*, snmpd: bool = True) -> tuple[LabHost, ...]:
    """The demo's four hosts; host 1 runs snmpd and remembers one unreachable neighbour."""
    return (
        LabHost("lab-h1", "192.0.2.11", DEMO_MACS[0], snmpd=snmpd, neighbours=(HIDDEN_NEIGHBOUR,)),
        LabHost("lab-h2", "192.0.2.12", DEMO_MACS[1]),
        LabHost("lab-h3", "192.0.2.13", DEMO_MACS[2]),
        LabHost("lab-h4", "192.0.2.14", DEMO_MACS[3]),
    )


def have_tools(*names: str) -> bool:
    """True when every named executable is on PATH (tests skip otherwise)."""
    return all(shutil.which(n) for n in names)


def _run(argv: Sequence[str], *, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"lab: `{' '.join(argv)}` failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_namespace_pids(ns: str) -> None:
    # Only processes inside a namespace this module created (and so started by us) are signalled.
    out = _run(["ip", "netns", "pids", ns], check=False).stdout.split()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = [int(p) for p in out if p.isdigit() and int(p) != os.getpid()]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        for _ in range(20):
            if not any(_pid_alive(p) for p in pids):
                return
            time.sleep(0.05)
        out = _run(["ip", "netns", "pids", ns], check=False).stdout.split()


def delete_namespace(ns: str) -> None:
    """Stop what runs inside one of our namespaces, then delete it (idempotent)."""
    _kill_namespace_pids(ns)
    _run(["ip", "netns", "del", ns], check=False)


def cleanup_stale() -> list[str]:
    """Delete lab namespaces left behind by lab processes that no longer exist."""
    removed = []
    names = _run(["ip", "netns", "list"], check=False).stdout.split("\n")
    for line in names:
        m = re.match(rf"^({_PREFIX}(\d+)x\d+-\S+)", line.strip())
        if m and not _pid_alive(int(m.group(2))):
            delete_namespace(m.group(1))
            removed.append(m.group(1))
    return removed


class Lab:
    """Context manager that builds the namespace lab and always tears it down.

    Example:
        with Lab(default_hosts()) as lab:
            lab.scanner_run([sys.executable, "-m", "agent.lab.namespaces", "--inside", ...])
    """

    def __init__(
        self,
        hosts: Sequence[LabHost] | None = None,
        *,
        scanner_ip: str = "192.0.2.1/24",
        scanner_extra_ips: Sequence[str] = (),
        loss_percent: int = 0,
        start_services: bool = True,
        routed_hosts: Sequence[LabHost] = (),
    ) -> None:
        """Describe the lab; nothing is created until __enter__.

        Args:
            hosts: host namespaces to build (default: default_hosts()).
            scanner_ip: the scanner's address with prefix length.
            scanner_extra_ips: more addresses for the scanner (e.g. "198.51.100.1/24").
            loss_percent: drop this share of bridged frames (nftables in the bridge namespace).
            start_services: start snmpd/snmpsim on hosts that ask for them.
            routed_hosts: hosts on a second segment (198.51.100.0/24, bridge br1) behind a
                router namespace (192.0.2.254 / 198.51.100.254): reachable by IP, not by ARP.
        """
        self.lan_hosts = tuple(default_hosts() if hosts is None else hosts)
        self.routed_hosts = tuple(routed_hosts)
        self.hosts = self.lan_hosts + self.routed_hosts
        self.scanner_ip = scanner_ip
        self.scanner_extra_ips = tuple(scanner_extra_ips)
        self.loss_percent = loss_percent
        self.start_services = start_services
        self.tag = f"{_PREFIX}{os.getpid()}x{next(_COUNTER)}"
        self.bridge_ns = f"{self.tag}-br"
        self.scanner_ns = f"{self.tag}-sc"
        self.namespaces: list[str] = []
        self.router_ns = ""
        self.host_ns: dict[str, str] = {}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.tag}-"))

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Lab:
        """Build everything; on any failure, tear down what was built and re-raise."""
        if os.geteuid() != 0:
            raise LabError("lab: network namespaces need root")
        if not have_tools("ip"):
            raise LabError("lab: the `ip` command (iproute2) is missing")
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Tear down, whatever happened inside the with-block."""
        self.close()

    def close(self) -> None:
        """Stop services and delete every namespace this lab created (idempotent)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=3)
        self.procs.clear()
        for ns in reversed(self.namespaces):
            delete_namespace(ns)
        self.namespaces.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- building ----------------------------------------------------------------------------

    def _add_ns(self, name: str) -> None:
        _run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        _run(["ip", "-n", name, "link", "set", "lo", "up"])

    def _attach(self, ns: str, port: str, mac: str | None, addresses: Sequence[str], *,
                bridge: str = "br0", dev: str = "eth0") -> None:
        # Create the pair inside the bridge namespace and move the peer straight into `ns`.
        _run(["ip", "-n", self.bridge_ns, "link", "add", port, "type", "veth",
              "peer", "name", dev, "netns", ns])
        _run(["ip", "-n", self.bridge_ns, "link", "set", port, "master", bridge, "up"])
        if mac:
            _run(["ip", "-n", ns, "link", "set", dev, "address", mac])
        for addr in addresses:
            _run(["ip", "-n", ns, "addr", "add", addr, "dev", dev])
        _run(["ip", "-n", ns, "link", "set", dev, "up"])

    def _build(self) -> None:
        self._add_ns(self.bridge_ns)
        _run(["ip", "-n", self.bridge_ns, "link", "add", "br0", "type", "bridge"])
        _run(["ip", "-n", self.bridge_ns, "link", "set", "br0", "up"])
        self._add_ns(self.scanner_ns)
        self._attach(self.scanner_ns, "vsc", None, (self.scanner_ip, *self.scanner_extra_ips))
        if self.routed_hosts:
            # A router namespace between br0 (192.0.2.0/24) and br1 (198.51.100.0/24). Only the
            # two documentation subnets are routed; nobody has a default route.
            _run(["ip", "-n", self.bridge_ns, "link", "add", "br1", "type", "bridge"])
            _run(["ip", "-n", self.bridge_ns, "link", "set", "br1", "up"])
            self.router_ns = f"{self.tag}-rt"
            self._add_ns(self.router_ns)
            self._attach(self.router_ns, "vrt0", ROUTER_MAC, (f"{ROUTER_LAN_IP}/24",))
            self._attach(self.router_ns, "vrt1", None, (f"{ROUTER_ROUTED_IP}/24",), bridge="br1", dev="eth1")
            _run(["ip", "netns", "exec", self.router_ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            _run(["ip", "-n", self.scanner_ns, "route", "add", ROUTED_NET, "via", ROUTER_LAN_IP])
        for i, host in enumerate(self.hosts, start=1):
            ns = f"{self.tag}-h{i}"
            self._add_ns(ns)
            self.host_ns[host.name] = ns
            routed = host in self.routed_hosts
            self._attach(ns, f"vh{i}", host.mac, (f"{host.ip}/{host.prefix}", *host.extra_ips),
                         bridge="br1" if routed else "br0")
            for ip, mac in host.neighbours:
                _run(["ip", "-n", ns, "neigh", "replace", ip, "lladdr", mac, "dev", "eth0", "nud", "permanent"])
            if routed:
                _run(["ip", "-n", ns, "route", "add", LAN_NET, "via", ROUTER_ROUTED_IP])
        if self.loss_percent:
            self.set_loss(self.loss_percent)
        if self.start_services:
            for host in self.hosts:
                if host.snmpd:
                    self.start_snmpd(host)
                if host.snmpsim_data is not None:
                    self.start_snmpsim(host)
                for port in host.tcp_ports:
                    self.popen_in(self.ns_of(host), [sys.executable, "-m", "http.server", str(port),
                                                     "--bind", host.ip, "--directory", str(self.workdir)])
            self.wait_for_udp(161)

    def set_loss(self, percent: int) -> None:
        """Drop `percent`% of frames crossing the bridge, each direction, independently.

        This kernel has no tc netem; nftables' bridge family sees every bridged frame in its
        forward hook, and `numgen random mod 100` draws per frame.
        """
        if not have_tools("nft"):
            raise LabError("lab: packet loss needs nftables (`nft`)")
        table = "netcensus_loss"
        _run(["ip", "netns", "exec", self.bridge_ns, "nft", "delete", "table", "bridge", table], check=False)
        if percent <= 0:
            return
        rules = (f"table bridge {table} {{\n chain lossy {{\n  type filter hook forward priority 0; policy accept;\n"
                 f"  numgen random mod 100 < {int(percent)} counter drop\n }}\n}}\n")
        path = self.workdir / "loss.nft"
        path.write_text(rules)
        _run(["ip", "netns", "exec", self.bridge_ns, "nft", "-f", str(path)])

    def loss_drops(self) -> int:
        """Frames the loss rule has dropped so far (proves the loss is real)."""
        out = _run(["ip", "netns", "exec", self.bridge_ns, "nft", "list", "table", "bridge",
                    "netcensus_loss"], check=False).stdout
        m = re.search(r"counter packets (\d+)", out)
        return int(m.group(1)) if m else 0

    # -- services ----------------------------------------------------------------------------

    def ns_of(self, host: LabHost | str) -> str:
        """Namespace name of a host (by LabHost or name)."""
        return self.host_ns[host if isinstance(host, str) else host.name]

    def popen_in(self, ns: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
                 log: Path | None = None) -> subprocess.Popen[bytes]:
        """Start a long-running process inside `ns`; it is stopped by close()."""
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 — owned by the child
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        self.procs.append(proc)
        return proc

    def start_snmpd(self, host: LabHost) -> Path:
        """Run net-snmp's snmpd in the host's namespace; returns its log file.

        `-C -c FILE` ignores the system's snmpd.conf; SNMP_PERSISTENT_DIR keeps each agent's
        engine boots and v3 users apart from /var/lib/snmp and from each other.
        """
        if not have_tools("snmpd"):
            raise LabError("lab: snmpd (Debian package snmpd) is missing")
        hdir = self.workdir / host.name
        (hdir / "persist").mkdir(parents=True, exist_ok=True)
        lines = [
            "agentAddress udp:161",
            f"rocommunity {host.snmpd_community} default",
            f"sysName {host.name}",
            "sysLocation netcensus lab rack 1",
            "sysContact lab@example.org",
            "sysServices 72",
        ]
        for user in host.v3_users:
            lines.append(f"createUser {user}")
            name = user.split()[0]
            level = "priv" if len(user.split()) >= 5 else "auth" if len(user.split()) >= 3 else "noauth"
            lines.append(f"rouser {name} {level}")
        lines.extend(host.snmpd_extra)
        conf = hdir / "snmpd.conf"
        conf.write_text("\n".join(lines) + "\n")
        log = hdir / "snmpd.log"
        self.popen_in(self.ns_of(host), ["snmpd", "-f", "-Lf", str(log), "-C", "-c", str(conf),
                                         "-p", str(hdir / "snmpd.pid")],
                      env={"SNMP_PERSISTENT_DIR": str(hdir / "persist"), "MIBS": ""})
        return log

    def start_snmpsim(self, host: LabHost) -> Path:
        """Run snmpsim-command-responder in the host's namespace serving host.snmpsim_data."""
        exe = Path(sys.executable).parent / "snmpsim-command-responder"
        if not exe.exists():
            raise LabError("lab: snmpsim is not installed in this Python environment (pip install snmpsim pysmi)")
        hdir = self.workdir / host.name
        (hdir / "cache").mkdir(parents=True, exist_ok=True)
        log = hdir / "snmpsim.log"
        # The lite responder runs through a shim that adapts it to pysnmp 7 (see simlite.py).
        argv0 = [sys.executable, "-m", "agent.lab.simlite"] if host.snmpsim_lite else [str(exe)]
        self.popen_in(self.ns_of(host), [
            *argv0, f"--data-dir={host.snmpsim_data}", f"--cache-dir={hdir / 'cache'}",
            f"--agent-udpv4-endpoint={host.ip}:161", "--process-user=root", "--process-group=root",
            f"--logging-method=file:{log}", *host.snmpsim_args,
        ], log=hdir / "snmpsim.out", env={"PYTHONPATH": str(REPO_ROOT)})
        return log

    def wait_for_udp(self, port: int, timeout: float = 120.0) -> None:
        """Wait until every SNMP-serving host listens on UDP `port` (services start async)."""
        want = [h for h in self.hosts if h.snmpd or h.snmpsim_data is not None]
        end = time.monotonic() + timeout
        for host in want:
            while True:
                out = _run(["ip", "netns", "exec", self.ns_of(host), "ss", "-Hlun", f"sport = :{port}"],
                           check=False).stdout
                if out.strip():
                    break
                dead = [p for p in self.procs if p.poll() is not None]
                if dead or time.monotonic() > end:
                    raise LabError(f"lab: SNMP service on {host.name} did not start; see {self.workdir}/{host.name}")
                time.sleep(0.1)

    # -- running the scanner -----------------------------------------------------------------

    def scanner_run(self, argv: Sequence[str], *, input_text: str | None = None,
                    timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a command inside the scanner namespace and wait for it."""
        return self.run_in(self.scanner_ns, argv, input_text=input_text, timeout=timeout)

    def run_in(self, ns: str, argv: Sequence[str], *, input_text: str | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a command inside any namespace of this lab and wait for it."""
        if ns not in self.namespaces:
            raise LabError(f"lab: {ns} is not a namespace of this lab")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        return subprocess.run(["ip", "netns", "exec", ns, *argv], input=input_text, capture_output=True,
                              text=True, timeout=timeout, env=env, check=False)

    def sweep(self, targets: Sequence[str], methods: Sequence[str], options: Mapping[str, Any] | None = None,
              *, timeout: float = 300) -> list[dict[str, Any]]:
        """Run agent.scan.sweep() inside the scanner namespace; return the batches as dicts.

        Options (including credentials) travel on stdin, never on a command line `ps` can see.
        """
        proc = self.scanner_run(
            [sys.executable, "-m", "agent.lab.namespaces", "--inside", "--methods", ",".join(methods), *targets],
            input_text=json.dumps(dict(options or {})), timeout=timeout)
        if proc.returncode != 0:
            raise LabError(f"lab: scanner exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
        return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


# -- command line ------------------------------------------------------------------------------

def options_from_mapping(raw: Mapping[str, Any]) -> Any:
    """Build SweepOptions from a JSON object (lists become tuples; v3 users become SnmpV3User)."""
    from agent.scan.options import SnmpV3User, SweepOptions

    kw: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "v3_users":
            kw[key] = tuple(SnmpV3User(**u) for u in value)
        elif isinstance(value, list):
            kw[key] = tuple(value)
        else:
            kw[key] = value
    return SweepOptions(**kw)


def _inside(args: argparse.Namespace) -> int:
    from agent.scan.jsonio import batch_to_dict
    from agent.scan.model import Method
    from agent.scan.sweep import sweep

    raw = sys.stdin.read().strip() if not sys.stdin.isatty() else ""
    options = options_from_mapping(json.loads(raw) if raw else {})
    methods = [Method(m) for m in args.methods.split(",") if m]

    def progress(msg: str) -> None:
        print(escape_text(msg), file=sys.stderr, flush=True)  # may name what a device says it is

    for batch in sweep(args.targets, methods=methods, options=options, progress=progress):
        print(json.dumps(batch_to_dict(batch)), flush=True)
    return 0


def _demo(args: argparse.Namespace) -> int:
    methods = [m for m in args.methods.split(",") if m]
    if "nmap" in methods and not have_tools("nmap"):
        methods.remove("nmap")
    with Lab(default_hosts(snmpd=have_tools("snmpd"))) as lab:
        for batch in lab.sweep(["192.0.2.0/24"], methods, {"time_budget_s": 120}):
            print(json.dumps(batch), flush=True)
    return 0


def lab_main(argv: Sequence[str] | None = None) -> int:
    """Build the default 4-host lab, sweep it from the scanner namespace, print JSON lines.

    With --inside (used by Lab.sweep under `ip netns exec`), run sweep() here instead, reading
    options as JSON on stdin. Returns the process exit code; errors are one line on stderr.
    """
    parser = argparse.ArgumentParser(prog="python -m agent.lab.namespaces", description=lab_main.__doc__)
    parser.add_argument("--inside", action="store_true", help="run sweep() in this namespace")
    parser.add_argument("--methods", default="arp,snmp,nmap")
    parser.add_argument("--cleanup", action="store_true", help="delete namespaces of dead lab runs")
    parser.add_argument("targets", nargs="*", default=["192.0.2.0/24"])
    args = parser.parse_args(argv)
    # SIGTERM (e.g. a demo's subprocess timeout) must unwind through Lab.__exit__ too.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if args.cleanup:
            for ns in cleanup_stale():
                print(f"deleted {ns}", file=sys.stderr)
            return 0
        if args.inside:
            return _inside(args)
        return _demo(args)
    except AgentError as exc:
        print(escape_text(str(exc)), file=sys.stderr)
        return 1
    except (TypeError, ValueError) as exc:
        print(f"lab: bad options: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def iter_observations(batches: Sequence[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every observation dict of a list of batch dicts (test and bench helper)."""
    for b in batches:
        yield from b.get("observations", ())


if __name__ == "__main__":
    sys.exit(lab_main())
