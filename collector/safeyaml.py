"""The one way the collector reads YAML: composed nodes, no anchors or aliases, bounded size, depth and nodes.

YAML aliases let a few hundred bytes describe a document of billions of nodes ("billion laughs"): PyYAML's
composer shares the aliased node, but every walker that turns nodes into values (the rule checker, the
register mapping reader) expands it again on each path. None of our formats (rule packs, register mapping
files) needs an anchor, so they are refused where they are written — with the file and line — instead of
counted after the damage. The node, depth and byte caps bound what plain (alias-free) YAML can cost; their
defaults are far above any shipped or plausible file and are configurable (`collector.config.yaml_limits`).

The composer is PyYAML's own; only `compose_node` is wrapped, so error marks and tags stay PyYAML's.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

from collector.config import YamlLimits, yaml_limits
from collector.errors import NetcensusError

__all__ = ["YamlLimitError", "compose"]


class YamlLimitError(NetcensusError):
    """The YAML text uses an anchor/alias or exceeds a configured limit.

    Attributes:
        line: 1-based line where the offending node starts (1 for the size limit).
        problem: what is wrong and what to do, without the file name (callers add "FILE:LINE: ").
    """

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses anchors/aliases and counts nodes and nesting depth."""

    def __init__(self, text: str, limits: YamlLimits) -> None:
        super().__init__(text)
        self._limits = limits
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML's stubs leave it untyped
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, AliasEvent) or (isinstance(event, ScalarEvent | CollectionStartEvent) and event.anchor):
            raise YamlLimitError(line, "YAML anchors and aliases (&name, *name) are not accepted; "
                                       "write the value out in full")
        self._nodes += 1
        if self._nodes > self._limits.max_nodes:
            raise YamlLimitError(line, f"more than {self._limits.max_nodes} YAML nodes "
                                       "(raise NETCENSUS_YAML_MAX_NODES if this file is genuine)")
        self._depth += 1
        try:
            if self._depth > self._limits.max_depth:
                raise YamlLimitError(line, f"YAML nested more than {self._limits.max_depth} levels deep "
                                           "(raise NETCENSUS_YAML_MAX_DEPTH if this file is genuine)")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def compose(text: str, limits: YamlLimits | None = None) -> yaml.Node | None:
    """Compose one YAML document into nodes (None when empty), within `limits`.

    Args:
        text: the document.
        limits: caps; None takes the configured ones (`collector.config.yaml_limits`).

    Raises:
        YamlLimitError: an anchor or alias, or a limit exceeded; carries the line.
        yaml.YAMLError: the text is not YAML (callers already turn these into FILE:LINE messages).
    """
    limits = limits or yaml_limits()
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise YamlLimitError(1, f"YAML file is {size} bytes, more than the limit of {limits.max_bytes} "
                                "(raise NETCENSUS_YAML_MAX_BYTES if this file is genuine)")
    loader = _BoundedLoader(text, limits)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()
