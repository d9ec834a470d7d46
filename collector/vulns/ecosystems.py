"""Which OSV ecosystem an install belongs to, and in which version order each ecosystem is read.

OSV names an ecosystem, optionally with a release after a colon ("Debian:12", "Alpine:v3.18",
"Ubuntu:22.04:LTS", "Red Hat:enterprise_linux:9::appstream"); see the OSV schema's list of
ecosystems. Distribution advisories only hold for the release they name, so an install is matched to
the ecosystem *and release* of the machine it is on, and a machine whose release is unknown is not
matched to release-specific advisories (no guess).

What is covered, and how each is read (README, "Vulnerabilities"):

===========================  ==========  ===========  ============================================
OSV ecosystem                installs    version      package name matched
===========================  ==========  ===========  ============================================
Debian:N                     deb         debian       source package (binary name if none)
Ubuntu:N.NN[:LTS], :Pro:     deb         debian       source package (binary name if none)
Alpine:vN.N                  apk         apk          source package (origin; binary if none)
Red Hat, Rocky Linux,        rpm         rpm          binary package and its source package
AlmaLinux, openSUSE, SUSE
PyPI                         pip         pep440       PEP 503 normalised name
npm                          npm         semver       name as published
===========================  ==========  ===========  ============================================

Everything else (Windows programs, macOS apps, snaps, flatpaks, software named over SNMP) has no
OSV ecosystem and is never matched: the rule packs cover those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ECOSYSTEM_SCHEMES",
    "HostEcosystem",
    "distro_from_os_name",
    "host_ecosystem",
    "normalise_name",
    "split_ecosystem",
]

#: OSV ecosystem (without release) -> version scheme of collector.rules.versions.
ECOSYSTEM_SCHEMES: Final = {
    "Debian": "debian",
    "Ubuntu": "debian",
    "Alpine": "apk",
    "Red Hat": "rpm",
    "Rocky Linux": "rpm",
    "AlmaLinux": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "PyPI": "pep440",
    "npm": "semver",
}

#: Ecosystems whose advisories name a distribution release; the others hold for any machine.
_RELEASED: Final = frozenset({"Debian", "Ubuntu", "Alpine", "Red Hat", "Rocky Linux", "AlmaLinux",
                              "openSUSE", "SUSE"})

#: os-release ID (the purl namespace the agent writes) -> OSV ecosystem, per package source.
_DISTROS: Final = {
    "deb": {"debian": "Debian", "ubuntu": "Ubuntu"},
    "apk": {"alpine": "Alpine"},
    "rpm": {"rhel": "Red Hat", "centos": "Red Hat", "redhat": "Red Hat", "rocky": "Rocky Linux",
            "almalinux": "AlmaLinux", "opensuse-leap": "openSUSE", "opensuse": "openSUSE",
            "sles": "SUSE", "sled": "SUSE", "suse": "SUSE"},
}
_LANGUAGE: Final = {"pip": "PyPI", "npm": "npm"}
_PEP503: Final = re.compile(r"[-_.]+")
_DIGITS: Final = re.compile(r"\d+(?:\.\d+)*")
_SUSE_RELEASE: Final = re.compile(r"\b(\d+)(?:\.(\d+)|\s+SP(\d+))?\b")


def normalise_name(ecosystem: str, name: str) -> str:
    """The package name as both sides are compared: PEP 503 for PyPI, as written otherwise."""
    if ecosystem == "PyPI":
        return _PEP503.sub("-", name).lower()
    return name.strip()


def _release_part(base: str, rest: str) -> str:
    """The release an OSV ecosystem suffix names, in the form :func:`host_ecosystem` gives hosts."""
    if base == "Ubuntu":
        # "22.04:LTS", "24.10", "Pro:18.04:LTS" (ESM: the same machines, their fixes need Pro): the
        # numeric release. Other streams ("Pro:FIPS:20.04:LTS", "Pro:FIPS-updates:...") ship their own
        # builds whose versions would flag an ordinary machine that is fixed: not matched.
        parts = rest.split(":")
        if any(p not in ("Pro", "LTS") and not _DIGITS.fullmatch(p) for p in parts):
            return ""
        numbers = [p for p in parts if _DIGITS.fullmatch(p)]
        return numbers[0] if len(numbers) == 1 else ""
    if base == "Alpine":
        return rest.lstrip("v")
    if base == "Red Hat":
        # CPE-like "enterprise_linux:9::appstream": the major release of the main stream. The
        # extended streams (rhel_eus, rhel_aus, rhel_e4s...) number their builds apart, and nothing on
        # a machine says it follows one: not matched rather than misread.
        product, _, tail = rest.partition(":")
        m = _DIGITS.match(tail)
        return m.group().split(".")[0] if product == "enterprise_linux" and m else ""
    if base in ("Rocky Linux", "AlmaLinux"):
        return rest.split(".", maxsplit=1)[0].split(":", maxsplit=1)[0]
    if base in ("openSUSE", "SUSE"):
        # "Leap 15.5", "Linux Enterprise Server 15 SP5", "Linux Enterprise Server 15": major.minor,
        # a service pack being SUSE's minor release (os-release VERSION_ID "15.5").
        m = _SUSE_RELEASE.search(rest)
        if not m:
            return ""
        minor = m.group(2) or m.group(3)
        return f"{m.group(1)}.{minor}" if minor else m.group(1)
    return rest.split(":", maxsplit=1)[0]


def split_ecosystem(ecosystem: str) -> tuple[str, str]:
    """("Debian", "12") from "Debian:12"; the release is "" for ecosystems without one.

    An ecosystem we do not match keeps its whole text as base, release "".
    """
    base, _, rest = ecosystem.partition(":")
    base = base.strip()
    if base not in ECOSYSTEM_SCHEMES:
        return ecosystem.strip(), ""
    if base not in _RELEASED:
        return base, ""
    return base, _release_part(base, rest.strip())


@dataclass(frozen=True, slots=True)
class HostEcosystem:
    """The OSV ecosystem and release an install is matched in."""

    ecosystem: str
    release: str


def _host_release(ecosystem: str, version_id: str) -> str:
    """The release part of a machine's os-release VERSION_ID as advisories spell it."""
    version_id = version_id.strip()
    m = _DIGITS.match(version_id)
    if not m:
        return ""
    number = m.group()
    if ecosystem == "Alpine":
        return ".".join(number.split(".")[:2])           # 3.18.4 -> 3.18 (Alpine:v3.18)
    if ecosystem in ("Red Hat", "Rocky Linux", "AlmaLinux", "Debian"):
        return number.split(".")[0]                       # 9.3 -> 9; Debian's VERSION_ID is the major
    if ecosystem == "Ubuntu":
        return ".".join(number.split(".")[:2])            # 22.04
    return number                                         # openSUSE Leap 15.5, SLES 15.5 (advisories vary)


#: os-release NAME words -> os-release ID, for machines whose packages carry no purl namespace.
_OS_NAMES: Final = (("ubuntu", "ubuntu"), ("debian", "debian"), ("alpine", "alpine"), ("almalinux", "almalinux"),
                    ("rocky", "rocky"), ("centos", "centos"), ("red hat", "rhel"), ("opensuse", "opensuse-leap"),
                    ("suse linux enterprise", "sles"), ("sles", "sles"))


def distro_from_os_name(os_name: str) -> str:
    """The os-release ID a machine's OS name implies ("Debian GNU/Linux 12" -> "debian"), "" if none.

    Used only when its packages carry no purl (the agent writes the os-release ID there): an agent's
    OS name is the os-release NAME, whose first words are the distribution's own name.
    """
    lowered = os_name.strip().lower()
    for word, distro in _OS_NAMES:
        if lowered.startswith(word):
            return distro
    return ""


def host_ecosystem(pkg_source: str, distro: str, version_id: str) -> HostEcosystem | None:
    """The ecosystem an install is matched in, or None when it has none (never guessed).

    Args:
        pkg_source: where the agent found it ("deb", "rpm", "apk", "pip", "npm", "msi", "snmp"...).
        distro: the os-release ID of its machine (the purl namespace the agent wrote), "" if unknown.
        version_id: the machine's os-release VERSION_ID, "" if unknown.
    """
    language = _LANGUAGE.get(pkg_source)
    if language is not None:
        return HostEcosystem(language, "")
    ecosystem = _DISTROS.get(pkg_source, {}).get(distro.strip().lower())
    if ecosystem is None:
        return None
    release = _host_release(ecosystem, version_id)
    return HostEcosystem(ecosystem, release) if release else None
