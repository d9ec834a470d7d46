"""What an admin may change from the dashboard, and the collector's methods that do it.

Why a seam: the dashboard must change things exactly as `netcensus vulns accept|unaccept` and the
Admin service's RevokeSource, DecideAssets and UndoDecision do — one path per action, no second
implementation. `CollectorActions` hands each action to the collector's own method (Collector.revoke,
Collector.accept_risk / end_risk, the Admin service's Decisions), which also tells the live state; a
dashboard over a read-only file (`netcensus ui`) has no AdminActions at all, so it offers and accepts
no action.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol

from collector.domain.decisions import Decision

if TYPE_CHECKING:
    from collector.serve.server import Collector

#: How long an action waits for the live state to take it in before the page it leads to is shown.
SETTLE_SECONDS = 15.0


class AdminActions(Protocol):
    """The changes the dashboard offers its admins (each may raise UsageError for a bad request)."""

    def accept_risk(self, *, advisory: str, reason: str, until: date, host: str | None, asset: str | None,
                    package: str | None, who: str) -> int:
        """Accept the risk of an advisory on the assets named (collector/vulns/accept.py); its id."""

    def end_risk(self, exception_id: int, who: str) -> None:
        """End an accepted risk; UsageError when no active one has that id."""

    def revoke_source(self, source_id: str) -> bool:
        """Revoke an agent's or scanner's key; False when no live source has that id."""

    def decide(self, action: str, refs: list[str], subject: str, reason: str, who: str) -> Decision:
        """Record a manual merge, split or apart decision."""

    def undo(self, decision_id: int, who: str) -> Decision:
        """Undo a standing decision."""

    def settle(self, timeout: float) -> bool:
        """Wait until the live state holds every change made so far (False when the wait timed out)."""


class CollectorActions:
    """A serving collector's own methods as AdminActions."""

    def __init__(self, collector: Collector) -> None:
        from collector.serve.server import Decisions

        self._collector = collector
        self._decisions = Decisions(collector)

    def accept_risk(self, *, advisory: str, reason: str, until: date, host: str | None, asset: str | None,
                    package: str | None, who: str) -> int:
        """See Collector.accept_risk."""
        return self._collector.accept_risk(advisory=advisory, reason=reason, until=until, host=host, asset=asset,
                                           package=package, who=who)

    def end_risk(self, exception_id: int, who: str) -> None:
        """See Collector.end_risk."""
        self._collector.end_risk(exception_id, who)

    def revoke_source(self, source_id: str) -> bool:
        """See Collector.revoke (the Admin service's RevokeSource)."""
        return self._collector.revoke(source_id)

    def decide(self, action: str, refs: list[str], subject: str, reason: str, who: str) -> Decision:
        """See the Admin service's DecideAssets (collector/serve/server.py Decisions)."""
        return self._decisions.decide(action, refs, subject, reason, who)

    def undo(self, decision_id: int, who: str) -> Decision:
        """See the Admin service's UndoDecision."""
        return self._decisions.undo(decision_id, who)

    def settle(self, timeout: float) -> bool:
        """See Collector.settle."""
        return self._collector.settle(timeout)
