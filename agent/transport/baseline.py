"""The software list of the last host report the collector acknowledged, kept on disk.

Deltas are computed against it; it advances only when a report is acked, so a lost or rejected
report can never leave agent and collector believing different things. Written atomically.
A write that fails (full disk) only costs the next report its delta: the file on disk still names
an older base, the collector refuses a delta against it and asks for a full snapshot.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from agent.atomic import reason, write_private
from agent.facts.model import SoftwareItem
from agent.transport.delta import Key, key_of

log = logging.getLogger("netcensus.agent")


@dataclass
class Baseline:
    """Acked state: which report it came from, its items, and how many deltas followed the last snapshot."""

    path: Path
    report_id: str = ""
    collector: str = ""
    items: dict[Key, SoftwareItem] = field(default_factory=dict)
    deltas_since_full: int = 0
    force_full: bool = False

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read it; a missing or unreadable file means "no baseline" (the next report is full)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            items = {}
            for raw in data.get("items", []):
                installed = raw.pop("installed_at", None)
                item = SoftwareItem(**raw, installed_at=datetime.fromisoformat(installed) if installed else None)
                items[key_of(item)] = item
            return cls(path, report_id=str(data.get("report_id", "")), collector=str(data.get("collector", "")),
                       items=items, deltas_since_full=int(data.get("deltas_since_full", 0)),
                       force_full=bool(data.get("force_full", False)))
        except (OSError, ValueError, TypeError, KeyError):
            return cls(path)

    def save(self) -> bool:
        """Atomic write (temp file, fsync, rename); False, with a warning, when it could not be written."""
        payload = {
            "report_id": self.report_id, "collector": self.collector, "deltas_since_full": self.deltas_since_full,
            "force_full": self.force_full,
            "items": [{**asdict(i), "installed_at": i.installed_at.isoformat() if i.installed_at else None}
                      for i in self.items.values()],
        }
        try:
            write_private(self.path, json.dumps(payload).encode())
        except OSError as exc:
            log.warning("%s: cannot save the acked software list (%s); the next report may be a full snapshot",
                        self.path, reason(exc))
            return False
        return True
