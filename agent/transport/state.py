"""The agent's small persistent state: its source id, node key and next sequence number.

Kept in one JSON file written atomically (write temp, fsync, rename) with mode 0600, because the
node key is a credential. A write that fails (full disk) leaves the old file and the in-memory
state as they were, and raises StateError.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from agent.atomic import reason, write_private
from agent.errors import ConfigError, StateError


@dataclass
class NodeState:
    """Identity and sequence of one agent or scanner on one machine."""

    path: Path
    source_id: str = ""
    node_key: str = ""
    collector: str = ""
    next_seq: int = 1

    @classmethod
    def load(cls, path: Path) -> NodeState:
        """Read the state file, or start empty when there is none."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: unreadable agent state ({exc}); remove it to re-enrol") from exc
        return cls(path, source_id=str(data.get("source_id", "")), node_key=str(data.get("node_key", "")),
                   collector=str(data.get("collector", "")), next_seq=int(data.get("next_seq", 1)))

    def ensure_source_id(self) -> str:
        """Pick our own source id before the first report, so reports spooled offline carry it."""
        if not self.source_id:
            self.source_id = str(uuid.uuid4())
            try:
                self.save()
            except StateError:
                self.source_id = ""  # not on disk: do not report under an id a restart would forget
                raise
        return self.source_id

    def take_seq(self) -> int:
        """Reserve the next sequence number and persist the counter before it is used."""
        with _LOCK:
            seq = self.next_seq
            self.next_seq += 1
            try:
                self.save()
            except StateError:
                self.next_seq = seq
                raise
            return seq

    def save(self) -> None:
        """Atomic write with owner-only permissions; raises StateError (the old file stays intact)."""
        data = json.dumps({"source_id": self.source_id, "node_key": self.node_key, "collector": self.collector,
                           "next_seq": self.next_seq}).encode()
        try:
            write_private(self.path, data)
        except OSError as exc:
            raise StateError(f"{self.path}: cannot write agent state: {reason(exc)}; "
                             "the previous state is kept") from exc


_LOCK = threading.Lock()
