"""The kernel's neighbour table, watched while a sweep talks to hosts: L2 answers without an ARP sweep.

When a sweep runs SNMP (or nmap) alone, the kernel still resolves every on-link address it sends to
over ARP, and its neighbour table then says which MAC answered. Only entries in state REACHABLE count
(RFC 4861 section 7.3.2, which Linux applies to ARP too): reachability was confirmed within the last
base_reachable_time (15-45 s), i.e. while this sweep was talking to the address; a STALE or DELAY entry
may be left from before and name whoever held the address then. The table is polled while the hosts
are queried (an entry confirmed early in a long sweep goes STALE before its end), through iproute2's
`ip -json neigh` (present wherever the lab and the namespaces run; if it is missing, nothing is read
and no binding is made).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from agent.scan.binding import Answer
from agent.scan.classify import normalise_mac

# How often the table is read while hosts are queried: well inside the shortest reachable time (15 s).
POLL_S = 1.0

Reader = Callable[[], str]


def read_table() -> str:
    """The IPv4 neighbour table as `ip -json -4 neigh show` prints it ("" when it cannot be read)."""
    exe = shutil.which("ip")
    if exe is None:
        return ""
    try:
        proc = subprocess.run([exe, "-json", "-4", "neigh", "show"], capture_output=True, text=True, timeout=5,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout if proc.returncode == 0 else ""


def reachable(text: str) -> list[tuple[str, str]]:
    """(address, MAC) of the REACHABLE entries in `ip -json neigh` output; anything unreadable is skipped."""
    try:
        entries = json.loads(text) if text.strip() else []
    except ValueError:
        return []
    out: list[tuple[str, str]] = []
    for e in entries if isinstance(entries, list) else ():
        if not isinstance(e, dict):
            continue
        states = e.get("state") or ()
        mac = normalise_mac(str(e.get("lladdr", "")))
        if "REACHABLE" in states and mac and isinstance(e.get("dst"), str):
            out.append((e["dst"], mac))
    return out


class NeighbourWatch:
    """Polls the table in a thread; `answers()` is every (address, MAC) seen REACHABLE for a wanted address."""

    def __init__(self, wanted: Iterable[str], reader: Reader = read_table, poll_s: float = POLL_S) -> None:
        self._wanted = frozenset(wanted)
        self._reader = reader
        self._poll_s = poll_s
        self._seen: dict[tuple[str, str], datetime] = {}
        self._all: dict[tuple[str, str], datetime] = {}  # every REACHABLE pair: proxy ARP shows here
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scan-neighbours", daemon=True)

    def __enter__(self) -> NeighbourWatch:
        """Start polling."""
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop polling after one last read (the last hosts' entries are the freshest)."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._read()

    def _loop(self) -> None:
        while not self._stop.wait(self._poll_s):
            self._read()

    def _read(self) -> None:
        now = datetime.now(UTC)
        for pair in reachable(self._reader()):
            self._all.setdefault(pair, now)
            if pair[0] in self._wanted:
                self._seen.setdefault(pair, now)

    def answers(self) -> list[Answer]:
        """The L2 answers for wanted addresses, plus every other address the same MACs answered for.

        The others count towards a MAC's number of addresses (binding.bindings refuses a MAC answering
        for implausibly many: a proxy-ARP router) but are never bound themselves.
        """
        macs = {mac for _, mac in self._seen}
        return [Answer(ip, mac, "neighbour", at) for (ip, mac), at in self._all.items() if mac in macs]
