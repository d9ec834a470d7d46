"""Rule file validation: every error is one line naming file:line (collector/rules/schema.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.errors import RuleError
from collector.rules import check_rules, load_rules, parse_rules_text
from tests.collector.rules.rules_support import DATA, SHIPPED_RULES, write_rules


def test_valid_rules_load_with_every_field() -> None:
    rules = load_rules([DATA / "valid"])
    assert [r.id for r in rules] == ["site-remote-access", "site-licence-visio"]
    deny = rules.rules[0]
    assert deny.type == "deny"
    assert deny.match.names == ("teamviewer*", "anydesk*")
    assert deny.where.endswith("valid/site.yaml:3")
    first, second = deny.exceptions
    assert (first.hostname, first.reason, first.until) == ("jump-*", "approved bastion", date(2027, 6, 30))
    assert (second.asset_id, second.until) == ("asset-old", date(2025, 1, 31))
    assert rules.rules[1].seats == 2
    assert check_rules([DATA / "valid"]) == []


def test_shipped_packs_are_valid() -> None:
    assert check_rules([SHIPPED_RULES]) == []
    assert len(load_rules([SHIPPED_RULES])) >= 7


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unknown_key", "unknown_key/rules.yaml:4: rule 'typo': unknown key 'sevrity' (did you mean 'severity'?)"),
        ("bad_glob", "bad_glob/rules.yaml:9: rule 'bad-glob': match.name: bad glob: glob '[abc' has an unclosed '['"),
        ("bad_version", "bad_version/rules.yaml:8: rule 'bad-version': match.version: bad clause '=>1.0'"),
        ("duplicate", "duplicate/b.yaml:7: duplicate rule id 'same-id' (first defined at "),
        ("broken_yaml", "broken_yaml/rules.yaml:3: YAML syntax error: while scanning a quoted scalar"),
    ],
)
def test_errors_name_file_and_line(case: str, expected: str) -> None:
    errors = check_rules([DATA / case])
    assert any(expected in e for e in errors), errors
    assert all("\n" not in e for e in errors)
    with pytest.raises(RuleError) as info:
        load_rules([DATA / case])
    assert str(info.value).startswith(str(DATA / case))
    assert "\n" not in str(info.value)


def test_duplicate_ids_across_directories(tmp_path: Path) -> None:
    rule = "{id: x, title: t, severity: low, type: deny, match: {name: a}}"
    write_rules(tmp_path / "one", "a.yaml", f"rules:\n  - {rule}\n")
    write_rules(tmp_path / "two", "b.yaml", f"rules:\n\n  - {rule}\n")
    errors = check_rules([tmp_path / "one", tmp_path / "two"])
    first, second = tmp_path / "one" / "a.yaml", tmp_path / "two" / "b.yaml"
    assert errors == [f"{second}:3: duplicate rule id 'x' (first defined at {first}:2)"]


def test_every_error_is_listed_with_its_line() -> None:
    errors = check_rules([DATA / "many_errors"])
    lines = sorted(int(e.split(":")[1]) for e in errors)
    assert lines == [2, 8, 14, 16, 25, 26, 26, 33, 34, 35, 36]
    text = "\n".join(errors)
    for fragment in [
        "missing required key 'match'",
        "unknown severity 'urgent'",
        "unknown type 'license' (did you mean 'licence'?)",
        "licence rules need 'seats: N'",
        "match.source: unknown value 'dep' (did you mean 'deb'?)",
        "'10.0.0.1/8' is not a CIDR network",
        "unknown value 'desktop'",
        "exceptions[1]: missing required key 'reason'",
        "exceptions[2]: needs 'hostname' and/or 'asset_id'",
        "exceptions[3].until must be a date written YYYY-MM-DD",
        "id must be lower-case",
    ]:
        assert fragment in text
    with pytest.raises(RuleError, match=r"rules\.yaml:2: .*\(and 10 more; run 'netcensus rules check'\)"):
        load_rules([DATA / "many_errors"])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "x.yaml:1: empty rule file"),
        ("- just a list\n", "x.yaml:1: rule file must be a mapping"),
        ("rules: {}\n", "x.yaml:1: 'rules' must be a list of rules"),
        ("rules: []\nrulez: []\n", "x.yaml:2: rule file: unknown key 'rulez'"),
        ("rules:\n  - 42\n", "x.yaml:2: each rule must be a mapping, not a number"),
        ("rules:\n  - {id: a, id: b}\n", "x.yaml:2: rule 'b': duplicate key 'id'"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {}}\n", "needs 'name' or 'vendor'"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: []}}\n", "is an empty list"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: [[x]]}}\n", "must be a string"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: 'a]'}}\n", "without a matching '['"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: '[]'}}\n", "empty character class"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: '[z-a]x'}}\n", "reversed range"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: x, version: ''}}\n", "is empty"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: x}, seats: 3}\n",
         "'seats' only applies to type: licence"),
        ("rules:\n  - {id: a, title: t, severity: low, type: licence, match: {name: x}, seats: -1}\n",
         "seats must be a whole number"),
        ("rules:\n  - {id: a, title: t, severity: low, type: licence, match: {name: x}, seats: many}\n",
         "seats must be a whole number"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: x}, scope: {os: ['Win 10']}}\n",
         "is not an OS family"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: x},\n"
         "     exceptions: [{hostname: h, reason: r, until: 2027-02-30}]}\n",
         "x.yaml:3: rule 'a': exceptions[1].until"),
        ("rules:\n  - {id: a, title: t, severity: yes, type: deny, match: {name: x}}\n",
         "must be a string, not a boolean"),
        ("rules:\n  - {id: a, title: t, severity: low, type: deny, match: {name: x}, extra: 1}\n",
         "unknown key 'extra'"),
        ("rules:\n\tbad\n", "x.yaml:2: YAML syntax error"),
        ("rules: [\x00]\n", "x.yaml:1: YAML syntax error: character U+0000 is not allowed in YAML"),
        ("a: 1\n---\nb: 2\n", "YAML syntax error"),
        # Tags are never constructed (compose only): a python/object tag is just a wrong shape.
        ("rules: !!python/object:os.system {}\n", "'rules' must be a list of rules"),
        ("rules:\n  - {id: !!python/name:os.system a}\n", "must be a string, not tagged os.system"),
    ],
)
def test_individual_errors(text: str, fragment: str) -> None:
    rules, errors = parse_rules_text(text, "x.yaml")
    assert any(fragment in e for e in errors), errors
    assert rules == [] or len(errors) > 0


def test_numbers_in_string_fields_are_taken_as_written() -> None:
    text = "rules:\n  - {id: '7zip', title: 7-Zip, severity: low, type: deny, match: {name: 7zip, version: 9.20}}\n"
    rules, errors = parse_rules_text(text, "x.yaml")
    assert errors == []
    assert rules[0].match.versions[0].clauses == (("==", "9.20"),)


def test_missing_paths_and_empty_directories(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    errors = check_rules([tmp_path / "nope", tmp_path / "empty"])
    assert errors == [
        f"{tmp_path / 'nope'}: no such file or directory",
        f"{tmp_path / 'empty'}: no rule files (*.yaml) in this directory",
    ]


def test_non_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_bytes(b"rules:\n  - id: \xff\n")
    assert check_rules([tmp_path]) == [f"{tmp_path / 'r.yaml'}:2: not UTF-8 text (invalid start byte)"]


# Fragments of rule files, so that random text often gets past the YAML parser into validation.
_PIECES = st.sampled_from(
    ["rules:", "\n", "  - ", "id: ", "x", "title: ", "severity: ", "high", "type: ", "deny", "allow", "licence",
     "match: ", "name: ", "[", "]", "{", "}", ", ", "version: ", "<1.0", "'", '"', "scope: ", "subnet: ",
     "10.0.0.0/8", "exceptions:", "until: ", "2027-06-30", "reason: ", "seats: ", "3", "&a ", "*a", "!!", "#",
     ":", "- ", "    ", "\t", "?", "|", ">", "%", "@", "`", "\\", "ü", "\x00", "~", "null", "[abc", "*"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=60).map("".join)))
def test_random_text_only_ever_gives_errors(text: str) -> None:
    rules, errors = parse_rules_text(text, "fuzz.yaml")
    assert all(e.startswith("fuzz.yaml:") and "\n" not in e for e in errors)
    assert rules or errors or text.strip().startswith("rules")


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=200))
def test_random_files_raise_only_rule_errors(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    directory = tmp_path_factory.mktemp("fuzz")
    (directory / "r.yaml").write_bytes(data)
    try:
        load_rules([directory])
    except RuleError as exc:
        message = str(exc)
    else:
        return
    assert message.startswith(str(directory / "r.yaml"))
