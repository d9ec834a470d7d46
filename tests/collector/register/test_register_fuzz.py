"""Property tests: whatever bytes arrive, the importer answers with records or one RegisterError line."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.domain.model import RecordedAsset, StatusClass
from collector.errors import RegisterError
from collector.register import parse_mapping, parse_register
from collector.register.registry import format_names

DATA = Path(__file__).resolve().parents[2] / "data" / "register"
FORMATS = format_names()  # a newly registered format is fuzzed too
SEEDS = [
    ((DATA / "snipeit_custom_report.csv").read_bytes(), "snipeit"),
    ((DATA / "snipeit_import_sample.csv").read_bytes(), "snipeit"),
    ((DATA / "netbox_export.csv").read_bytes(), "netbox"),
    ((DATA / "netbox_import.csv").read_bytes(), "netbox"),
    ((DATA / "generic_inventory.json").read_bytes(), "json"),
    ((DATA / "generic_inventory.csv").read_bytes(), "csv"),
]
MAPPINGS = {
    "csv": parse_mapping((DATA / "generic_mapping.yaml").read_text(), "generic_mapping.yaml"),
    "json": parse_mapping((DATA / "generic_mapping.json").read_text(), "generic_mapping.json"),
}
# Bytes that matter to the parsers: delimiters, quotes, line breaks, BOM pieces, NUL, high bytes.
INTERESTING = st.sampled_from([b",", b";", b"\t", b'"', b"\n", b"\r", b"\r\n", b"\xef\xbb\xbf", b"\x00", b"\xff",
                               b"\xe9", b"[", b"{", b"}", b"]", b":", b"(", b")", b"-", b"/", b" "])


def _check(data: bytes, fmt: str) -> None:
    try:
        records = parse_register(data, fmt, filename="fuzz.csv", mapping=MAPPINGS.get(fmt),
                                 status_map={"ok": StatusClass.IN_USE})
    except RegisterError as exc:
        message = str(exc)
        assert message.startswith("fuzz.csv:"), message
        assert "\n" not in message
        assert "\r" not in message
        return
    assert records
    assert all(isinstance(r, RecordedAsset) and r.line >= 1 and r.record_key for r in records)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2048), fmt=st.sampled_from(FORMATS))
def test_random_bytes_only_raise_register_error(data: bytes, fmt: str) -> None:
    _check(data, fmt)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), edits=st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 8), st.one_of(INTERESTING, st.binary(max_size=4))), max_size=8))
def test_mutated_registers_only_raise_register_error(seed: tuple[bytes, str],
                                                     edits: list[tuple[float, int, bytes]]) -> None:
    data, fmt = seed
    buf = bytearray(data)
    for where, cut, insert in edits:
        pos = int(where * len(buf))
        buf[pos:pos + cut] = insert
    _check(bytes(buf), fmt)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_random_mapping_text_only_raises_register_error(text: str) -> None:
    message = ""
    try:
        parse_mapping(text, "m.yaml")
    except RegisterError as exc:
        message = str(exc)
    assert not message or message.startswith("m.yaml:")
