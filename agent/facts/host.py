"""Host name and fully qualified domain name, without ever asking DNS.

`socket.getfqdn()` falls through to a DNS query when /etc/hosts has no answer: on an endpoint
that can mean a multi-second stall on a dead resolver and a packet leaving the machine just to
take inventory. So the FQDN is derived only from local data: a hostname that already contains a
dot, or the /etc/hosts line that names this host (the same lookup glibc's "files" NSS module
would answer first).
"""

from __future__ import annotations

import socket
from pathlib import Path

from agent.facts._fsutil import is_live, read_text
from agent.facts.model import Record

_LOCALHOST_NAMES = ("localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6",
                    "ip6-localhost", "ip6-loopback")


class HostName(Record):
    """Short host name and FQDN ("" when no local source gives one)."""

    __slots__ = ("hostname", "fqdn")  # noqa: RUF023 - field order
    hostname: str
    fqdn: str

    def __init__(self, hostname: str, fqdn: str = "") -> None:
        self._set_fields(hostname, fqdn)


def _is_localhost(name: str) -> bool:
    lowered = name.lower()
    return lowered in _LOCALHOST_NAMES or lowered.startswith("localhost.")


def fqdn_from_hosts(text: str, short: str) -> str:
    """The FQDN /etc/hosts gives for `short`, or "".

    hosts(5): "IP canonical_hostname [aliases...]". On Debian the installer writes
    "127.0.1.1 host.example.org host", so the canonical name of the line that lists the short
    name (as canonical or alias) is the FQDN, provided it is dotted and not a localhost name.
    A dotted alias starting with "short." is accepted too, for files written the other way round.
    """
    wanted = short.lower()
    for raw in text.splitlines():
        names = raw.split("#", 1)[0].split()[1:]
        lowered = [n.lower() for n in names]
        if not names or all(n.split(".", 1)[0] != wanted for n in lowered):
            continue
        for name in names:
            if "." in name and not _is_localhost(name) and name.lower().split(".", 1)[0] == wanted:
                return name.lower().rstrip(".")
    return ""


class HostNameCollector:
    """Short host name and FQDN."""

    name = "hostname"

    def is_present(self, root: Path) -> bool:
        """Live machines always have a name; a recorded root needs etc/hostname."""
        return is_live(root) or (root / "etc/hostname").is_file()

    def collect(self, root: Path) -> HostName:
        """gethostname() when live (no resolver involved), else etc/hostname; FQDN from local data only."""
        configured = socket.gethostname() if is_live(root) else read_text(root / "etc/hostname")
        configured = configured.split("\n", 1)[0].strip().rstrip(".")
        short = configured.split(".", 1)[0].lower()
        fqdn = ""
        if "." in configured and not _is_localhost(configured):
            fqdn = configured.lower()
        else:
            fqdn = fqdn_from_hosts(read_text(root / "etc/hosts"), short)
        return HostName(hostname=short, fqdn=fqdn)
