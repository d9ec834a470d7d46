"""Names both sides use without sharing code: what the agent sends, the collector must know.

Agent and collector meet only in proto/, so a software source's name lives twice: in the agent's
source registry (the `source` of every item it reports) and in the collector's rule schema (what a
rule's `match.source` may say). A source added on one side only would be reported but not matchable;
this test is where that shows.
"""

from __future__ import annotations

from agent.facts.software.registry import source_names
from collector.rules.schema import SOURCES


def test_every_agent_software_source_can_be_named_by_a_rule() -> None:
    assert set(source_names()) <= SOURCES


def test_software_seen_over_snmp_can_be_named_by_a_rule() -> None:
    assert "snmp" in SOURCES


def test_the_collector_stores_every_scan_method_under_the_agents_name_for_it() -> None:
    """A sighting's method is sent as the .proto enum and stored as text: both ends spell it alike."""
    from agent.scan.model import Method
    from agent.transport.encode import METHODS
    from collector.wire.codec import METHOD_NAMES

    assert {m.value: METHOD_NAMES[METHODS[m]] for m in Method} == {m.value: m.value for m in Method}
