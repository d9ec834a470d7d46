"""The seam every software source satisfies, and the package-URL helper they share.

A source is a small object: `name`, whether it lists `libraries` rather than products, a cheap
`is_present(root)` and `collect(root)` that does the I/O and returns SoftwareItems. `collect` raises
`agent.errors.CollectionError` with a one-line reason when the source is there but unreadable; the
runner reports that as FAILED, which the collector must never read as "everything was uninstalled".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from agent.facts.model import SoftwareItem


class SoftwareSource(Protocol):
    """One package database or install location (dpkg, rpm, pip, snap, the Windows registry...)."""

    @property
    def name(self) -> str:
        """Stable source name, reported in CollectorStatus.name; also every item's `source`.

        The two must be equal: the collector closes stored rows of a source only after a complete
        run of the collector of that name (report.proto, HostSnapshot.software_checksum).
        """
        ...

    @property
    def libraries(self) -> bool:
        """True when the items are a language ecosystem's libraries (pip, npm), not installed products.

        Endpoint-protection detection reads only products: pip's "falcon" is a web framework.
        """
        ...

    def is_present(self, root: Path) -> bool:
        """Tell whether this package system exists under `root` (False yields SKIPPED "not present")."""
        ...

    def collect(self, root: Path) -> list[SoftwareItem]:
        """Read every installed item; raise CollectionError when the database cannot be read."""
        ...


# Percent-encoding of every ASCII character outside RFC 3986 "unreserved", as one str.translate
# table: urllib.parse.quote costs a few microseconds per call, which dominated parsing 700 dpkg
# stanzas. Non-ASCII text (UTF-8 encoded first) still goes through quote.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-")
_ASCII_QUOTE = {c: f"%{c:02X}" for c in range(128) if chr(c) not in _UNRESERVED}


def encode_component(text: str) -> str:
    """Percent-encode one purl component (name, version, namespace segment or qualifier value)."""
    return text.translate(_ASCII_QUOTE) if text.isascii() else quote(text, safe="")


def purl(
    type_: str,
    name: str,
    version: str = "",
    *,
    namespace: str = "",
    qualifiers: Mapping[str, str] | None = None,
) -> str:
    """Build a package URL (github.com/package-url/purl-spec, PURL-SPECIFICATION.rst).

    Each component is percent-encoded on its own (":" in a Debian epoch, "+" in a version, "/" in
    a name), except "/" between namespace segments, so the separators stay unambiguous.
    Qualifiers with empty values are dropped and the rest sorted by key, as the spec requires.
    """
    text = f"pkg:{type_}/"
    if namespace:
        text += "/".join(encode_component(segment) for segment in namespace.split("/")) + "/"
    text += encode_component(name)
    if version:
        text += "@" + encode_component(version)
    pairs = sorted((k, v) for k, v in (qualifiers or {}).items() if v)
    if pairs:
        text += "?" + "&".join(f"{k}={encode_component(v)}" for k, v in pairs)
    return text
