"""Version ordering per ecosystem, and the version-constraint syntax of rule files.

Each package source orders versions its own way, and a rule such as ``version: "<1.0.1g"`` must
be read in the order of the package it is applied to:

========  ==================  ==============================================================
scheme    sources             implementation
========  ==================  ==============================================================
debian    deb                 ``debian.debian_support.Version`` (python-debian): epochs,
                              ``~`` sorting before everything, dpkg's letter/number walk
rpm       rpm                 ``rpm_version.Evr`` (rpm-rs bindings; identical to rpmvercmp),
                              epochs, ``~`` pre-releases, ``^`` snapshots
pep440    pip                 ``packaging.version.Version`` (PEP 440)
semver    npm                 ``semver.Version`` (SemVer 2.0.0, pre-release ordering)
apk       apk                 ``univers.versions.AlpineLinuxVersion`` (apk-tools' order: letters,
                              ``_alpha``..``_rc`` before the release, ``_p`` after, ``-rN``)
dotted    msi, windows, macos, small tokeniser below: numbers numerically ("9.20" > "9.3"),
          snmp, anything else  trailing zeros ignored ("1.0" == "1.0.0"), pre-release words
                              (dev, alpha, beta, pre, rc, and a/b/c before a digit) below the
                              release, other letters above it (OpenSSL "1.0.1f" > "1.0.1")
========  ==================  ==============================================================

A version that its own scheme cannot parse (a pip package with a legacy version, an npm
"latest") is compared with the dotted scheme on both sides rather than dropped, so a rule still
sees it.

Constraint syntax: one or more comparisons joined by commas, all of which must hold
(``">=1.0,<2.0"``); operators ``<``, ``<=``, ``>``, ``>=``, ``==`` (or ``=``), ``!=``; a bare
version means ``==``. When the constraint's version has no Debian revision / RPM release
("<1.0.1g") the installed version's revision/release is ignored for that comparison, as rpm does
for a dependency without a release: ``1.0.1f-1ubuntu2`` satisfies ``<=1.0.1f``.

Advisories (collector/vulns) compare ``exact``: a fixed version of a native Debian package ("2.4")
or an RPM advisory without a release is still a whole version, and a distribution revision on the
installed side ("2.4-0.1") must count, or a backported fix would be read as its upstream version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, Self, TypeVar

import semver
from debian.debian_support import Version as DebianVersion
from packaging.version import InvalidVersion
from packaging.version import Version as Pep440Version
from rpm_version import Evr  # type: ignore[import-untyped]  # compiled extension without stubs
from univers.versions import AlpineLinuxVersion

__all__ = [
    "SCHEMES",
    "VersionConstraint",
    "VersionSyntaxError",
    "compare_versions",
    "parse_constraint",
]

SCHEMES = ("debian", "rpm", "pep440", "semver", "apk", "dotted")

_OPS: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
    "==": lambda c: c == 0,
    "!=": lambda c: c != 0,
}
_CLAUSE = re.compile(r"^\s*(?P<op><=|>=|==|!=|<|>|=)?\s*(?P<version>[^\s<>=!,]+)\s*$")
# What a version in a rule may be made of: digits, letters and the separators the supported
# schemes use (":" epochs, "~" and "^" pre/post-releases, "+" local/build parts).
_VERSION_TEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+~^:_-]*$")
_DOTTED_TOKEN = re.compile(r"\d+|[a-z]+")
_PRERELEASE_WORDS = {"dev": 0, "alpha": 1, "beta": 2, "pre": 3, "preview": 3, "rc": 4}
_PRERELEASE_LETTERS = {"a": 1, "b": 2, "c": 4}


class VersionSyntaxError(ValueError):
    """A version constraint in a rule file is malformed."""


def _dotted_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Tokens of a dotted vendor version: (-1, rank) pre-release, (0, n) number, (1, word) letters."""
    lowered = text.strip().lower()
    if lowered[:1] == "v" and lowered[1:2].isdigit():
        lowered = lowered[1:]
    key: list[tuple[int, int | str]] = []
    for m in _DOTTED_TOKEN.finditer(lowered):
        token = m.group()
        if token.isdigit():
            key.append((0, int(token)))
        elif token in _PRERELEASE_WORDS:
            key.append((-1, _PRERELEASE_WORDS[token]))
        elif token in _PRERELEASE_LETTERS and lowered[m.end() : m.end() + 1].isdigit():
            # "1.0b2", "3.12.0rc1": abbreviated pre-release, but "1.0.1a" (OpenSSL) is after 1.0.1.
            key.append((-1, _PRERELEASE_LETTERS[token]))
        else:
            key.append((1, token))
    return tuple(key)


_ZERO: tuple[int, int | str] = (0, 0)


def _dotted_cmp(installed: str, wanted: str) -> int:
    """Compare dotted versions, padding the shorter with zeros ("1.0" == "1.0.0", "2.0-beta9" < "2.0")."""
    a, b = _dotted_key(installed), _dotted_key(wanted)
    width = max(len(a), len(b))
    return _cmp(a + (_ZERO,) * (width - len(a)), b + (_ZERO,) * (width - len(b)))


class _Ordered(Protocol):
    def __lt__(self, other: Self, /) -> bool: ...


_O = TypeVar("_O", bound=_Ordered)


def _cmp(a: _O, b: _O) -> int:
    """-1, 0 or 1 as ``a`` sorts before, with or after ``b``, by ``<`` alone."""
    return int(b < a) - int(a < b)


def _split_debian_revision(text: str) -> tuple[str, bool]:
    """Return the Debian version without its revision, and whether it had one."""
    if "-" not in text:
        return text, False
    return text.rsplit("-", 1)[0], True


def _compare_debian(installed: str, wanted: str, exact: bool) -> int:
    wanted_has_revision = "-" in wanted
    if not wanted_has_revision and not exact:
        installed = _split_debian_revision(installed)[0]
    return _cmp(DebianVersion(installed), DebianVersion(wanted))


def _compare_rpm(installed: str, wanted: str, exact: bool) -> int:
    mine = Evr.parse(installed)
    theirs = Evr.parse(wanted)
    if not theirs.release and not exact:
        mine = Evr(mine.epoch, mine.version, "")
    return _cmp(mine, theirs)


def _semver(text: str) -> semver.Version:
    text = text.strip()
    if text[:1] in "vV=":
        text = text[1:]
    return semver.Version.parse(text, optional_minor_and_patch=True)


def _compare_apk(installed: str, wanted: str, _exact: bool) -> int:
    # univers raises its InvalidVersion (a ValueError) on text outside apk's grammar.
    return _cmp(AlpineLinuxVersion(installed), AlpineLinuxVersion(wanted))


_COMPARATORS: dict[str, Callable[[str, str, bool], int]] = {
    "debian": _compare_debian,
    "rpm": _compare_rpm,
    "pep440": lambda a, b, _exact: _cmp(Pep440Version(a), Pep440Version(b)),
    "semver": lambda a, b, _exact: _cmp(_semver(a), _semver(b)),
    "apk": _compare_apk,
}


@lru_cache(maxsize=262144)
def compare_versions(installed: str, wanted: str, scheme: str, exact: bool = False) -> int:
    """Compare two versions in one scheme.

    Args:
        installed: the version found on the asset.
        wanted: the version named in a rule (or any second version).
        scheme: one of :data:`SCHEMES`.
        exact: compare whole versions (advisories); False lets a ``wanted`` without a Debian
            revision / RPM release ignore the installed one (rule constraints, see above).

    Returns:
        -1, 0 or 1 as ``installed`` sorts before, equal to or after ``wanted``. Versions the
        scheme cannot parse are compared as dotted versions instead of raising.

    Raises:
        ValueError: ``scheme`` is not one of :data:`SCHEMES`.
    """
    if scheme == "dotted":
        return _dotted_cmp(installed, wanted)
    try:
        comparator = _COMPARATORS[scheme]
    except KeyError:
        raise ValueError(f"unknown version scheme {scheme!r}") from None
    try:
        return comparator(installed, wanted, exact)
    except (ValueError, TypeError, InvalidVersion):
        # python-debian, packaging and semver raise ValueError subclasses on text outside their
        # grammar; rpm_version raises ValueError. Fall back so that the rule still applies.
        return _dotted_cmp(installed, wanted)


@dataclass(frozen=True, slots=True)
class VersionConstraint:
    """A conjunction of comparisons, e.g. ``>=1.0,<2.0``.

    Attributes:
        text: the constraint as written in the rule file.
        clauses: (operator, version) pairs, all of which must hold.
    """

    text: str
    clauses: tuple[tuple[str, str], ...]

    def contains(self, version: str, scheme: str) -> bool:
        """Whether ``version`` satisfies every clause in ``scheme`` order.

        An empty version (unknown) satisfies no constraint: a rule cannot claim an install is in
        a vulnerable range without knowing its version.
        """
        if not version:
            return False
        return all(_OPS[op](compare_versions(version, wanted, scheme)) for op, wanted in self.clauses)


def parse_constraint(text: str) -> VersionConstraint:
    """Parse a constraint such as ``"<15.0"``, ``">=1.0,<2.0"`` or ``"==1.2.3"``.

    Args:
        text: the constraint.

    Returns:
        The parsed constraint.

    Raises:
        VersionSyntaxError: empty clause, unknown operator (``=>``, ``~=``, ``^``), or a version
            with characters no supported scheme uses.
    """
    if not text.strip():
        raise VersionSyntaxError("empty version constraint")
    clauses: list[tuple[str, str]] = []
    for part in text.split(","):
        m = _CLAUSE.match(part)
        if not part.strip():
            raise VersionSyntaxError(f"empty clause in version constraint {text!r}")
        if m is None:
            raise VersionSyntaxError(
                f"bad clause {part.strip()!r} in version constraint {text!r} "
                "(use <, <=, >, >=, == or != followed by a version, e.g. '>=1.0,<2.0')"
            )
        op = m["op"] or "=="
        op = "==" if op == "=" else op
        version = m["version"]
        if not _VERSION_TEXT.match(version) or not any(ch.isdigit() for ch in version):
            raise VersionSyntaxError(f"bad version {version!r} in version constraint {text!r}")
        clauses.append((op, version))
    return VersionConstraint(text.strip(), tuple(clauses))
