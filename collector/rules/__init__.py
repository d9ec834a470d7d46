"""Rules for unauthorised, required and licensed software.

Public surface:

* :func:`load_rules` / :func:`check_rules`: read and validate rule files (errors name file:line).
* :class:`RuleEngine`: the seam an engine fills, giving :class:`RuleFinding` objects; engines are
  chosen by name in :mod:`collector.rules.registry` (not imported here: engines depend on the
  store, and the store's engines on this package).
* :func:`match_titles`: which rules a few titles match, without a database.
* :func:`compare_versions` / :func:`parse_constraint`: per-ecosystem version order.

The rule format is documented in ``rules/README.md``.

Imports: collector.domain, collector.errors and this package; the registry and the bridge (rules ->
reconciliation findings) also import collector.inventory's values and collector.store, where the SQL
engine lives. Never grpc, and no duckdb (the store maps it).
"""

from collector.rules.engine import KINDS, RuleEngine, RuleFinding
from collector.rules.matching import match_titles
from collector.rules.schema import (
    DEVICE_TYPES,
    RULE_TYPES,
    SEVERITIES,
    SOURCES,
    Exemption,
    Match,
    Rule,
    RuleSet,
    Scope,
    check_rules,
    load_rules,
    parse_rules_text,
)
from collector.rules.versions import VersionConstraint, VersionSyntaxError, compare_versions, parse_constraint

__all__ = [
    "DEVICE_TYPES",
    "KINDS",
    "RULE_TYPES",
    "SEVERITIES",
    "SOURCES",
    "Exemption",
    "Match",
    "Rule",
    "RuleEngine",
    "RuleFinding",
    "RuleSet",
    "Scope",
    "VersionConstraint",
    "VersionSyntaxError",
    "check_rules",
    "compare_versions",
    "load_rules",
    "match_titles",
    "parse_constraint",
    "parse_rules_text",
]
