"""Version ordering per ecosystem and the constraint syntax (collector/rules/versions.py)."""

from __future__ import annotations

import pytest

from collector.domain.software_names import scheme_for_source
from collector.rules.versions import VersionSyntaxError, compare_versions, parse_constraint

# (lower, higher, scheme): lower must sort strictly before higher.
ORDERED = [
    # Debian: epochs, tildes, revisions, dpkg's letter/number walk
    ("9.3", "9.20", "debian"),
    ("2.0", "1:1.0", "debian"),
    ("1.0~rc1", "1.0", "debian"),
    ("1.0~~", "1.0~", "debian"),
    ("1.0-1", "1.0-1+deb11u1", "debian"),
    ("1.0.1e-2+deb7u4", "1.0.1e-2+deb7u5", "debian"),
    ("5.6.1-1", "5.6.1+really5.4.5-1", "debian"),
    ("1.0.1f", "1.0.1g", "debian"),
    # RPM: epochs, tildes, carets, releases
    ("9.3", "9.20", "rpm"),
    ("1.0~rc1-1", "1.0-1", "rpm"),
    ("1.0-1", "1.0^git1-1", "rpm"),
    ("2.0-1", "1:0.5-1", "rpm"),
    ("1.0.1e-15.el6", "1.0.1e-16.el6_5.7", "rpm"),
    ("1.0.1e-16.el6_5", "1.0.1e-16.el6_5.7", "rpm"),
    # PEP 440
    ("9.3", "9.20", "pep440"),
    ("1.0a1", "1.0b1", "pep440"),
    ("1.0rc1", "1.0", "pep440"),
    ("1.0", "1.0.post1", "pep440"),
    ("1.0.dev1", "1.0a1", "pep440"),
    ("1!0.1", "2!0.0", "pep440"),
    # SemVer (npm)
    ("9.3.0", "9.20.0", "semver"),
    ("1.0.0-alpha", "1.0.0-alpha.1", "semver"),
    ("1.0.0-alpha.beta", "1.0.0-beta", "semver"),
    ("1.0.0-rc.1", "1.0.0", "semver"),
    ("v1.2.3", "1.2.4", "semver"),
    # dotted Windows / vendor versions
    ("9.3", "9.20", "dotted"),
    ("10.0.9200", "10.0.19041.1", "dotted"),
    ("1.0.1", "1.0.1a", "dotted"),
    ("1.0.1e", "1.0.1f", "dotted"),
    ("2.0-beta9", "2.0-rc1", "dotted"),
    ("2.0-beta9", "2.0", "dotted"),
    ("3.12.0rc1", "3.12.0", "dotted"),
    ("0.60", "0.81", "dotted"),
    ("15.49.2", "v15.50", "dotted"),
]

EQUAL = [
    ("1.0", "1.0.0", "dotted"),
    ("v2.41.0", "2.41", "dotted"),
    ("1.0", "1.0.0", "pep440"),
    ("1.2", "1.2.0", "semver"),
    ("0:1.0-1", "1.0-1", "debian"),
    ("0:1.0-1", "1.0-1", "rpm"),
]


@pytest.mark.parametrize(("lower", "higher", "scheme"), ORDERED)
def test_versions_sort_in_their_own_scheme(lower: str, higher: str, scheme: str) -> None:
    assert compare_versions(lower, higher, scheme) == -1
    assert compare_versions(higher, lower, scheme) == 1


@pytest.mark.parametrize(("a", "b", "scheme"), EQUAL)
def test_equal_versions(a: str, b: str, scheme: str) -> None:
    assert compare_versions(a, b, scheme) == 0


@pytest.mark.parametrize(
    ("source", "scheme"),
    [("deb", "debian"), ("rpm", "rpm"), ("pip", "pep440"), ("npm", "semver"), ("msi", "dotted"),
     ("windows", "dotted"), ("macos", "dotted"), ("snmp", "dotted"), ("other", "dotted"), ("", "dotted")],
)
def test_scheme_follows_the_package_source(source: str, scheme: str) -> None:
    assert scheme_for_source(source) == scheme


def test_unparsable_versions_fall_back_to_dotted_instead_of_failing() -> None:
    # "latest" is no SemVer and "junk!" no PEP 440 version: still comparable, never an exception.
    assert compare_versions("latest", "1.0", "semver") in (-1, 1)
    assert compare_versions("1.0-legacy", "1.1", "pep440") == -1


def test_unknown_scheme_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown version scheme"):
        compare_versions("1", "2", "cobol")


@pytest.mark.parametrize(
    ("constraint", "version", "scheme", "expected"),
    [
        ("<15.0", "14.9", "dotted", True),
        ("<15.0", "15.0.0", "dotted", False),
        (">=1.0,<2.0", "1.5", "dotted", True),
        (">=1.0,<2.0", "2.0", "dotted", False),
        ("==1.2.3", "1.2.3", "semver", True),
        ("=1.2.3", "1.2.4", "semver", False),
        ("1.2.3", "1.2.3", "pep440", True),
        ("!=1.2.3", "1.2.4", "pep440", True),
        (">9.3", "9.20", "dotted", True),
        (">9.3", "9.20", "pep440", True),
        # No revision in the constraint: the installed revision is ignored.
        ("<=1.0.1f", "1.0.1f-1ubuntu2", "debian", True),
        ("<2.16.0", "2.16.0-1~deb10u1", "debian", False),
        ("<2.0", "2.0-1.el7", "rpm", False),
        ("<=5.6.1", "5.6.1-1", "debian", True),
        ("<=5.6.1", "5.6.1+really5.4.5-1", "debian", False),
        # With a revision it counts.
        ("<1.0.1e-2+deb7u5", "1.0.1e-2+deb7u4", "debian", True),
        ("<1.0.1e-16.el6_5.7", "1.0.1e-16.el6_5.7", "rpm", False),
        # Unknown version: no constraint holds.
        ("<99", "", "dotted", False),
    ],
)
def test_constraints(constraint: str, version: str, scheme: str, expected: bool) -> None:
    assert parse_constraint(constraint).contains(version, scheme) is expected


@pytest.mark.parametrize("bad", ["", "   ", "=>1.0", "~1.0", "^1.2", "<", "1.0,,2.0", "<abc", "< 1.0 2.0", ">=1.0;<2"])
def test_bad_constraints_are_rejected(bad: str) -> None:
    with pytest.raises(VersionSyntaxError):
        parse_constraint(bad)


@pytest.mark.parametrize(("installed", "wanted", "scheme", "expected"), [
    # Advisories compare whole versions: the installed revision/release counts even when the fixed
    # version has none (a native Debian package, an RPM advisory naming only a version).
    ("2.4-0.1", "2.4", "debian", 1),
    ("2.4~rc1-1", "2.4", "debian", -1),
    ("1.0.1e-16.el6_5.7", "1.0.1e", "rpm", 1),
    ("1.0.1e-2+deb7u4", "1.0.1e-2+deb7u5", "debian", -1),
])
def test_exact_comparison_for_advisories(installed: str, wanted: str, scheme: str, expected: int) -> None:
    assert compare_versions(installed, wanted, scheme, True) == expected


@pytest.mark.parametrize(("installed", "wanted", "expected"), [
    ("1.1.1n-r0", "1.1.1n-r1", -1),      # -rN revision
    ("1.1.1n-r0", "1.1.1m-r9", 1),       # letter after the number (OpenSSL style)
    ("1.2.3_rc1-r0", "1.2.3-r0", -1),    # _rc before the release
    ("1.2.3_p1-r0", "1.2.3-r0", 1),      # _p (patch) after it
    ("3.0.10-r0", "3.0.8-r3", 1),        # numbers compared as numbers
])
def test_apk_order(installed: str, wanted: str, expected: int) -> None:
    assert compare_versions(installed, wanted, "apk") == expected
