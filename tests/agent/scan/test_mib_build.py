"""Which copy of a module two MIB collections both hold is read, and what an earlier revision adds."""

from __future__ import annotations

from pathlib import Path

from agent.scan import mib_build


def _module(name: str, updated: str = "") -> str:
    identity = (f'x MODULE-IDENTITY\n    LAST-UPDATED "{updated}"\n    ORGANIZATION "o"\n    CONTACT-INFO "c"\n'
                f'    DESCRIPTION "d"\n    ::= {{ enterprises 1 }}\n') if updated else ""
    return f"{name} DEFINITIONS ::= BEGIN\n{identity}END\n"


def test_the_latest_revision_comes_first_and_file_order_breaks_ties(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "M1").write_text(_module("M1", "200704030000Z") + _module("M2"))
    (tmp_path / "b" / "M1").write_text(_module("M1", "9910070000Z"))   # a two-digit year: 1999
    (tmp_path / "b" / "M2").write_text(_module("M2"))
    (tmp_path / "b" / "M3").write_text(_module("M3", "202401010000Z"))
    copies = mib_build.module_copies(tmp_path, "test")
    assert [path.parent.name for path, _, _ in copies["M1"]] == ["a", "b"]  # 2007 after 1999
    assert [path.parent.name for path, _, _ in copies["M2"]] == ["a", "b"]  # neither dated: file order
    assert [path.name for path, _, _ in copies["M3"]] == ["M3"]
    assert mib_build.module_spans(tmp_path, "test")["M1"][0] == tmp_path / "a" / "M1"


def test_an_earlier_revision_adds_what_the_latest_dropped_or_moved() -> None:
    latest = {"serialNumber": {"name": "serialNumber", "oid": "1.3.6.1.4.1.13742.6.3.2.1.1.5"},
              "model": {"name": "model", "oid": "1.3.6.1.4.1.13742.6.3.2.1.1.4"}, "meta": {"module": "PDU-MIB"}}
    earlier = {"serialNumber": {"name": "serialNumber", "oid": "1.3.6.1.4.1.534.6.6.6.1.1.2"},
               "model": {"name": "model", "oid": "1.3.6.1.4.1.13742.6.3.2.1.1.4"},
               "firmwareVersion": {"name": "firmwareVersion", "oid": "1.3.6.1.4.1.534.6.6.6.1.1.1"},
               "meta": {"module": "PDU-MIB", "old": True}}
    merged = mib_build._with_earlier(latest, earlier)
    assert merged["serialNumber"] == latest["serialNumber"] and merged["model"] == latest["model"]
    assert merged["serialNumber@earlier"] == earlier["serialNumber"]
    assert merged["firmwareVersion"] == earlier["firmwareVersion"]
    assert merged["meta"] == latest["meta"] and "model@earlier" not in merged


def test_a_two_digit_year_is_read_as_vendors_write_it() -> None:
    assert mib_build._revision(b'LAST-UPDATED "0704030000Z"') == "200704030000"
    assert mib_build._revision(b'LAST-UPDATED "9910070000Z"') == "199910070000"
    assert mib_build._revision(b"no identity") == ""
