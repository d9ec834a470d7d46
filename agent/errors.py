"""The agent's exception tree.

    AgentError                 base: anything the agent reports as one line to the user
    ├── ConfigError            bad command line or config file (exit 1)
    ├── CollectionError        a fact or software collector could not read its source
    ├── StateError             the state directory could not be written (disk full, I/O error)
    └── TransportError         the collector could not be reached or refused us
        └── RejectedError      the collector answered, but rejected a report or credential
"""

from __future__ import annotations


class AgentError(Exception):
    """Base class; str(exc) is the one line shown to the user."""


class ConfigError(AgentError):
    """Invalid command line, environment or config file."""


class CollectionError(AgentError):
    """A collector failed to read its source (the reason becomes a CollectorStatus)."""


class StateError(AgentError):
    """A state file or the spool could not be written; what was on disk before is intact."""


class TransportError(AgentError):
    """The collector is unreachable or the call failed."""


class RejectedError(TransportError):
    """The collector refused a credential or a report."""
