"""Accepting a risk and ending the acceptance: the one path `netcensus vulns accept|unaccept` and the
dashboard's admin actions both take.

Why one module: an accepted risk is checked (a reason, well-formed globs, one advisory id) and written
the same way whoever asks, so the dashboard cannot accept what the command line would refuse, or word
it differently. The callers add what is theirs: the command line its argv and its audit row as the
local account, the collector its live update and the dashboard user's audit row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from collector.errors import UsageError
from collector.rules.globs import GlobError, compile_glob

if TYPE_CHECKING:
    from collector.store.vulns_sql import VulnStore

__all__ = ["MAX_REASON", "accept_risk", "end_risk", "parse_until"]

#: Longest reason kept; a reason is a sentence for whoever reads the exception later, not a document.
MAX_REASON = 500
#: Longest advisory id or glob accepted (OSV ids are well under this).
_MAX_NAME = 200


def parse_until(text: str, label: str = "until") -> date:
    """The last day an acceptance holds, from YYYY-MM-DD; UsageError naming `label` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"{label} {text[:40]!r}: not a date (YYYY-MM-DD)") from exc


def accept_risk(vulns: VulnStore, *, advisory: str, reason: str, until: date, host: str | None,
                asset: str | None, package: str | None, who: str, now: datetime) -> int:
    """Record that the risk of `advisory` is accepted on the assets named until `until` (inclusive, UTC).

    Its findings stay, suppressed with the reason and expiry (collector/vulns/findings.py). `host` and
    `package` are globs (None: any), `asset` one asset id (None: any). Returns the exception's id.

    Raises:
        UsageError: no advisory, no reason, a reason or name too long, or a malformed glob.
    """
    advisory = advisory.strip().upper()
    reason = reason.strip()
    if not advisory or len(advisory) > _MAX_NAME:
        raise UsageError("name one advisory id or alias, e.g. CVE-2014-0160")
    if not reason:
        raise UsageError("a reason must say why the risk is accepted")
    if len(reason) > MAX_REASON:
        raise UsageError(f"the reason is {len(reason)} characters long; keep it under {MAX_REASON}")
    for what, value in (("host", host), ("package", package)):
        if value is not None:
            if len(value) > _MAX_NAME:
                raise UsageError(f"{what} glob is longer than {_MAX_NAME} characters")
            try:
                compile_glob(value)
            except GlobError as exc:
                raise UsageError(f"{what} {value!r}: bad glob: {exc}") from exc
    return vulns.add_exception(advisory=advisory, package=package, hostname=host, asset_id=asset, reason=reason,
                               until=until, created_by=who, now=now)


def end_risk(vulns: VulnStore, exception_id: int, now: datetime) -> None:
    """Revoke an accepted risk (it stays listed as revoked; its findings show again).

    Raises:
        UsageError: no active exception has that id.
    """
    if not 0 < exception_id < 2**31 or not vulns.revoke_exception(exception_id, now):
        raise UsageError(f"no active exception #{exception_id}")
