"""The rule-engine seam: what every engine returns, and what each rule type means.

An engine evaluates a :class:`RuleSet` over the stored software and assets at a time ``now``
(:class:`RuleEngine`); engines are chosen by name in :mod:`collector.rules.registry`. Whatever
an engine does to be fast, the findings it returns are worded and sorted here, so two engines
cannot disagree on a summary.

Semantics per rule type:

* ``deny``: every install matching the rule on an asset in scope is a finding
  (kind ``unauthorised-software``), one per asset x product x version.
* ``allow``: the allow rules that apply to an asset together form its approved catalogue; every
  install on that asset matching none of them is a finding (``unauthorised-software``) charged
  to the first applicable allow rule in load order. Assets no allow rule applies to are free.
* ``require``: an asset in scope whose software inventory is known
  (``has_software_inventory``) and where no install matches is a finding
  (``missing-software``).
* ``posture``: checks of what an agent reported about its machine, one finding kind per check
  (:mod:`collector.rules.posture`); engines leave them to that module.
* ``licence``: assets in scope with at least one matching install use one seat each, in order of
  their earliest matching install's first_seen (ties by asset_id); each asset beyond ``seats``
  is a finding (``licence``), so the findings name the most recent deployments to remove.

Exceptions never hide a finding: an active one sets ``suppressed`` and ``suppression``; an
expired one (``until`` before ``now``'s UTC date) does not, and the summary says it expired.
Suppressed licence findings still use their seat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Protocol

from collector.rules.schema import Rule, RuleSet

__all__ = ["KINDS", "RuleEngine", "RuleFinding", "apply_exceptions", "rule_finding", "sorted_findings", "utc_date"]

KINDS: Final = ("unauthorised-software", "missing-software", "licence")
_KIND_BY_TYPE: Final = {
    "deny": "unauthorised-software",
    "allow": "unauthorised-software",
    "require": "missing-software",
    "licence": "licence",
}
_SEVERITY_RANK: Final = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


@dataclass(frozen=True, slots=True)
class RuleFinding:
    """One rule finding.

    Attributes:
        kind: "unauthorised-software", "missing-software" or "licence".
        severity: the rule's severity.
        asset_id: the asset.
        hostname: its hostname, if known.
        rule_id: the rule's id.
        rule_title: the rule's title.
        software_name: normalised product name ("OpenSSL"); None for missing-software.
        software_version: version as found ("1.0.1e"); None for missing-software, "" if unknown.
        first_seen: first sighting of the install (of the asset, for missing-software).
        last_seen: last sighting of the install (of the asset, for missing-software).
        summary: one human sentence.
        suppressed: an active exception covers this finding.
        suppression: the exception's reason and expiry, e.g. "approved bastion (until 2027-06-30)".
        software_source: package source of the install ("deb", "msi", "snmp"...), if any.
    """

    kind: str
    severity: str
    asset_id: str
    hostname: str | None
    rule_id: str
    rule_title: str
    software_name: str | None
    software_version: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    summary: str
    suppressed: bool = False
    suppression: str = ""
    software_source: str | None = None



class RuleEngine(Protocol):
    """Evaluates rules over the stored software and assets; one per store (see the registry)."""

    def evaluate(self, rules: RuleSet, now: datetime) -> list[RuleFinding]:
        """Findings of ``rules`` at time ``now``, in :func:`sorted_findings` order.

        Exceptions whose ``until`` is before ``now``'s UTC date have expired; a naive ``now``
        is taken as UTC.
        """
        ...


def utc_date(now: datetime) -> date:
    """The UTC date of ``now`` (naive means UTC): the day exceptions expire against."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).date()


def _label(asset_id: str, hostname: str | None) -> str:
    return hostname or asset_id


def _software(product: str | None, version: str | None) -> str:
    return f"{product} {version}".strip() if version else f"{product} (version unknown)"


def _summary(rule: Rule, host: str, product: str | None, version: str | None, n: int) -> str:
    if rule.type == "deny":
        return f"{_software(product, version)} is installed on {host}: {rule.title} (rule {rule.id})."
    if rule.type == "allow":
        return (
            f"{_software(product, version)} on {host} is not in the approved catalogue of rule {rule.id} "
            f"({rule.title})."
        )
    if rule.type == "require":
        accepted = rule.match.names or rule.match.vendors
        # The count first: a table cuts a long list short, and the reader still learns how many there are.
        many = f"{len(accepted)} accepted products: " if len(accepted) > 3 else "one of: "
        return f"{host} has none of the software rule {rule.id} requires ({rule.title}; {many}{', '.join(accepted)})."
    return (
        f"{_software(product, version)} on {host} exceeds the {rule.seats} licensed seats of rule {rule.id} "
        f"({rule.title}; {n} assets have it)."
    )


def rule_finding(
    rule: Rule,
    *,
    today: date,
    asset_id: str,
    hostname: str | None,
    product: str | None,
    version: str | None,
    source: str | None,
    first_seen: datetime | None,
    last_seen: datetime | None,
    n: int,
) -> RuleFinding:
    """The finding of ``rule`` on one asset, worded, with any exception applied.

    Args:
        rule: the rule that fired.
        today: the UTC date exceptions are judged on (:func:`utc_date`).
        asset_id: the asset.
        hostname: its hostname, if known.
        product: normalised product name; None for missing software.
        version: the install's version (None for missing software).
        source: package source of the install, if any.
        first_seen: first sighting of the install (of the asset, for missing software).
        last_seen: last sighting of the install (of the asset, for missing software).
        n: for licence rules, how many assets use the product (0 otherwise).
    """
    host = _label(asset_id, hostname)
    summary, suppression = apply_exceptions(rule, asset_id, hostname, today, _summary(rule, host, product, version, n))
    return RuleFinding(
        kind=_KIND_BY_TYPE[rule.type],
        severity=rule.severity,
        asset_id=asset_id,
        hostname=hostname,
        rule_id=rule.id,
        rule_title=rule.title,
        software_name=product,
        software_version=version,
        first_seen=first_seen,
        last_seen=last_seen,
        summary=summary,
        suppressed=bool(suppression),
        suppression=suppression,
        software_source=source,
    )


def apply_exceptions(rule: Rule, asset_id: str, hostname: str | None, today: date, summary: str) -> tuple[str, str]:
    """(summary, suppression) of a finding of ``rule`` on an asset: the first active exception that
    covers it suppresses it ("" when none does); an expired one is noted at the end of the summary."""
    expired = None
    for exemption in rule.exceptions:
        if not exemption.covers(asset_id, hostname):
            continue
        if exemption.active(today):
            return summary, exemption.describe()
        expired = expired or exemption
    if expired is not None:
        summary = summary[:-1] + f" (exception {expired.reason!r} expired {expired.until.isoformat()})."
    return summary, ""


def sorted_findings(findings: Iterable[RuleFinding]) -> list[RuleFinding]:
    """Severity (critical first), kind, rule id, host, asset, software: the order users read."""
    return sorted(
        findings,
        key=lambda f: (
            _SEVERITY_RANK.get(f.severity, 9),
            f.kind,
            f.rule_id,
            f.hostname or "",
            f.asset_id,
            f.software_name or "",
            f.software_version or "",
        ),
    )
