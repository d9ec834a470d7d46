"""Which copy of a module two MIB collections both hold is read, and what an earlier revision adds."""

from __future__ import annotations

from pathlib import Path

from agent.scan import mib_build
from tests.agent.scan.classify.test_product_mibs import SMI


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


def test_comments_between_a_module_name_and_its_definitions_are_whitespace(tmp_path: Path) -> None:
    (tmp_path / "ADIC").write_text("-- banner\nADIC-STORAGE-MIB\n-- Revision History:\n--   1.25 added a serial\n"
                                   "\nDEFINITIONS ::= BEGIN\nEND\n"
                                   "NEXT-MIB -- its comment\n  DEFINITIONS ::= BEGIN\nEND\n")
    copies = mib_build.module_copies(tmp_path, "test")
    assert sorted(copies) == ["ADIC-STORAGE-MIB", "NEXT-MIB"]
    path, start, end = copies["ADIC-STORAGE-MIB"][0]
    assert path.read_bytes()[start:end].startswith(b"ADIC-STORAGE-MIB\n-- Revision")


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


def _identities(name: str, *symbols: str, broken: bool = False) -> str:
    body = "".join(f"{s} OBJECT IDENTIFIER ::= {{ enterprises 99999 {i} }}\n" for i, s in enumerate(symbols, 1))
    return (f"{name} DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\n"
            f"{'this is not SMI ::= ' if broken else ''}{body}END\n")


def test_a_fallback_collection_serves_only_the_modules_the_folder_lacks(tmp_path: Path) -> None:
    (tmp_path / "main").mkdir()
    (tmp_path / "spare").mkdir()
    (tmp_path / "main" / "A-MIB").write_text(_module("A-MIB", "201001010000Z"))
    (tmp_path / "spare" / "A-MIB").write_text(_module("A-MIB", "202501010000Z"))  # newer, still not read
    (tmp_path / "spare" / "B-MIB").write_text(_module("B-MIB"))
    copies = mib_build.module_copies(tmp_path / "main", "test", tmp_path / "spare")
    assert [path.parent.name for path, _, _ in copies["A-MIB"]] == ["main"]
    assert [path.parent.name for path, _, _ in copies["B-MIB"]] == ["spare"]
    assert set(mib_build.module_copies(tmp_path / "main", "test")) == {"A-MIB"}


def test_a_fallback_copy_serves_a_module_no_copy_of_the_folder_compiles(tmp_path: Path) -> None:
    (tmp_path / "main").mkdir()
    (tmp_path / "spare").mkdir()
    (tmp_path / "main" / "SNMPv2-SMI").write_text(SMI)
    (tmp_path / "main" / "A-MIB").write_text(_identities("A-MIB", "mainA"))
    (tmp_path / "main" / "B-MIB").write_text(_identities("B-MIB", "mainB", broken=True))
    (tmp_path / "spare" / "A-MIB").write_text(_identities("A-MIB", "spareA"))
    (tmp_path / "spare" / "B-MIB").write_text(_identities("B-MIB", "spareB"))  # the same module, fixed to parse
    (tmp_path / "spare" / "C-MIB").write_text(_identities("C-MIB", "spareC"))
    compiled = mib_build.compile_folder(tmp_path / "main", "test", texts=False, fallback=tmp_path / "spare")
    assert "mainA" in compiled["A-MIB"] and "spareA" not in compiled["A-MIB"]  # the folder's copy compiles
    assert "spareB" in compiled["B-MIB"] and "spareC" in compiled["C-MIB"]
    # the folder's modules come first, so a registry meeting one OID twice keeps the folder's name for it
    assert list(compiled).index("A-MIB") < min(list(compiled).index("B-MIB"), list(compiled).index("C-MIB"))
    alone = mib_build.compile_folder(tmp_path / "main", "test", texts=False)
    assert set(alone) == {"A-MIB"}  # SNMPv2-SMI is pysmi's own
