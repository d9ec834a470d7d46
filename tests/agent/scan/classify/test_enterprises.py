"""The IANA enterprise-number registry: both file formats, lazy loading, regeneration and clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.scan.classify import enterprises

DATA = Path(__file__).resolve().parents[3] / "data" / "scan" / "classify"
IANA = DATA / "enterprise-numbers.txt"  # an excerpt of IANA's file, in its own layout


@pytest.fixture
def registry() -> Iterator[None]:
    """Each test starts and ends with the default registry, unloaded."""
    enterprises.use_file(None)
    yield
    enterprises.use_file(None)


def test_iana_format_keeps_organisations_and_drops_contacts_and_reserved() -> None:
    table = enterprises.parse(IANA.read_text().splitlines(keepends=True))
    assert table == {9: "ciscoSystems", 11: "Hewlett-Packard", 318: "American Power Conversion Corp.",
                     2636: "Juniper Networks, Inc.", 8072: "net-snmp", 14179: "Airespace, Inc"}


def test_tsv_format_as_the_debian_package_ships_it() -> None:
    lines = ["#\n", "# generated from https://www.iana.org/assignments/enterprise-numbers\n", "0\tReserved\n",
             "9\tciscoSystems\n", "1991\tBrocade Communication Systems, Inc.\t# formerly 'Foundry Networks, Inc.'\n",
             "30065   Arista Networks, Inc.\n", "not a line\n", "\n"]
    assert enterprises.parse(lines) == {9: "ciscoSystems", 1991: "Brocade Communication Systems, Inc.",
                                        30065: "Arista Networks, Inc."}


def test_convert_then_read_back_is_the_same_table(tmp_path: Path) -> None:
    out = tmp_path / "enterprises.tsv"
    assert enterprises.write_registry(IANA, out) == 6
    assert enterprises.load(out) == enterprises.load(IANA)
    assert out.read_text().splitlines()[1] == "9\tciscoSystems"


def test_configured_file_is_read_lazily_once(tmp_path: Path, registry: None) -> None:
    path = tmp_path / "pen.tsv"
    path.write_text("9\tciscoSystems\n")
    enterprises.use_file(path)
    path.write_text("9\tsomeone else\n")  # not read yet: the first lookup reads it
    assert enterprises.organisation(9) == "someone else"
    path.write_text("9\tchanged again\n")  # read once: later edits need a new process (or use_file)
    assert enterprises.organisation(9) == "someone else"
    assert enterprises.organisation(0) == "" and enterprises.organisation(77777777) == ""


@pytest.mark.parametrize(("content", "message"), [
    (None, "No such file"),
    ("just words\n", "no entries"),
])
def test_a_bad_registry_is_a_one_line_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "bad.tsv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(enterprises.RegistryError, match=message) as info:
        enterprises.load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(("oid", "pen"), [
    ("1.3.6.1.4.1.9.1.1208", 9), (".1.3.6.1.4.1.8072.3.2.10", 8072), ("1.3.6.1.4.1.14179", 14179),
    ("1.3.6.1.2.1.1", 0), ("", 0), ("1.3.6.1.4.1.x", 0),
])
def test_enterprise_number(oid: str, pen: int) -> None:
    assert enterprises.enterprise_number(oid) == pen


def test_the_installed_registry_is_the_full_one(registry: None) -> None:
    """The maintained copy `make install` installs (Debian's libwireshark-data): tens of thousands of numbers."""
    if not any(p.is_file() for p in enterprises.DEFAULT_FILES):
        pytest.skip("libwireshark-data is not installed (make install installs it as root)")
    assert enterprises.available()
    table = enterprises.load(next(p for p in enterprises.DEFAULT_FILES if p.is_file()))
    assert len(table) > 50_000
    assert table[9] == "ciscoSystems" and table[2636].startswith("Juniper Networks")


def test_netcensus_agent_enterprises_writes_a_registry_the_scanner_reads(tmp_path: Path) -> None:
    from agent.config import AgentEnv
    from tests.conftest import run_cli

    out = tmp_path / "enterprises.tsv"
    made = run_cli("netcensus-agent", "enterprises", "--from", str(IANA), "--out", str(out))
    assert made.code == 0 and "wrote 6 enterprise numbers" in made.out
    assert enterprises.load(out)[14179] == "Airespace, Inc"
    assert AgentEnv.read({"NETCENSUS_ENTERPRISES": str(out)}).enterprises == out
    # Bad input: one line naming the file, no traceback, nothing written.
    bad = run_cli("netcensus-agent", "enterprises", "--from", str(tmp_path / "missing"), "--out", str(tmp_path / "x"))
    assert bad.code == 1 and len(bad.err.strip().splitlines()) == 1 and "missing" in bad.err
    assert not (tmp_path / "x").exists()
    unset = run_cli("netcensus-agent", "scan", "192.0.2.1", "--methods", "snmp", "--format", "json",
                    env={"NETCENSUS_ENTERPRISES": str(tmp_path / "nope.tsv")})
    assert unset.code == 1 and "NETCENSUS_ENTERPRISES" in unset.err and len(unset.err.strip().splitlines()) == 1
