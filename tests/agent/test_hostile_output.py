"""The agent's own outputs show hostile names escaped (issue #14): `facts` as a table and as JSON.

A recorded root whose host name and OS name carry a window-title sequence, a clear-screen sequence
and a bidi override, run through the real `netcensus-agent facts` process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli

HOST = "pc-1\x1b]0;owned\x07\x1b[2j\u202eexe"
OS_NAME = "Debian\x1b[8m hid\u202eden"


def _hostile_root(make_root: Callable[[str], Path]) -> Path:
    root = make_root("debian-desktop")
    (root / "etc/hostname").write_text(HOST + "\n", encoding="utf-8")
    release = root / "etc/os-release"
    text = release.read_text(encoding="utf-8").replace('NAME="Debian GNU/Linux"', f'NAME="{OS_NAME}"', 1)
    release.write_text(text, encoding="utf-8")
    return root


def test_facts_table_escapes_what_the_machine_calls_itself(make_root: Callable[[str], Path]) -> None:
    result = run_cli("netcensus-agent", "facts", "--root", str(_hostile_root(make_root)))
    assert result.code == 0, result.err
    assert not any(ch in result.out for ch in "\x1b\x07\u202e\x85"), result.out
    assert "host       pc-1\\x1b]0;owned\\x07\\x1b[2j\\u202eexe" in result.out
    assert "Debian\\x1b[8m hid\\u202eden" in result.out


def test_facts_json_is_valid_and_keeps_the_value(make_root: Callable[[str], Path]) -> None:
    result = run_cli("netcensus-agent", "facts", "--root", str(_hostile_root(make_root)), "--format", "json")
    assert result.code == 0, result.err
    assert not any(ch in result.out for ch in "\x1b\x07\u202e\x85")
    facts = json.loads(result.out)["facts"]
    assert facts["hostname"] == HOST and facts["os"]["name"] == OS_NAME
