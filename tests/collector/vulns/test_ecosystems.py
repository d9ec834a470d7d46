"""Which ecosystem and release an advisory names, and which an install is matched in."""

from __future__ import annotations

import pytest

from collector.vulns.ecosystems import distro_from_os_name, host_ecosystem, normalise_name, split_ecosystem


@pytest.mark.parametrize(("text", "expected"), [
    ("Debian:12", ("Debian", "12")),
    ("Debian:7", ("Debian", "7")),
    ("Ubuntu:22.04:LTS", ("Ubuntu", "22.04")),
    ("Ubuntu:24.10", ("Ubuntu", "24.10")),
    ("Ubuntu:Pro:18.04:LTS", ("Ubuntu", "18.04")),
    ("Ubuntu:Pro:FIPS:20.04:LTS", ("Ubuntu", "")),            # own builds: never matched
    ("Alpine:v3.18", ("Alpine", "3.18")),
    ("Red Hat:enterprise_linux:9::appstream", ("Red Hat", "9")),
    ("Red Hat:enterprise_linux:8::baseos", ("Red Hat", "8")),
    ("Red Hat:rhel_eus:9.2::baseos", ("Red Hat", "")),        # extended stream: never matched
    ("Rocky Linux:9", ("Rocky Linux", "9")),
    ("AlmaLinux:8", ("AlmaLinux", "8")),
    ("openSUSE:Leap 15.5", ("openSUSE", "15.5")),
    ("SUSE:Linux Enterprise Server 15 SP5", ("SUSE", "15.5")),
    ("PyPI", ("PyPI", "")),
    ("npm", ("npm", "")),
    ("Maven", ("Maven", "")),                                 # not matched: no install maps to it
])
def test_split_ecosystem(text: str, expected: tuple[str, str]) -> None:
    assert split_ecosystem(text) == expected


@pytest.mark.parametrize(("source", "distro", "version_id", "expected"), [
    ("deb", "debian", "12", ("Debian", "12")),
    ("deb", "ubuntu", "22.04", ("Ubuntu", "22.04")),
    ("apk", "alpine", "3.18.4", ("Alpine", "3.18")),
    ("rpm", "rhel", "9.3", ("Red Hat", "9")),
    ("rpm", "rocky", "9.3", ("Rocky Linux", "9")),
    ("rpm", "opensuse-leap", "15.5", ("openSUSE", "15.5")),
    ("pip", "", "", ("PyPI", "")),
    ("npm", "", "12", ("npm", "")),
])
def test_host_ecosystem(source: str, distro: str, version_id: str, expected: tuple[str, str]) -> None:
    found = host_ecosystem(source, distro, version_id)
    assert found is not None and (found.ecosystem, found.release) == expected


@pytest.mark.parametrize(("source", "distro", "version_id"), [
    ("deb", "debian", ""),          # Debian testing/sid: no VERSION_ID, no release to match
    ("deb", "kali", "2024.1"),      # a derivative: its packages are not Debian's
    ("rpm", "fedora", "40"),        # no OSV ecosystem here
    ("msi", "", "10.0"), ("snmp", "", ""), ("macos", "", "14.4"), ("snap", "", ""),
])
def test_no_ecosystem_no_guess(source: str, distro: str, version_id: str) -> None:
    assert host_ecosystem(source, distro, version_id) is None


def test_names() -> None:
    assert normalise_name("PyPI", "Zope.Interface") == "zope-interface"
    assert normalise_name("PyPI", "typing_extensions") == "typing-extensions"
    assert normalise_name("npm", "@babel/core") == "@babel/core"
    assert distro_from_os_name("Debian GNU/Linux 12") == "debian"
    assert distro_from_os_name("Red Hat Enterprise Linux 9.3") == "rhel"
    assert distro_from_os_name("Windows 11") == ""
