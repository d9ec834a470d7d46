"""Which rules a software title matches, ignoring scope: the Python side of every rule engine.

Rule engines see far fewer distinct titles (name, version, vendor, source) than installs, because
most hosts share a base image; this module does, once per distinct value, what a database cannot
do well: name normalisation, globs, and version order in the package's own scheme. Engines join
its answers back to the installs and apply scopes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from collector.domain.software_names import normalise_vendor, split_title
from collector.rules.globs import compile_glob, glob_prefix
from collector.rules.schema import Rule

__all__ = ["TitleMatcher", "match_titles"]

_PACKAGE_FORMAT: Final = {"rpm": "rpm", "debian": "deb"}

# A trie node: children by next character, and the (rule index, matcher) of the globs whose
# literal prefix ends here.
_TrieNode = tuple[dict[str, "_TrieNode"], list[tuple[int, Callable[[str], object]]]]


class TitleMatcher:
    """Matches distinct titles to rules, doing each expensive step once per distinct value."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        # Name globs in a trie of their literal prefixes: walking a subject down the trie visits
        # only globs whose whole literal prefix it starts with, and stops at the first character
        # no glob continues with (for most package names, after one or two characters). Globs
        # starting with a wildcard sit at the root and are tried on every subject.
        self._trie: _TrieNode = ({}, [])
        self._nameless: list[int] = []
        for index, rule in enumerate(rules):
            if not rule.match.names:
                self._nameless.append(index)
            for glob in rule.match.names:
                node = self._trie
                for ch in glob_prefix(glob):
                    node = node[0].setdefault(ch, ({}, []))
                node[1].append((index, compile_glob(glob).fullmatch))
        self._name_cache: dict[tuple[str, str], tuple[int, ...]] = {}
        self._names: dict[tuple[str, str], tuple[str, str, str, tuple[int, ...]]] = {}

    def _name_candidates(self, product: str, raw: str) -> tuple[int, ...]:
        key = (product, raw)
        cached = self._name_cache.get(key)
        if cached is not None:
            return cached
        found: set[int] = set(self._nameless)
        for subject in {product, raw}:
            node: _TrieNode | None = self._trie
            position = 0
            while node is not None:
                for index, fullmatch in node[1]:
                    if index not in found and fullmatch(subject) is not None:
                        found.add(index)
                if position >= len(subject):
                    break
                node = node[0].get(subject[position])
                position += 1
        result = tuple(sorted(found))
        self._name_cache[key] = result
        return result

    def _name_info(self, name: str, source: str) -> tuple[str, str, str, tuple[int, ...]]:
        """(product, version found in the name, scheme, candidate rules) for one name and source.

        Cached per (name, source): versions of one package share everything but the version.
        """
        key = (name, source)
        info = self._names.get(key)
        if info is None:
            product, found, scheme = split_title(name, "", source)
            source_cf = source.lower()
            if source_cf == "snmp" and scheme in _PACKAGE_FORMAT:
                # net-snmp reports Linux packages as rpm NEVRA / dpkg triples: they are rpm or
                # deb packages, and distribution-specific rules (backported fixes) apply to them.
                source_cf = _PACKAGE_FORMAT[scheme]
            candidates = tuple(
                index
                for index in self._name_candidates(product.casefold(), name.casefold())
                if not self.rules[index].match.sources or source_cf in self.rules[index].match.sources
            )
            info = (product, found, scheme, candidates)
            self._names[key] = info
        return info

    def candidates(self, name: str, source: str) -> tuple[int, ...]:
        """Rules whose name globs and sources admit this raw name (vendor and version unchecked)."""
        return self._name_info(name, source)[3]

    def title(self, name: str, version: str, source: str) -> tuple[str, str]:
        """Normalised (product, version) of a raw title."""
        product, found, _, _ = self._name_info(name, source)
        return product, version or found

    def match(self, name: str, version: str, vendor: str, source: str) -> tuple[str, str, list[int]]:
        """Return the normalised product, version, and the indices of matching rules (load order)."""
        product, found, scheme, candidates = self._name_info(name, source)
        version = version or found
        if not candidates:
            return product, version, []
        vendor_norm = normalise_vendor(vendor) if vendor else ""
        raw_vendor = vendor.casefold()
        hits = []
        for index in candidates:
            m = self.rules[index].match
            if m.matches_vendor(vendor_norm, raw_vendor) and m.matches_version(version, scheme):
                hits.append(index)
        return product, version, hits


def match_titles(rules: Sequence[Rule], titles: Sequence[tuple[str, str, str, str]]) -> list[list[str]]:
    """Which rules each raw (name, version, vendor, source) title matches, ignoring scope.

    A pure helper for tests and for ``netcensus rules`` tooling that wants to try a pack on a
    few names without a database.

    Returns:
        For each title, the ids of the matching rules in load order.
    """
    matcher = TitleMatcher(rules)
    return [[rules[i].id for i in matcher.match(*t)[2]] for t in titles]
