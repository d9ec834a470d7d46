"""nmap through python-nmap (the only module importing it): ping sweeps of routed subnets,
optional port and OS detection, and a pure parser from nmap XML to Observations.

nmap is the right tool where ARP cannot go (a router away) and for what ARP cannot tell (open
ports, OS guesses). It runs once per target so results stream per subnet; its own rate and
retry controls get our options, so one operator setting bounds every method.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from agent.scan.base import Emit, Progress, ms_since
from agent.scan.classify import mac_is_local, mac_vendor, normalise_mac
from agent.scan.model import Method, Observation, OpenPort, TargetStatus
from agent.scan.options import SweepOptions
from agent.scan.targets import Target

# Profile arguments. `-n` everywhere unless DNS is asked for: reverse lookups send packets to
# the configured resolvers, which an operator must opt into (and tests must never do).
PROFILE_ARGS: dict[str, tuple[str, ...]] = {
    "discovery": ("-sn",),
    "ports": ("-sS", "-sV", "--version-light", "--top-ports", "100"),
    "os": ("-sS", "-sV", "--version-light", "--top-ports", "100", "-O", "--osscan-limit"),
}

# nmap-os-db osclass "type" values -> our DEVICE_TYPES vocabulary.
_NMAP_TYPES = {
    "router": "router", "switch": "switch", "firewall": "firewall", "WAP": "wireless",
    "broadband router": "router", "printer": "printer", "print server": "printer",
    "power-device": "ups", "storage-misc": "storage", "webcam": "camera", "phone": "phone",
    "VoIP phone": "phone", "VoIP adapter": "phone", "media device": "iot", "game console": "iot",
    "specialized": "unknown", "general purpose": "", "PDA": "phone", "terminal": "workstation",
    "remote management": "bmc", "load balancer": "router", "security-misc": "firewall",
}
# nmap osfamily values -> our os_family spelling (see classify.py).
_NMAP_FAMILIES = {
    "linux": "linux", "windows": "windows", "mac os x": "macos", "macos": "macos", "ios": "cisco-ios",
    "freebsd": "bsd", "openbsd": "bsd", "netbsd": "bsd", "solaris": "solaris", "junos": "junos",
    "routeros": "routeros", "android": "android",
}


def nmap_arguments(options: SweepOptions) -> list[str]:
    """The nmap command-line arguments (after the targets) for these options."""
    args = list(PROFILE_ARGS[options.profile])
    if not options.nmap_dns:
        args.append("-n")
    args += ["--max-rate", str(options.rate_pps), "--max-retries", str(options.retries)]
    if options.interface:
        args += ["-e", options.interface]
    if options.exclude:
        args += ["--exclude", ",".join(options.exclude)]
    args += list(options.nmap_args)
    return args


def _text(value: Any) -> str:
    return str(value).strip() if value else ""


def parse_nmap_xml(xml: str, *, seen_at: datetime | None = None) -> tuple[list[Observation], dict[str, str]]:
    """Parse nmap's XML output (`-oX`) into Observations of hosts that were up.

    Args:
        xml: the XML document nmap wrote.
        seen_at: observation time (default: now, UTC).

    Returns:
        (observations, stats) where stats holds nmap's runstats (uphosts, downhosts, elapsed).

    Raises:
        ValueError: the text is not nmap XML (python-nmap's PortScannerError is mapped).
    """
    import nmap as python_nmap

    when = seen_at or datetime.now(UTC)
    scanner = python_nmap.PortScanner.__new__(python_nmap.PortScanner)  # parsing needs no nmap binary
    try:
        parsed = scanner.analyse_nmap_xml_scan(xml)
    except python_nmap.PortScannerError as exc:
        raise ValueError(f"not nmap XML output: {str(exc).strip()[:200]}") from exc
    out: list[Observation] = []
    for ip, host in sorted(parsed.get("scan", {}).items()):
        if host.get("status", {}).get("state") != "up":
            continue
        addrs = host.get("addresses", {})
        mac = normalise_mac(addrs.get("mac", ""))
        hostname = next((_text(h.get("name")) for h in host.get("hostnames", ()) if _text(h.get("name"))), "")
        ports: list[OpenPort] = []
        for proto in ("tcp", "udp", "sctp"):
            for port, info in sorted(host.get(proto, {}).items()):
                if info.get("state") == "open":
                    product = " ".join(p for p in (_text(info.get("product")), _text(info.get("version"))) if p)
                    ports.append(OpenPort(port=int(port), protocol=proto, service=_text(info.get("name")),
                                          product=product))
        device_type, os_family = "", ""
        matches = host.get("osmatch", [])
        if matches:
            best = max(matches, key=lambda m: int(m.get("accuracy", 0) or 0))
            classes = best.get("osclass", [])
            if classes:
                cls = classes[0]
                device_type = _NMAP_TYPES.get(_text(cls.get("type")), "unknown")
                os_family = _NMAP_FAMILIES.get(_text(cls.get("osfamily")).lower(), _text(cls.get("osfamily")).lower())
        nmap_vendor = _text(host.get("vendor", {}).get(addrs.get("mac", ""), ""))
        out.append(Observation(
            method=Method.NMAP, seen_at=when, ip=addrs.get("ipv4", ip), mac=mac, hostname=hostname,
            vendor=(mac_vendor(mac) or nmap_vendor) if mac else "", device_type=device_type,
            os_family=os_family, open_ports=tuple(ports), mac_is_local=mac_is_local(mac) if mac else False,
        ))
    stats = {k: str(v) for k, v in parsed.get("nmap", {}).get("scanstats", {}).items()}
    return out, stats


def run_nmap(
    targets: Sequence[Target],
    options: SweepOptions,
    emit: Emit,
    *,
    stop: threading.Event,
    deadline: float,
    progress: Progress | None = None,
) -> None:
    """The nmap scanner as sweep() calls it: one nmap run per target, results per target."""
    import nmap as python_nmap

    if shutil.which("nmap") is None:
        for tgt in targets:
            emit(TargetStatus(target=tgt.spec, method=Method.NMAP, ok=False,
                              reason="nmap is not installed (Debian package nmap)"))
        return
    args = nmap_arguments(options)
    for tgt in targets:
        started = time.monotonic()
        remaining = deadline - time.monotonic()
        if stop.is_set() or remaining <= 1:
            emit(TargetStatus(target=tgt.spec, method=Method.NMAP, ok=False,
                              reason="interrupted" if stop.is_set() else "time budget exhausted before nmap ran"))
            continue
        if not tgt.addresses:
            emit(TargetStatus(target=tgt.spec, method=Method.NMAP, ok=True, reason="every address excluded"))
            continue
        if progress is not None:
            progress(f"nmap {options.profile}: {tgt.spec}")
        try:
            scanner = python_nmap.PortScanner()
            # The CIDR itself (not 65k addresses) keeps the command line short; --exclude in args.
            scanner.scan(hosts=_nmap_target(tgt), arguments=" ".join(args), timeout=max(1, int(remaining)))
            observations, stats = parse_nmap_xml(scanner.get_nmap_last_output().decode("utf-8", "replace"))
        except python_nmap.PortScannerTimeout:
            emit(TargetStatus(target=tgt.spec, method=Method.NMAP, ok=False,
                              reason="time budget exhausted while nmap ran", duration_ms=ms_since(started)))
            continue
        except (python_nmap.PortScannerError, ValueError, OSError) as exc:
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else repr(exc)
            emit(TargetStatus(target=tgt.spec, method=Method.NMAP, ok=False, reason=f"nmap failed: {first}",
                              duration_ms=ms_since(started)))
            continue
        wanted = set(tgt.addresses)
        for obs in observations:
            if obs.ip in wanted:
                emit(obs)
        emit(TargetStatus(target=tgt.spec, method=Method.NMAP, ok=True,
                          reason=f"{stats.get('uphosts', '?')} hosts up of {stats.get('totalhosts', '?')} "
                                 f"({options.profile})", duration_ms=ms_since(started)))


def _nmap_target(tgt: Target) -> str:
    # A CIDR is passed as its network so nmap enumerates it itself (short command line, and
    # --exclude applies); anything else as the explicit address list we already resolved.
    if "/" in tgt.spec and not tgt.is_single_host:
        return str(tgt.network)
    return " ".join(tgt.addresses)
