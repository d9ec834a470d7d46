"""The escaping both sides apply to values from the network, held equal by one vector file.

The agent never imports the collector, so collector/escaping.py and agent/escaping.py are written
twice on purpose; tests/data/escaping/vectors.json is what each must do, and the Unicode sweep below
is what "every control and format character" means.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest

import agent.escaping
import collector.escaping
from collector.logs import TextFormatter

VECTORS = json.loads((Path(__file__).parent / "data" / "escaping" / "vectors.json").read_text(encoding="utf-8"))
SIDES = [pytest.param(collector.escaping, id="collector"), pytest.param(agent.escaping, id="agent")]
HIDDEN = {"Cc", "Cf", "Zl", "Zp"}


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["why"])
def test_vectors(side: ModuleType, vector: dict[str, str]) -> None:
    assert side.escape_text(vector["raw"]) == vector["text"]
    document = side.json_safe(json.dumps(vector["raw"], ensure_ascii=False))
    assert document == f'"{vector["json"]}"'
    assert json.loads(document) == vector["raw"]


@pytest.mark.parametrize("side", SIDES)
def test_every_control_format_and_separator_character_is_escaped_and_nothing_else(side: ModuleType) -> None:
    wrong = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) == "Cs":
            continue  # lone surrogates never reach us as text
        category = unicodedata.category(char)
        out = side.escape_text(char)
        escaped = out != char
        # Unassigned code points inside the format blocks (U+2065, the tag block) are escaped too.
        if (category in HIDDEN and not (escaped and out.isascii() and out.isprintable())) or (
                escaped and category not in HIDDEN | {"Cn"}):
            wrong.append(f"U+{code:04X} {category} -> {out!r}")
    assert wrong[:20] == []


@pytest.mark.parametrize("side", SIDES)
def test_json_safe_keeps_the_layout_of_an_indented_document(side: ModuleType) -> None:
    value = {"name": "sw\u202e1\x85", "list": ["\x1b[2J", "ok"]}
    document = side.json_safe(json.dumps(value, ensure_ascii=False, indent=2))
    assert json.loads(document) == value
    assert document.count("\n") == 6 and document.isascii()


def test_both_sides_escape_alike_also_beyond_the_vectors() -> None:
    sample = "".join(chr(c) for c in range(0, 0x3000)) + "\U000e0001\U0001d173\U0001f600"
    assert agent.escaping.escape_text(sample) == collector.escaping.escape_text(sample)
    document = json.dumps(sample, ensure_ascii=False)
    assert agent.escaping.json_safe(document) == collector.escaping.json_safe(document)


def _fail(message: str) -> None:
    raise ValueError(message)


@pytest.mark.parametrize("formatter", [pytest.param(TextFormatter, id="collector"),
                                       pytest.param(agent.escaping.EscapingFormatter, id="agent")])
def test_a_hostname_with_a_newline_cannot_forge_a_log_line(formatter: type[logging.Formatter]) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter())
    log = logging.getLogger(f"netcensus.test.{id(handler)}")
    log.addHandler(handler)
    log.propagate = False
    try:
        hostile = "pc-1\n2026-12-02 23:59:59,000 INFO netcensus.ingest: enrolled admin-pc\x1b[2J\u202e"
        log.warning("enrolled %s", hostile)
        try:
            _fail(f"bad name {hostile}")
        except ValueError:
            log.exception("refused %s", "x")
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("enrolled pc-1\\n2026-12-02 23:59:59,000 INFO netcensus.ingest: enrolled "
                              "admin-pc\\x1b[2J\\u202e")
    assert "\x1b" not in stream.getvalue() and "\u202e" not in stream.getvalue()
    # Every line that is not a record's first line is an indented traceback line.
    records = [line for line in lines if not line.startswith("    ")]
    assert len(records) == 2 and records[1].endswith("refused x")
    assert not any(line.startswith("2026-12-02 23:59:59") for line in lines)
    assert "    ValueError: bad name pc-1" in lines
