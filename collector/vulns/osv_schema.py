"""Validation of OSV records against a JSON Schema (``jsonschema``), with one-line errors.

Why a schema of our own and not the file OSV publishes: the collector runs offline and no package
ships OSV's ``schema.json``, so this module carries the OSV schema's rules (OSV specification,
"JSON Schema" and field sections) for every field netcensus reads — and for the ones it only
passes on, their types — in JSON Schema draft 2020-12, checked by the ``jsonschema`` library. A
record that breaks it is refused with the file and the field (``affected[0].ranges[1].events``),
and the rest of the feed imports. Fields we do not read (``details``, ``credits``...) are only
type-checked where the specification fixes their type; unknown top-level fields are allowed, as
the specification allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

__all__ = ["OSV_SCHEMA", "schema_error"]

# RFC 3339 date-time as OSV requires it ("2014-04-07T00:00:00Z", fractions and offsets allowed).
# The offset is optional here (read as UTC): a few older records omit it, and rejecting a whole
# advisory over it would hide a real vulnerability.
_TIMESTAMP: Final = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$"
_STRING: Final = {"type": "string"}
_NONEMPTY: Final = {"type": "string", "minLength": 1}
_STRINGS: Final = {"type": ["array", "null"], "items": _STRING}
_SEVERITY: Final = {
    "type": ["array", "null"],
    "items": {
        "type": "object",
        # Types in the specification: CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu. A type added later is kept
        # (and not scored) rather than refusing the advisory.
        "properties": {"type": _NONEMPTY, "score": _NONEMPTY},
        "required": ["type", "score"],
    },
}


# An event has exactly one of these keys. Written as one object schema rather than the specification's
# oneOf of four: the same set of valid events, checked about three times faster (an import validates
# every event of every range).
_EVENT: Final = {
    "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
    "properties": {"introduced": _NONEMPTY, "fixed": _NONEMPTY, "last_affected": _NONEMPTY, "limit": _NONEMPTY},
}


_RANGE: Final = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["GIT", "SEMVER", "ECOSYSTEM"]},
        "repo": _STRING,
        "events": {
            "type": "array",
            "minItems": 1,
            "contains": {"required": ["introduced"]},
            "items": _EVENT,
        },
        "database_specific": {"type": "object"},
    },
    "required": ["type", "events"],
    "allOf": [
        {"if": {"properties": {"type": {"const": "GIT"}}}, "then": {"required": ["repo"]}},
        # The specification: a range has fixed events or last_affected events, never both.
        {"if": {"properties": {"events": {"contains": {"required": ["last_affected"]}}}},
         "then": {"not": {"properties": {"events": {"contains": {"required": ["fixed"]}}}}}},
    ],
}

#: The OSV record schema netcensus validates against (draft 2020-12).
OSV_SCHEMA: Final[Mapping[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Open Source Vulnerability record, as netcensus reads it",
    "type": "object",
    "properties": {
        "schema_version": _STRING,
        "id": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:+-]*$"},
        "modified": {"type": "string", "pattern": _TIMESTAMP},
        "published": {"type": "string", "pattern": _TIMESTAMP},
        "withdrawn": {"type": "string", "pattern": _TIMESTAMP},
        "aliases": _STRINGS,
        "upstream": _STRINGS,
        "related": {"type": ["array", "null"]},
        "summary": _STRING,
        "details": _STRING,
        "severity": _SEVERITY,
        "affected": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {
                    "package": {
                        "type": "object",
                        "properties": {"ecosystem": _NONEMPTY, "name": _NONEMPTY, "purl": _STRING},
                        "required": ["ecosystem", "name"],
                    },
                    "severity": _SEVERITY,
                    "ranges": {"type": "array", "items": _RANGE},
                    "versions": {"type": "array", "items": _NONEMPTY},
                    "ecosystem_specific": {"type": "object"},
                    "database_specific": {"type": "object"},
                },
            },
        },
        "references": {
            "type": ["array", "null"],
            "items": {"type": "object", "properties": {"type": _STRING, "url": _NONEMPTY},
                      "required": ["type", "url"]},
        },
        "credits": {"type": ["array", "null"]},
        "database_specific": {"type": "object"},
    },
    "required": ["id", "modified"],
}

_VALIDATOR: Final = Draft202012Validator(OSV_SCHEMA)


def _field(error: ValidationError) -> str:
    """``affected[0].ranges[1].events`` from the error's path in the record."""
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(record)"


def schema_error(record: object) -> str | None:
    """None if ``record`` is a valid OSV record, else "FIELD: what is wrong" (one line)."""
    if _VALIDATOR.is_valid(record):
        return None
    error = best_match(_VALIDATOR.iter_errors(record))
    if error.validator in ("additionalProperties", "minProperties", "maxProperties") and \
            "events" in error.absolute_path:
        return f"{_field(error)}: an event must have exactly one of introduced, fixed, last_affected, limit"
    # Descend to the most specific reason inside an anyOf/allOf.
    while error.context:
        error = best_match(error.context)
    if error.validator == "contains" and error.absolute_path and error.absolute_path[-1] == "events":
        return f"{_field(error)}: a range needs an introduced event"
    if error.validator == "not" and "events" in str(error.schema):
        message = "a range has fixed or last_affected events, not both"
    elif error.validator == "pattern" and error.schema.get("pattern") == _TIMESTAMP:
        message = f"{error.instance!r} is not an RFC 3339 date-time (e.g. 2024-01-31T12:00:00Z)"
    else:
        message = error.message
    message = message if len(message) <= 160 else message[:157] + "..."
    return f"{_field(error)}: {message}"
