"""Rule engines by name: the one place the collector learns which engines exist.

An engine is a class (or function) that takes the store (and optionally the asset ids to evaluate
the per-asset rules for: the live path's narrowing) and returns a
:class:`~collector.rules.engine.RuleEngine`. Adding one is a new module plus one line in
:data:`ENGINES`; the bridge and the composition roots pick engines by name from here only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType
from typing import Final

from collector.errors import UsageError
from collector.rules.engine import RuleEngine
from collector.store.duckdb import Store
from collector.store.rules_sql import SqlRuleEngine

__all__ = ["DEFAULT_ENGINE", "ENGINES", "EngineFactory", "check_engine", "engine_for"]

EngineFactory = Callable[[Store, Collection[str] | None], RuleEngine]

ENGINES: Final[Mapping[str, EngineFactory]] = MappingProxyType({
    # Python matches distinct titles; DuckDB joins the matches back to the installs and scopes them.
    "sql": SqlRuleEngine,
})
DEFAULT_ENGINE: Final = "sql"


def check_engine(name: str) -> EngineFactory:
    """The factory of the engine called ``name``; composition roots call it before any store is open.

    Raises:
        UsageError: no engine has that name (the message lists the known ones).
    """
    factory = ENGINES.get(name)
    if factory is None:
        raise UsageError(f"no rule engine {name!r}; known: {', '.join(sorted(ENGINES))}")
    return factory


def engine_for(store: Store, name: str = DEFAULT_ENGINE, only: Collection[str] | None = None) -> RuleEngine:
    """The engine called ``name`` over ``store`` (per-asset rules for the asset ids ``only``, if given).

    Raises:
        UsageError: no engine has that name (the message lists the known ones).
    """
    return check_engine(name)(store, only)
