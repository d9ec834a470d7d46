"""OSV range evaluation in each ecosystem's own order: just below and just above each fix."""

from __future__ import annotations

import pytest

from collector.vulns.ranges import Range, evaluate


def eco(*events: tuple[str, str]) -> Range:
    return Range("ECOSYSTEM", events)


@pytest.mark.parametrize(("version", "affected", "fixed"), [
    ("1.0.1e-2+deb7u4", True, "1.0.1e-2+deb7u5"),     # just below the security revision
    ("1.0.1e-2+deb7u5", False, ""),                   # the fix itself
    ("1.0.1e-2+deb7u20", False, ""),                  # u20 > u5: numbers compared as numbers
    ("1.0.1e-2", True, "1.0.1e-2+deb7u5"),            # the unpatched release
    ("1:1.0.0-1", False, ""),                         # an epoch outranks every upstream version
])
def test_debian_security_revisions_and_epochs(version: str, affected: bool, fixed: str) -> None:
    v = evaluate(version, [eco(("introduced", "0"), ("fixed", "1.0.1e-2+deb7u5"))], [], "debian")
    assert (v.affected, v.fixed) == (affected, fixed)


def test_a_fix_without_revision_is_still_a_whole_version() -> None:
    # Rules ignore the installed revision when the constraint has none; advisories must not, or the
    # 2.4-0.1 backport would count as 2.4 and the unfixed 2.4~rc1-1 as below it.
    rng = [eco(("introduced", "0"), ("fixed", "2.4"))]
    assert evaluate("2.4-0.1", rng, [], "debian").affected is False
    assert evaluate("2.4~rc1-1", rng, [], "debian").affected is True


@pytest.mark.parametrize(("version", "affected", "fixed"), [
    ("3.1.9", True, "3.2.20"), ("3.2.19", True, "3.2.20"), ("3.2.20", False, ""),
    ("4.0", True, "4.1.10"), ("4.1.9", True, "4.1.10"), ("4.1.10", False, ""),
    ("4.2rc1", False, ""),    # PEP 440: a pre-release of 4.2 sorts before 4.2, after the 4.1 fix
    ("4.2", True, "4.2.3"), ("4.2.2", True, "4.2.3"), ("4.2.3", False, ""), ("5.0", False, ""),
])
def test_pypi_several_ranges_in_one(version: str, affected: bool, fixed: str) -> None:
    rng = [eco(("introduced", "0"), ("fixed", "3.2.20"), ("introduced", "4.0"), ("fixed", "4.1.10"),
               ("introduced", "4.2"), ("fixed", "4.2.3"))]
    v = evaluate(version, rng, [], "pep440")
    assert (v.affected, v.fixed) == (affected, fixed)


def test_events_are_sorted_before_walking() -> None:
    # The specification does not order events; a record listing them out of order means the same.
    rng = [eco(("fixed", "4.2.3"), ("introduced", "4.2"), ("fixed", "3.2.20"), ("introduced", "0"))]
    assert evaluate("4.2.2", rng, [], "pep440").fixed == "4.2.3"
    assert evaluate("4.1.0", rng, [], "pep440").affected is False


@pytest.mark.parametrize(("version", "affected"), [("2.88.2", True), ("2.88.1", True), ("2.88.3", False),
                                                   ("3.0.0-beta.1", False), ("2.88.2-rc.1", True)])
def test_npm_last_affected(version: str, affected: bool) -> None:
    v = evaluate(version, [Range("SEMVER", (("introduced", "0"), ("last_affected", "2.88.2")))], [], "semver")
    assert v.affected is affected
    assert v.fixed == ""  # no fixed version exists: the finding must not invent one


@pytest.mark.parametrize(("version", "affected"), [("1.1.1l-r0", True), ("1.1.1n-r0", False), ("1.1.1m-r3", True),
                                                   ("1.1.1n-r1", False), ("1.1.1_rc1-r0", True)])
def test_alpine_revisions(version: str, affected: bool) -> None:
    assert evaluate(version, [eco(("introduced", "0"), ("fixed", "1.1.1n-r0"))], [], "apk").affected is affected


@pytest.mark.parametrize(("version", "affected"), [("1.0.1e-16.el6_5.4", True), ("1.0.1e-16.el6_5.7", False),
                                                   ("0:1.0.1e-16.el6_5.7", False), ("1:1.0.1e-15.el6", False),
                                                   ("1.0.1e-16.el6_5.10", False)])
def test_rpm_epoch_version_release(version: str, affected: bool) -> None:
    rng = [eco(("introduced", "0"), ("fixed", "0:1.0.1e-16.el6_5.7"))]
    assert evaluate(version, rng, [], "rpm").affected is affected


def test_limit_caps_a_range() -> None:
    rng = [eco(("introduced", "1.0"), ("limit", "2.0"))]
    assert evaluate("1.5", rng, [], "pep440").affected is True
    assert evaluate("2.0", rng, [], "pep440").affected is False


def test_versions_list_and_git_ranges() -> None:
    git = Range("GIT", (("introduced", "0"), ("fixed", "454f2fb9")))
    assert evaluate("3.2.19", [git], ["3.2.19"], "pep440").affected is True
    assert evaluate("3.2.20", [git], ["3.2.19"], "pep440").affected is False  # a commit range says nothing
    assert evaluate("", [eco(("introduced", "0"))], [], "debian").affected is False  # unknown version: no claim


def test_reintroduced_after_a_fix() -> None:
    rng = [eco(("introduced", "0"), ("fixed", "1.2"), ("introduced", "1.5"), ("fixed", "1.7"))]
    assert [evaluate(v, rng, [], "pep440").affected for v in ("1.1", "1.3", "1.5", "1.6.9", "1.7")] == \
        [True, False, True, True, False]
