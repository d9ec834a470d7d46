"""Shell-style globs as rule files use them, translated once into regular expressions.

Syntax (a strict subset that Python's ``re``, DuckDB's ``GLOB`` operator and RE2 read alike):
``*`` any run of characters, ``?`` one character, ``[abc]`` / ``[a-z]`` a class, ``[!abc]`` a
negated class, ``\\x`` the character x literally. Matching is case-insensitive: patterns and
subjects are both case-folded.

``fnmatch`` is not used because it accepts anything (an unclosed ``[abc`` silently becomes a
literal), and rule files must reject a glob that cannot mean what its author intended.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["GlobError", "compile_glob", "glob_prefix", "glob_to_regex"]

_REGEX_SPECIAL = frozenset("\\.^$*+?()[]{}|/")


class GlobError(ValueError):
    """A glob pattern in a rule file is malformed."""


def _escape(ch: str) -> str:
    return "\\" + ch if ch in _REGEX_SPECIAL else ch


def glob_to_regex(pattern: str) -> str:
    """Translate a glob into an anchored-by-caller regular expression.

    The result uses only constructs common to Python ``re`` and RE2, so it can also be handed to
    DuckDB's ``regexp_full_match``.

    Args:
        pattern: the glob.

    Returns:
        A regular expression matching the same strings (apply with full-match semantics, to the
        case-folded subject).

    Raises:
        GlobError: empty pattern, unclosed or empty ``[...]`` class, reversed range, or a
            trailing backslash.
    """
    if not pattern:
        raise GlobError("empty glob")
    text = pattern.casefold()
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "*":
            out.append(".*")
            while i + 1 < n and text[i + 1] == "*":
                i += 1
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            if i + 1 >= n:
                raise GlobError(f"glob {pattern!r} ends with a lone backslash")
            i += 1
            out.append(_escape(text[i]))
        elif ch == "[":
            i, cls = _parse_class(pattern, text, i)
            out.append(cls)
        elif ch == "]":
            raise GlobError(f"glob {pattern!r} has ']' without a matching '['")
        else:
            out.append(_escape(ch))
        i += 1
    return "".join(out)


def _parse_class(pattern: str, text: str, start: int) -> tuple[int, str]:
    """Parse ``[...]`` starting at ``start``; return (index of ']', regex class)."""
    i = start + 1
    negate = i < len(text) and text[i] == "!"
    if negate:
        i += 1
    members: list[str] = []
    while i < len(text) and text[i] != "]":
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text):
                break
            i += 1
            ch = text[i]
        if i + 2 < len(text) and text[i + 1] == "-" and text[i + 2] != "]":
            hi = text[i + 2]
            if hi < ch:
                raise GlobError(f"glob {pattern!r} has a reversed range {ch}-{hi}")
            members.append(f"{_class_escape(ch)}-{_class_escape(hi)}")
            i += 3
            continue
        members.append(_class_escape(ch))
        i += 1
    if i >= len(text):
        raise GlobError(f"glob {pattern!r} has an unclosed '[' (write \\[ for a literal bracket)")
    if not members:
        raise GlobError(f"glob {pattern!r} has an empty character class '[]'")
    return i, "[" + ("^" if negate else "") + "".join(members) + "]"


def _class_escape(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else ch


@lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """Compile a glob for case-insensitive full matching (``.fullmatch(subject.casefold())``).

    Raises:
        GlobError: as :func:`glob_to_regex`.
    """
    return re.compile(glob_to_regex(pattern), re.DOTALL)


def glob_prefix(pattern: str) -> str:
    """Return the literal, case-folded prefix of a glob ("" if it starts with a wildcard).

    The engine buckets patterns by their first literal character so that each title is tried
    only against the few patterns that could match it.
    """
    out: list[str] = []
    text = pattern.casefold()
    i = 0
    while i < len(text) and text[i] not in "*?[":
        if text[i] == "\\":
            i += 1
            if i >= len(text):
                break
        out.append(text[i])
        i += 1
    return "".join(out)
