"""Posture rules: findings from what agents report about their machines' security (pure).

A ``type: posture`` rule names one ``check``; the check is also the kind of its findings:

* ``unpatched`` — the agent's security-updates collector found updates a security suite offers and
  that are not installed (count, the oldest pending since, the first few named);
* ``disk-unencrypted`` — the disk-encryption collector ran and the root file system is not on an
  encrypted device;
* ``firewall-off`` — the firewall collector ran and no host firewall has rules loaded;
* ``endpoint-protection-missing`` — no endpoint-protection product: the agent's own detection (by
  process and install path) found none, and, when the rule has ``match``, no installed package
  matches it either (the same test as a ``require`` rule; an asset with a software inventory but
  no agent detection, e.g. over SNMP, is judged by the packages alone);
* ``remote-access-port-open`` — a socket listens, on an address other than loopback, on one of the
  rule's ``ports``: one finding per asset and port, so an exception can approve one host.

A part an agent could not collect (the collector failed, timed out or does not apply to the OS) is
unknown and raises nothing: "could not tell" is never "off". Scope and exceptions work as for the
software rules (collector/rules/engine.py): an exception never hides a finding, it marks it
suppressed with its reason.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from collector.domain.posture import Posture
from collector.rules.engine import apply_exceptions
from collector.rules.globs import compile_glob
from collector.rules.schema import Rule, Scope

__all__ = ["PostureAsset", "PostureFinding", "evaluate_posture", "in_scope"]

_NAMED = 5  # pending updates named in a summary; the rest are counted


@dataclass(frozen=True, slots=True)
class PostureAsset:
    """An asset as posture rules see it: what scopes test, and its agent's posture (None: no agent)."""

    asset_id: str
    hostname: str | None
    os_family: str
    device_type: str
    ips: tuple[str, ...]
    posture: Posture | None


@dataclass(frozen=True, slots=True)
class PostureFinding:
    """One posture finding; `identifier` tells apart findings of one rule on one asset (the port)."""

    kind: str
    severity: str
    asset_id: str
    hostname: str | None
    rule_id: str
    rule_title: str
    summary: str
    detail: str                 # the evidence line: what the agent reported
    source_id: str | None       # the agent that reported it (None: judged from the software list)
    reported_at: datetime | None
    first_seen: datetime | None
    last_seen: datetime | None
    suppressed: bool
    suppression: str
    identifier: str = ""


def in_scope(scope: Scope, asset: PostureAsset) -> bool:
    """Whether `asset` is inside `scope` (every given dimension must hold; any value within one)."""
    if scope.os and (asset.os_family or "").lower() not in scope.os:
        return False
    if scope.device_types and (asset.device_type or "").lower() not in scope.device_types:
        return False
    if scope.hostnames and not any(compile_glob(g).fullmatch((asset.hostname or "").lower()) for g in scope.hostnames):
        return False
    if scope.subnets:
        nets = [ipaddress.ip_network(n) for n in scope.subnets]
        addresses = [a for a in (_address(ip) for ip in asset.ips) if a is not None]
        if not any(a.version == n.version and a in n for a in addresses for n in nets):
            return False
    return True


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0].strip())
    except ValueError:
        return None


def evaluate_posture(rules: Sequence[Rule], assets: Iterable[PostureAsset], today: date,
                     lacking: Mapping[str, frozenset[str]] | None = None) -> list[PostureFinding]:
    """The findings of the posture `rules` on `assets`.

    `lacking`: rule id -> the assets in that rule's scope with a software inventory and no package
    matching its `match` (the software rules engine's `require` test), for
    endpoint-protection-missing rules that have one.
    """
    lacking = lacking or {}
    out: list[PostureFinding] = []
    assets = list(assets)
    for rule in rules:
        for asset in assets:
            if not in_scope(rule.scope, asset):
                continue
            for said, detail, identifier, first, last in _check(rule, asset, lacking.get(rule.id)):
                summary, suppression = apply_exceptions(rule, asset.asset_id, asset.hostname, today, said)
                p = asset.posture
                out.append(PostureFinding(
                    kind=rule.check, severity=rule.severity, asset_id=asset.asset_id, hostname=asset.hostname,
                    rule_id=rule.id, rule_title=rule.title, summary=summary, detail=detail,
                    source_id=p.source_id if p else None, reported_at=p.reported_at if p else None,
                    first_seen=first, last_seen=last, suppressed=bool(suppression), suppression=suppression,
                    identifier=identifier))
    return out


_Hit = tuple[str, str, str, datetime | None, datetime | None]  # summary, detail, identifier, first, last


def _check(rule: Rule, asset: PostureAsset, lacking: frozenset[str] | None) -> list[_Hit]:
    p = asset.posture
    host = asset.hostname or asset.asset_id
    tail = f": {rule.title} (rule {rule.id})."
    at = p.reported_at if p else None
    if rule.check == "endpoint-protection-missing":
        return _protection(rule, asset, lacking, host, tail)
    if p is None:
        return []
    if rule.check == "unpatched":
        pending = p.pending_updates
        if not pending:
            return []
        since = p.oldest_pending_since
        named = ", ".join(u.split(" ", 1)[0] for u in pending[:_NAMED]) + (
            f" and {len(pending) - _NAMED} more" if len(pending) > _NAMED else "")
        oldest = f", the oldest pending since {since.strftime('%Y-%m-%d')}" if since else ""
        return [(f"{host} has {len(pending)} pending security update{'s' if len(pending) != 1 else ''}{oldest} "
                 f"({named}){tail}",
                 f"agent report: {len(pending)} pending security updates: " + "; ".join(pending[:20])
                 + (f"; +{len(pending) - 20} more" if len(pending) > 20 else ""), "", since or at, at)]
    if rule.check == "disk-unencrypted":
        if p.disk_encrypted is not False:
            return []
        return [(f"{host}'s root file system is not on an encrypted disk{tail}",
                 "agent report: root file system not on an encrypted device", "", at, at)]
    if rule.check == "firewall-off":
        if p.firewall_active is not False:
            return []
        what = "; ".join(p.firewalls or ()) or "no host firewall configured"
        return [(f"{host} has no host firewall with rules loaded ({what}){tail}",
                 f"agent report: firewalls: {what}", "", at, at)]
    if rule.check == "remote-access-port-open":
        hits: list[_Hit] = []
        seen: set[tuple[str, int]] = set()
        for s in p.exposed or ():
            if s.loopback_only or (s.protocol, s.port) in seen or not any(r.holds(s.protocol, s.port)
                                                                          for r in rule.ports):
                continue
            seen.add((s.protocol, s.port))
            hits.append((f"{host} listens on {s.describe()}, a remote-access port{tail}",
                         f"agent report: listening on {s.describe()}", f"{s.protocol}/{s.port}", at, at))
        return hits
    return []


def _protection(rule: Rule, asset: PostureAsset, lacking: frozenset[str] | None, host: str,
                tail: str) -> list[_Hit]:
    p = asset.posture
    at = p.reported_at if p else None
    detected = p.endpoint_protection if p else None
    if detected:  # the agent found a product running or installed: protected, whatever the packages say
        return []
    no_package = lacking is not None and asset.asset_id in lacking
    if rule.match.names or rule.match.vendors:
        if not no_package:
            return []
        why = ("the agent detected no product and no installed package matches" if detected is not None
               else "no installed package matches")
    else:
        if detected is None:
            return []
        why = "the agent detected no product"
    wanted = ", ".join((rule.match.names or rule.match.vendors)[:6])
    hint = f" (one of: {wanted}, ...)" if wanted else ""
    return [(f"{host} has no endpoint protection: {why}{hint}{tail}",
             f"agent report: no endpoint-protection product detected{'' if detected is not None else ' (not checked)'}"
             + ("; software inventory: none of the rule's packages" if no_package else ""), "", at, at)]
