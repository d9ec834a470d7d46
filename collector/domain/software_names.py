"""Normalise software titles so that rules can match what different sources report.

Sources disagree on how they name the same thing:

* dpkg, rpm, pip and npm report a bare package name and a separate version
  (``openssl`` / ``1.0.1e-2+deb7u4``): the name is already the product.
* Windows uninstall keys and macOS bundles report a display name that often repeats the
  version and decorates it (``Mozilla Firefox 19.0.2 (x86 ru)``), plus a version field.
* SNMP HOST-RESOURCES-MIB ``hrSWInstalledName`` (RFC 2790) carries a single string and no
  version column at all: on Windows it is the display name (``7-Zip 9.20 (x64 edition)``), on
  net-snmp over rpm the package NEVRA (``bash-4.2.46-34.el7.x86_64``, see net-snmp's
  ``hr_swinst.c``), over dpkg ``name_version_arch``.

:func:`normalise_title` turns each of these into a :class:`SoftwareTitle` with a product name,
a version, a normalised vendor and the version scheme that orders that version. Everything here
is pure and cheap: the rules engine calls it once per *distinct* title, not per install.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "SoftwareTitle",
    "dedupe_titles",
    "normalise_title",
    "normalise_vendor",
    "scheme_for_source",
    "split_name_version",
    "split_title",
]

#: Package sources whose names never embed the version (the package manager keeps it apart).
_PACKAGE_MANAGER_SOURCES = frozenset({"deb", "rpm", "pip", "npm", "snap", "flatpak"})

#: Version ordering per source; anything not listed is compared as a dotted vendor version.
_SCHEME_BY_SOURCE = {
    "deb": "debian",
    "rpm": "rpm",
    "pip": "pep440",
    "npm": "semver",
}

# A dotted version token as display names carry it: "19.0.2", "1.0.1e", "9.20", "2.0-beta9",
# "v2.41.0". At least one dot, so that years and marketing numbers ("Office 2016",
# "Windows 10", "Java 8 Update 351") stay part of the product name.
_DOTTED = r"v?\d+(?:\.\d+)+[a-z]?(?:[-+~][0-9a-z]+(?:\.[0-9a-z]+)*)?"

# "<product> [version|ver.|-] <dotted version>" at the end of a display name.
_TRAILING_VERSION = re.compile(
    rf"^(?P<product>.*?\S)(?:\s*[-,]\s*|\s+)(?:(?:version|ver\.?|release)\s*)?(?P<version>{_DOTTED})$",
    re.IGNORECASE,
)
# Decorations after the version: "(32-bit)", "(x86 ru)", "(x64 edition)", "[KB12345]".
_TRAILING_DECORATION = re.compile(r"\s*(?:\([^()]*\)|\[[^\[\]]*\])\s*$")
# Bare architecture words some vendors append without brackets ("Python 3.11.4 x64").
_TRAILING_ARCH = re.compile(r"\s+(?:x64|x86|x86_64|amd64|arm64|64-bit|32-bit|64bit|32bit)$", re.IGNORECASE)

_RPM_ARCHES = r"(?:x86_64|i[3-6]86|noarch|aarch64|ppc64le|ppc64|s390x|armv7hl|armhfp|src)"
# rpm NEVRA as net-snmp's hrSWInstalledName reports it: name-[epoch:]version-release[.arch].
_RPM_NEVRA = re.compile(
    rf"^(?P<name>[A-Za-z0-9_.+-]+?)-(?P<version>(?:\d+:)?\d[A-Za-z0-9_.+~^]*-[A-Za-z0-9_.+~^]+?)(?:\.{_RPM_ARCHES})?$"
)
# dpkg "name_version_arch" as net-snmp reports it on Debian.
_DPKG_TRIPLE = re.compile(
    r"^(?P<name>[a-z0-9][a-z0-9.+-]+)_(?P<version>(?:\d+:)?\d[A-Za-z0-9.+~:-]*)_(?P<arch>[a-z0-9-]+)$"
)

_SPACES = re.compile(r"\s+")

# Legal-form and filler words dropped from vendor names, so "Microsoft Corporation",
# "Microsoft Corp." and "microsoft" are one vendor.
_VENDOR_SUFFIXES = frozenset(
    {
        "corporation", "corp", "incorporated", "inc", "llc", "l.l.c", "ltd", "limited", "gmbh", "ag",
        "co", "company", "plc", "sa", "s.a", "bv", "b.v", "srl", "s.r.l", "oy", "ab", "as", "kg",
        "foundation", "software", "systems", "technologies", "technology", "international", "group",
        "america", "germany", "holdings", "the",
    }
)
# Names that stay ambiguous after suffix stripping, mapped to the vendor's short name.
_VENDOR_ALIASES = {
    "the mozilla": "mozilla",
    "mozilla developers": "mozilla",
    "apache": "apache",
    "the apache": "apache",
    "python": "python",
    "igor pavlov": "7-zip",
    "simon tatham": "putty",
    "oracle and/or its affiliates": "oracle",
    "debian openssl team": "openssl",
    "the openssl project": "openssl",
    "openssl project": "openssl",
}
_VENDOR_EMAIL = re.compile(r"<[^>]*>")
_VENDOR_TOKEN_SPLIT = re.compile(r"[\s,]+")


@dataclass(frozen=True, slots=True)
class SoftwareTitle:
    """A software title as rules see it.

    Attributes:
        product: product name with any embedded version and decorations removed, original case
            ("OpenSSL", "Mozilla Firefox", "bash").
        version: the version from the version field, else the one split out of the name; "" if
            neither source knows it.
        vendor: normalised vendor ("microsoft"), "" if unknown.
        source: package source as reported ("deb", "msi", "snmp", ...).
        scheme: version scheme that orders ``version`` ("debian", "rpm", "pep440", "semver",
            "dotted"); an SNMP row that turned out to be an rpm NEVRA or a dpkg triple is
            ordered as rpm or Debian, not as a dotted string.
    """

    product: str
    version: str
    vendor: str
    source: str
    scheme: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity used for de-duplication: case-insensitive product, version, vendor, source."""
        return (self.product.casefold(), self.version, self.vendor, self.source)


def scheme_for_source(source: str) -> str:
    """Return the version scheme for a package source.

    Args:
        source: package source ("deb", "rpm", "pip", "npm", "msi", "snmp", ...).

    Returns:
        "debian", "rpm", "pep440", "semver" or, for Windows/macOS/SNMP/anything else, "dotted".
    """
    return _SCHEME_BY_SOURCE.get((source or "").lower(), "dotted")


def split_title(name: str, version: str, source: str) -> tuple[str, str, str]:
    """Split a raw title into (product, version, scheme); see :func:`split_name_version`.

    The product never depends on ``version`` (only the returned version does), so callers
    may cache the result per (name, source) and substitute a version field of their own.
    """
    raw = _SPACES.sub(" ", name or "").strip()
    version = (version or "").strip()
    source = (source or "").lower()
    scheme = scheme_for_source(source)
    if source in _PACKAGE_MANAGER_SOURCES:
        # Package names such as "python3.11" or "libssl1.0.0" end in digits that are part of
        # the name; never split them.
        return raw, version, scheme
    if source == "snmp" and " " not in raw:
        # net-snmp's hr_swinst.c reports Linux packages as one token (NEVRA or name_version_arch).
        if m := _DPKG_TRIPLE.match(raw):
            return m["name"], version or m["version"], "debian"
        if m := _RPM_NEVRA.match(raw):
            return m["name"], version or m["version"], "rpm"
    product = raw
    found = ""
    # Peel decorations and the version from the end: "7-Zip 9.20 (x64 edition)" -> "7-Zip".
    for _ in range(4):
        stripped = _TRAILING_ARCH.sub("", _TRAILING_DECORATION.sub("", product))
        if not found and (m := _TRAILING_VERSION.match(stripped)):
            found = m["version"]
            stripped = m["product"]
        if stripped == product or not stripped:
            break
        product = stripped
    if found[:1] in "vV" and found[1:2].isdigit():
        found = found[1:]
    return product, version or found, scheme


def split_name_version(name: str, version: str = "", source: str = "") -> tuple[str, str]:
    """Split a title that may carry its version into (product, version).

    Package-manager names (deb, rpm, pip, npm, snap, flatpak) are returned unchanged: their
    digits belong to the name ("libssl1.0.0"). Display names and SNMP strings lose a trailing
    dotted version and decorations; a version field, when given, wins over the one in the name.

    Examples:
        >>> split_name_version("OpenSSL 1.0.1e (32-bit)")
        ('OpenSSL', '1.0.1e')
        >>> split_name_version("PuTTY version 0.60")
        ('PuTTY', '0.60')
        >>> split_name_version("bash-4.2.46-34.el7.x86_64", source="snmp")
        ('bash', '4.2.46-34.el7')

    Args:
        name: name as reported.
        version: version field as reported ("" when the source has none, as SNMP).
        source: package source; decides whether the name may carry a version.

    Returns:
        (product, version); version is "" when neither the field nor the name has one.
    """
    product, found, _ = split_title(name, version, source)
    return product, found


@lru_cache(maxsize=4096)
def normalise_vendor(vendor: str | None) -> str:
    """Reduce a vendor string to a short, lower-case key.

    Legal forms and filler words are dropped ("Microsoft Corporation" -> "microsoft",
    "Google LLC" -> "google", "Mozilla Foundation" -> "mozilla"), e-mail addresses of Debian
    maintainers are removed, and a small alias table settles the rest.

    Args:
        vendor: vendor / publisher / maintainer as reported; may be None.

    Returns:
        The normalised vendor, or "" when nothing is left.
    """
    text = _VENDOR_EMAIL.sub(" ", vendor or "").casefold().strip()
    text = text.replace("®", " ").replace("™", " ").replace("(r)", " ").replace("(tm)", " ")
    if not text:
        return ""
    if text in _VENDOR_ALIASES:
        return _VENDOR_ALIASES[text]
    tokens = [t.strip(".,") for t in _VENDOR_TOKEN_SPLIT.split(text) if t.strip(".,")]
    # Keep the first token even if it is a "suffix" word ("Software AG" stays "software").
    while len(tokens) > 1 and tokens[-1] in _VENDOR_SUFFIXES:
        tokens.pop()
    while len(tokens) > 1 and tokens[0] == "the":
        tokens.pop(0)
    joined = " ".join(tokens)
    return _VENDOR_ALIASES.get(joined, joined)


def normalise_title(name: str, version: str | None, vendor: str | None, source: str | None) -> SoftwareTitle:
    """Build the :class:`SoftwareTitle` for one reported row.

    Args:
        name: name as reported.
        version: version field (may be empty or None).
        vendor: vendor field (may be empty or None).
        source: package source.

    Returns:
        The normalised title.
    """
    product, found, scheme = split_title(name or "", version or "", source or "")
    return SoftwareTitle(product, found, normalise_vendor(vendor), (source or "").lower(), scheme)


def dedupe_titles(rows: Iterable[tuple[str, str | None, str | None, str | None]]) -> list[SoftwareTitle]:
    """Normalise (name, version, vendor, source) rows and drop identical titles.

    "Mozilla Firefox 19.0.2 (x86 ru)" with version "19.0.2" and "Mozilla Firefox" with version
    "19.0.2" from the same source are one title; the first spelling's product case is kept.

    Args:
        rows: raw (name, version, vendor, source) tuples.

    Returns:
        Distinct titles in first-seen order.
    """
    seen: dict[tuple[str, str, str, str], SoftwareTitle] = {}
    for name, version, vendor, source in rows:
        title = normalise_title(name, version, vendor, source)
        seen.setdefault(title.key, title)
    return list(seen.values())
