"""`netcensus demo`: the main job end to end on an embedded default, for a newcomer's first run.

It starts a collector on a fresh DuckDB file on loopback, reports this machine through the real
agent (a separate process, as in production), sweeps a small lab network built in network
namespaces when running as root (never the machine's real networks), imports the bundled sample
register, and prints the findings. Nothing is sent anywhere but loopback and those namespaces.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from collector.client import CollectorClient
from collector.config import ServeConfig, default_rules_dir
from collector.errors import NetcensusError
from collector.output import to_table
from collector.register import SAMPLE_REGISTER
from collector.serve.access import new_token
from collector.serve.server import BackgroundCollector
from collector.serve.web.passwords import hash_password
from collector.store.users import add_user

_DEMO_RULES = Path(__file__).resolve().parent / "demo_rules"


def _say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _agent_command() -> list[str]:
    script = Path(sys.executable).with_name("netcensus-agent")
    if script.exists():
        return [str(script)]
    found = shutil.which("netcensus-agent")
    if found:
        return [found]
    return [sys.executable, "-m", "agent.cli"]


def _run_agent(args: list[str], *, timeout: float, secret: str) -> str:
    env = dict(os.environ, NETCENSUS_ENROL_SECRET=secret)
    proc = subprocess.run([*_agent_command(), *args], capture_output=True, text=True, timeout=timeout, check=False,
                          env=env)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
        raise NetcensusError(f"netcensus-agent {args[0]} failed: {last}")
    return proc.stdout.strip()


def _lab_possible() -> str:
    """'' when the namespace lab can run here, else why not."""
    if os.geteuid() != 0:
        return "not running as root"
    if not shutil.which("ip"):
        return "iproute2 (ip) is not installed"
    return ""


def _demo_rules(target: Path) -> Path:
    """The demo's rule packs in `target`: the shipped ones plus a demo site policy that has something to show.

    A directory of the demo's own, so that `findings --db ... --rules DIR` applies exactly the rules the
    demo's collector applied (one set of answers whichever way you ask).
    """
    target.mkdir(parents=True, exist_ok=True)
    for pack in sorted([*default_rules_dir().glob("*.yaml"), *_DEMO_RULES.glob("*.yaml")]):
        shutil.copyfile(pack, target / pack.name)
    return target


def _wait_for_interrupt() -> None:
    """Block until SIGINT or SIGTERM (`demo --keep`)."""
    import signal
    import threading

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def run_demo(*, workdir: Path | None, lab: bool, keep: bool = False) -> int:
    """Run the demo; returns the exit code. keep: go on serving the collector and its dashboard until
    interrupted."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="netcensus-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "netcensus.duckdb"
    secret = secrets.token_urlsafe(24)  # the demo's agents enrol with it, as production agents would
    # The demo's own admin credential, as an operator's bootstrap token (NETCENSUS_ADMIN_TOKEN): Query
    # and Admin answer no one without one. It lives only in this process.
    token = new_token()
    rules = _demo_rules(workdir / "rules")
    config = ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(rules,), ghost_after=timedelta(0),
                         refresh_interval=timedelta(0), enrol_secret=secret, admin_token=token,
                         ui_listen="127.0.0.1:0")
    # A dashboard login for the demo (collector/serve/web/): printed once, kept only as a scrypt hash.
    demo_password = secrets.token_urlsafe(12)
    started = time.monotonic()
    _say(f"starting a collector on loopback with database {db}")
    with BackgroundCollector(config) as running:
        target = running.target
        _say(f"collector listening on {target}")
        _say("reporting this machine through the agent (netcensus-agent report --once)")
        print("    " + _run_agent(["report", "--collector", target, "--once", "--state-dir", str(workdir / "agent")],
                                   timeout=120, secret=secret), flush=True)
        why_not = _lab_possible() if lab else "--no-lab given"
        if why_not:
            _say(f"skipping the lab sweep: {why_not}")
        else:
            _say("building a 4-host lab in network namespaces (192.0.2.0/24) and sweeping it: ARP, SNMP, nmap")
            print("    " + _run_agent(["lab", "--collector", target, "--state-dir", str(workdir / "scanner")],
                                       timeout=300, secret=secret), flush=True)
        _say(f"importing the sample asset register ({SAMPLE_REGISTER.name}, Snipe-IT export)")
        with CollectorClient(target, token=token) as client:
            r = client.import_register(SAMPLE_REGISTER.read_bytes(), "snipeit", SAMPLE_REGISTER.name)
            print(f"    {r.rows} records imported", flush=True)
            findings = client.findings(kinds=[], since=None, ghost_after=timedelta(0))
            assets = list(client.assets())
        collector = running.collector
        assert collector is not None  # set by entering the block
        add_user(collector.store, "demo", "reader", hash_password(demo_password), datetime.now(UTC))
        dashboard = f"http://127.0.0.1:{collector.ui_port}/"
        if keep:
            _say(f"dashboard: {dashboard}  (log in as demo / {demo_password}); Ctrl-C stops the collector")
            _wait_for_interrupt()
    _say(f"{len(assets)} assets resolved; {len(findings)} findings (first audit: --ghost-after 0)")
    print()
    print(to_table(findings, (("severity", "SEVERITY"), ("kind", "KIND"), ("hostname", "HOST"), ("ip", "IP"),
                              ("asset_tag", "TAG"), ("summary", "SUMMARY"))) or "no findings")
    print()
    print(f"Done in {time.monotonic() - started:.1f} s. The database is {db}")
    print("Try next:")
    print(f"  .venv/bin/netcensus findings --db {db} --rules {rules} --ghost-after 0 --format json")
    print(f"  .venv/bin/netcensus assets --db {db}")
    print(f"  .venv/bin/netcensus findings --db {db} --rules {rules} --kind unauthorised-software")
    print(f"  .venv/bin/netcensus findings --db {db} --rules {rules} --kind unpatched,firewall-off")
    me = shlex.quote(socket.gethostname())
    print(f"  .venv/bin/netcensus asset {me} --db {db}   # everything about this machine")
    print(f"  .venv/bin/netcensus changes --since 1d --db {db}   # what appeared, changed and was found today")
    print(f"  .venv/bin/netcensus sql --db {db} \"SELECT name, version, source FROM software LIMIT 10\"")
    print(f"  .venv/bin/netcensus tokens create me --role reader --db {db}   # a token for --collector queries")
    print(f"  .venv/bin/netcensus audit --db {db}   # who read and changed what")
    print(f"  NETCENSUS_ENROL_SECRET=... .venv/bin/netcensus serve --db {db} --listen 127.0.0.1:50051"
          "   # then point agents at it")
    print(f"Dashboard: .venv/bin/netcensus ui --db {db}   then open http://127.0.0.1:8080/ and log in as "
          f"demo / {demo_password}")
    print("  (or `.venv/bin/netcensus demo --keep` to keep the demo's collector and its dashboard serving)")
    return 0
