"""Version order of a package source, for callers that compare two installed versions of one package.

`netcensus changes` calls a version change an upgrade or a downgrade in the package's own order
(deb, rpm, PEP 440, SemVer, dotted: collector/rules/versions.py); the inventory core takes this as
a plain function so it never imports the rules package.
"""

from __future__ import annotations

from collector.domain.software_names import scheme_for_source
from collector.rules.versions import compare_versions


def package_order(a: str, b: str, source: str) -> int:
    """-1, 0 or 1 as version `a` sorts before, equal to or after `b` for a package from `source`."""
    return compare_versions(a, b, scheme_for_source(source))
