"""The collector's one YAML loader (collector.safeyaml) and every place that reads YAML through it.

Issue #14: a register mapping file with YAML aliases (billion laughs) grew the collector by 35 MB/s through
Admin.ImportRegister. Each attack below must be refused with one FILE:LINE line before anything expands;
the resident-set check is a bound on memory (an expanded bomb is gigabytes), not on time.
"""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from collector.cli import main
from collector.config import YamlLimits, yaml_limits
from collector.errors import RegisterError, UsageError
from collector.register import parse_mapping
from collector.rules.schema import load_rules, parse_rules_text
from collector.safeyaml import YamlLimitError, compose

REPO = Path(__file__).resolve().parents[2]

# Nine levels of nine: 9**9 (387 million) leaves once expanded, 700 bytes on disk.
BILLION_LAUGHS = "columns:\n  serial: SN\n  status: State\n" + "defaults:\n  category: &l0 [lol]\n" + "".join(
    f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))

# A mapping file with no alias at all but 10,000 levels of brackets.
DEEP = "columns:\n  serial: " + "[" * 10_000 + "SN" + "]" * 10_000 + "\n"

GOOD_MAPPING = "columns:\n  serial: SN\n  status: State\nstatus_map:\n  Live: in-use\n"
CSV = b"SN,State\nS-1,Live\n"


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_anchors_and_aliases_are_refused_with_their_line() -> None:
    with pytest.raises(YamlLimitError) as err:
        compose("a: 1\nb: &x [1, 2]\nc: *x\n")
    assert err.value.line == 2 and "anchors and aliases" in err.value.problem
    with pytest.raises(YamlLimitError, match="line 1: "):
        compose("- &s scalar\n")


def test_node_depth_and_size_caps_are_configurable() -> None:
    with pytest.raises(YamlLimitError, match="more than 5 YAML nodes"):
        compose("[1, 2, 3, 4, 5, 6]", YamlLimits(max_nodes=5))
    with pytest.raises(YamlLimitError, match="more than 4 levels deep"):
        compose("a: {b: {c: {d: 1}}}", YamlLimits(max_depth=4))
    with pytest.raises(YamlLimitError, match="more than the limit of 10"):
        compose("a: 1234567890\n", YamlLimits(max_bytes=10))
    assert compose("a: {b: {c: 1}}", YamlLimits(max_depth=4)) is not None  # a scalar is a level too
    limits = yaml_limits({"NETCENSUS_YAML_MAX_NODES": "7", "NETCENSUS_YAML_MAX_DEPTH": "9",
                          "NETCENSUS_YAML_MAX_BYTES": "1000"})
    assert limits == YamlLimits(max_bytes=1000, max_nodes=7, max_depth=9)
    with pytest.raises(UsageError, match="NETCENSUS_YAML_MAX_NODES"):
        yaml_limits({"NETCENSUS_YAML_MAX_NODES": "lots"})


def test_the_environment_caps_apply_to_mapping_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETCENSUS_YAML_MAX_NODES", "4")
    with pytest.raises(RegisterError, match=r"^m\.yaml:\d+: more than 4 YAML nodes"):
        parse_mapping(GOOD_MAPPING, "m.yaml")


def test_billion_laughs_mapping_is_one_line_naming_file_and_line() -> None:
    before = _rss_kib()
    with pytest.raises(RegisterError) as err:
        parse_mapping(BILLION_LAUGHS, "bomb.yaml")
    assert str(err.value).startswith("bomb.yaml:5: YAML anchors and aliases")
    assert "\n" not in str(err.value)
    assert _rss_kib() - before < 64 * 1024


def test_deep_nesting_is_refused_in_mapping_and_rule_files() -> None:
    with pytest.raises(RegisterError, match=r"^deep\.yaml:2: YAML nested more than 64 levels deep"):
        parse_mapping(DEEP, "deep.yaml")
    rules, errors = parse_rules_text("rules:\n  - id: " + "[" * 10_000 + "]" * 10_000 + "\n", "deep.yaml")
    assert rules == [] and errors == ["deep.yaml:2: YAML nested more than 64 levels deep "
                                      "(raise NETCENSUS_YAML_MAX_DEPTH if this file is genuine)"]


def test_deep_json_mapping_that_yaml_refuses_is_one_line_too() -> None:
    # A tab after the colon: YAML refuses it at once, so the JSON reader gets the deep nesting.
    text = '{"columns":\t' + "[" * 50_000 + "]" * 50_000 + "}"
    with pytest.raises(RegisterError, match=r"^deep\.json:1: JSON nested too deeply"):
        parse_mapping(text, "deep.json")


def test_rule_file_with_aliases_is_refused() -> None:
    text = ("rules:\n  - id: a\n    title: t\n    severity: high\n    type: deny\n"
            "    match: &m\n      name: [x]\n  - id: b\n    title: t\n    severity: high\n    type: deny\n"
            "    match: *m\n")
    rules, errors = parse_rules_text(text, "r.yaml")
    assert rules == [] and errors == ["r.yaml:6: YAML anchors and aliases (&name, *name) are not accepted; "
                                      "write the value out in full"]


def test_normal_mapping_and_the_shipped_rule_packs_still_load() -> None:
    mapping = parse_mapping(GOOD_MAPPING, "m.yaml")
    assert mapping.columns == {"serial": ("SN",), "status": ("State",)}
    assert parse_mapping((REPO / "tests/data/register/generic_mapping.yaml").read_text(), "g.yaml").columns
    assert len(load_rules([REPO / "rules"])) > 0


def test_billion_laughs_through_netcensus_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BILLION_LAUGHS)
    inv = tmp_path / "inv.csv"
    inv.write_bytes(CSV)
    good = tmp_path / "good.yaml"
    good.write_text(GOOD_MAPPING)
    # a normal mapping imports (and loads every module the command needs, so the baseline below is fair)
    ok_db = tmp_path / "ok.duckdb"
    assert main(["import", str(inv), "--format", "csv", "--mapping", str(good), "--db", str(ok_db)]) == 0
    assert "1 records (1 added" in capsys.readouterr().out
    db = tmp_path / "nc.duckdb"
    before = _rss_kib()
    code = main(["import", str(inv), "--format", "csv", "--mapping", str(bomb), "--db", str(db)])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.splitlines() == [err] and f"{bomb}:5: YAML anchors and aliases" in err and "Traceback" not in err
    assert not db.exists()  # nothing half-done: the store is opened only for a good file
    assert _rss_kib() - before < 64 * 1024

