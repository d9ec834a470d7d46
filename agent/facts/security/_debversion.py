"""Debian version ordering, as dpkg implements it (lib/dpkg/version.c dpkg_version_compare).

A version is [epoch:]upstream[-revision]. Epochs compare as integers; upstream and revision
compare with verrevcmp: alternating non-digit and digit runs, where in non-digit runs "~" sorts
before everything (even the end of the string), letters before other characters, and digit runs
compare numerically. Described in deb-version(7).
"""

from __future__ import annotations


def _order(ch: str) -> int:
    if ch.isdigit():
        return 0
    if ch.isalpha():
        return ord(ch)
    if ch == "~":
        return -1
    return ord(ch) + 256 if ch else 0


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    la, lb = len(a), len(b)
    while i < la or j < lb:
        first_diff = 0
        while (i < la and not a[i].isdigit()) or (j < lb and not b[j].isdigit()):
            ac = _order(a[i]) if i < la else 0
            bc = _order(b[j]) if j < lb else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < la and a[i] == "0":
            i += 1
        while j < lb and b[j] == "0":
            j += 1
        while i < la and j < lb and a[i].isdigit() and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < la and a[i].isdigit():
            return 1
        if j < lb and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split(version: str) -> tuple[int, str, str]:
    epoch_text, sep, rest = version.partition(":")
    if not sep:
        epoch_text, rest = "0", version
    epoch = int(epoch_text) if epoch_text.isdigit() else 0
    upstream, sep, revision = rest.rpartition("-")
    if not sep:
        upstream, revision = rest, ""
    return epoch, upstream, revision


def compare(a: str, b: str) -> int:
    """Negative, zero or positive as Debian version `a` sorts before, equal to or after `b`."""
    ea, ua, ra = _split(a.strip())
    eb, ub, rb = _split(b.strip())
    if ea != eb:
        return ea - eb
    return _verrevcmp(ua, ub) or _verrevcmp(ra, rb)
