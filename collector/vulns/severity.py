"""An advisory's severity: from its CVSS vector (computed with the ``cvss`` library), else the database's word.

Order of preference, so that a finding's severity can always be traced to the advisory:

1. a CVSS vector in ``severity`` (the record's, else its affected entries'): v4 before v3 before v2,
   scored by ``cvss`` (the reference implementation's maths) and named by the CVSS qualitative scale
   (0 none -> "info", 0.1-3.9 low, 4-6.9 medium, 7-8.9 high, 9-10 critical; v2 has no critical);
2. an ``Ubuntu`` priority in ``severity``, or ``database_specific.severity`` (GitHub's LOW,
   MODERATE, HIGH, CRITICAL), or a Debian urgency in ``ecosystem_specific.urgency``;
3. otherwise "medium", marked as not given, so an advisory without a severity is neither hidden nor
   inflated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

__all__ = ["Severity", "advisory_severity", "cvss_severity"]

_WORDS: Final = {
    "critical": "critical", "high": "high", "important": "high", "moderate": "medium", "medium": "medium",
    "low": "low", "negligible": "info", "unimportant": "info", "none": "info",
}
_TYPE_RANK: Final = {"CVSS_V4": 0, "CVSS_V3": 1, "CVSS_V2": 2}


@dataclass(frozen=True, slots=True)
class Severity:
    """A severity level, its CVSS base score when computed, and what it came from."""

    level: str                 # info | low | medium | high | critical
    score: float | None
    basis: str                 # the vector, or e.g. "database: MODERATE", or "not given"


def _qualitative(score: float) -> str:
    if score == 0:
        return "info"
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    if score < 9:
        return "high"
    return "critical"


@lru_cache(maxsize=16384)
def cvss_severity(kind: str, vector: str) -> Severity | None:
    """The severity of one CVSS vector, or None when it does not parse (the caller falls back).

    Cached: a feed of 50,000 advisories repeats a few thousand distinct vectors.
    """
    vector = vector.strip()
    try:
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            return Severity(_qualitative(float(v4.base_score)), float(v4.base_score), vector)
        if kind == "CVSS_V3":
            v3 = CVSS3(vector)
            score = float(v3.scores()[0])
            return Severity(_qualitative(score), score, vector)
        if kind == "CVSS_V2":
            score = float(CVSS2(vector).scores()[0])
            # CVSS v2 has three levels (NVD): 0-3.9 low, 4-6.9 medium, 7-10 high.
            return Severity("low" if score < 4 else "medium" if score < 7 else "high", score, vector)
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None


def _severity_entries(record: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield from record.get("severity") or ()
    for affected in record.get("affected") or ():
        yield from affected.get("severity") or ()


def advisory_severity(record: Mapping[str, Any]) -> Severity:
    """The severity of a (validated) OSV record, by the preference in the module docstring."""
    entries = sorted((e for e in _severity_entries(record) if e.get("type") in _TYPE_RANK),
                     key=lambda e: _TYPE_RANK[str(e["type"])])
    for entry in entries:
        found = cvss_severity(str(entry["type"]), str(entry.get("score", "")))
        if found is not None:
            return found
    for entry in _severity_entries(record):
        if entry.get("type") == "Ubuntu":
            word = _WORDS.get(str(entry.get("score", "")).strip().lower())
            if word:
                return Severity(word, None, f"Ubuntu priority: {entry.get('score')}")
    db = record.get("database_specific")
    if isinstance(db, Mapping) and isinstance(db.get("severity"), str):
        word = _WORDS.get(db["severity"].strip().lower())
        if word:
            return Severity(word, None, f"database: {db['severity']}")
    for affected in record.get("affected") or ():
        eco = affected.get("ecosystem_specific")
        if isinstance(eco, Mapping) and isinstance(eco.get("urgency"), str):
            word = _WORDS.get(eco["urgency"].strip().lower())
            if word:
                return Severity(word, None, f"urgency: {eco['urgency']}")
    return Severity("medium", None, "not given")
