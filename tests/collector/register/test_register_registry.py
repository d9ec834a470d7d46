"""The register-format seam: one registry feeds parse_register, `netcensus import` and Admin.ImportRegister.

The throwaway format below is registered only by monkeypatching the registry's table; if any of the
three paths kept its own list of formats, it would not know the format and these tests would fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.cli import build_parser, main
from collector.domain.model import RecordedAsset, StatusClass
from collector.errors import UsageError
from collector.register import ParseOptions, RegisterFormat, parse_register, registry
from collector.register._common import status_key
from collector.register._table import Table

TAGLIST = b"tag,status\nT-1,Spare\nT-2,Live\n"


class TagListFormat:
    """A format no real register writes: an asset tag and a status per row, unknown statuses in use."""

    name = "taglist"
    aliases: tuple[str, ...] = ("tags",)
    description = "asset tag and status per row (test-only format)"
    json_only = False

    def parse(self, table: Table, options: ParseOptions) -> list[RecordedAsset]:
        """Rows -> records; a status in options.status_map takes its class from there."""
        return [RecordedAsset(record_key=cells[0], line=line, asset_tag=cells[0], status=cells[1],
                              status_class=options.status_map.get(status_key(cells[1]), StatusClass.IN_USE))
                for line, cells in table.rows]


@pytest.fixture
def taglist(monkeypatch: pytest.MonkeyPatch) -> RegisterFormat:
    fmt: RegisterFormat = TagListFormat()  # mypy checks the throwaway format against the protocol
    monkeypatch.setattr(registry, "FORMATS", (*registry.FORMATS, fmt))
    return fmt


def _one_spaced(text: str) -> str:
    return " ".join(text.split())


def test_registered_names_and_aliases_are_unique_lower_case_and_described() -> None:
    spellings = [s for fmt in registry.FORMATS for s in (fmt.name, *fmt.aliases)]
    assert len(spellings) == len(set(spellings))
    assert all(s == s.strip().lower() and s for s in spellings)
    assert all(fmt.description.strip() and "\n" not in fmt.description for fmt in registry.FORMATS)
    # The command-line contract's formats come first; a new format is appended after them.
    assert registry.format_names()[:4] == ("snipeit", "netbox", "csv", "json")


def test_lookup_takes_aliases_in_any_case() -> None:
    assert registry.lookup("Snipe-IT").name == "snipeit"
    assert registry.lookup(" snipe_it ").name == "snipeit"
    assert registry.lookup("GENERIC").name == "csv"
    assert registry.lookup("json").json_only
    assert not registry.lookup("csv").json_only


def test_unknown_format_message_lists_the_registry() -> None:
    with pytest.raises(UsageError) as info:
        registry.lookup("no-such-format")
    assert str(info.value) == f"unknown register format 'no-such-format' (use {', '.join(registry.format_names())})"
    assert str(info.value).startswith("unknown register format 'no-such-format' (use snipeit, netbox, csv, json")


def test_the_throwaway_format_is_unknown_until_registered() -> None:
    with pytest.raises(UsageError, match="unknown register format 'taglist'"):
        parse_register(TAGLIST, "taglist", filename="t.csv")


def test_a_registered_format_parses_through_parse_register(taglist: RegisterFormat) -> None:
    records = parse_register(TAGLIST, "Tags", filename="t.csv", status_map={" SPARE ": StatusClass.IN_STOCK})
    assert [(r.line, r.asset_tag, r.status, r.status_class) for r in records] == [
        (2, "T-1", "Spare", StatusClass.IN_STOCK),
        (3, "T-2", "Live", StatusClass.IN_USE),
    ]
    with pytest.raises(UsageError) as info:
        parse_register(TAGLIST, "no-such-format", filename="t.csv")
    assert str(info.value).endswith(", json, taglist)")


def test_a_registered_format_is_in_the_import_help(taglist: RegisterFormat, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["import", "--help"])
    assert exited.value.code == 0
    out = _one_spaced(capsys.readouterr().out)
    assert "--format {snipeit,netbox,csv,json," in out
    assert ",taglist}" in out
    assert "taglist: asset tag and status per row (test-only format)" in out
    assert "snipeit: Snipe-IT asset CSV" in out


def test_a_registered_format_imports_into_a_database(taglist: RegisterFormat, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "tags.csv"
    register.write_bytes(TAGLIST)
    db = tmp_path / "nc.duckdb"
    assert main(["import", str(register), "--format", "taglist", "--db", str(db),
                 "--status-map", "Spare=in-stock"]) == 0
    assert "into register 'taglist': 2 records (2 added" in capsys.readouterr().out
    assert main(["sql", "--db", str(db), "--format", "csv",
                 "SELECT register, asset_tag, status_class FROM recorded_assets ORDER BY asset_tag"]) == 0
    assert capsys.readouterr().out.split() == ["register,asset_tag,status_class", "taglist,T-1,in-stock",
                                               "taglist,T-2,in-use"]


def test_a_registered_format_imports_over_admin_grpc(taglist: RegisterFormat, collector: object, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "tags.csv"
    register.write_bytes(TAGLIST)
    target = getattr(collector, "target")  # noqa: B009 - the fixture is typed as object
    assert main(["import", str(register), "--format", "taglist", "--collector", target]) == 0
    assert "2 records (2 added, 0 changed, 0 unchanged, 0 removed)" in capsys.readouterr().out
    assert main(["import", str(register), "--format", "taglist", "--collector", target]) == 0
    assert "2 records (0 added, 0 changed, 2 unchanged, 0 removed)" in capsys.readouterr().out
