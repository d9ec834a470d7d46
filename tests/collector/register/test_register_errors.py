"""Bad input: every case is one RegisterError line "FILE:LINE: what (what to do)", never a traceback."""

from __future__ import annotations

import pytest

from collector.errors import RegisterError, UnmappedStatusError, UsageError
from collector.register import parse_mapping, parse_register

SNIPE_HEAD = b"Asset Tag,Asset Name,Serial,Status,Checked Out,MAC Address,IP Address,Purchased,Hostname\n"

# (id, data, format, exception type, substrings the message must contain)
CASES: list[tuple[str, bytes, str, type[RegisterError], tuple[str, ...]]] = [
    ("empty file", b"", "snipeit", RegisterError, ("f.csv:1:", "empty")),
    ("whitespace only", b"  \r\n\n ", "netbox", RegisterError, ("f.csv:1:", "empty")),
    ("header only", SNIPE_HEAD, "snipeit", RegisterError, ("f.csv:1:", "only a header")),
    ("blank lines then header only", b"\n\n" + SNIPE_HEAD + b"\n", "snipeit", RegisterError,
     ("f.csv:3:", "only a header")),
    ("binary with NUL", b"Asset Tag,Status\nNC\x00\x01\x02,Deployed\n", "snipeit", RegisterError,
     ("f.csv:2:", "binary", "CSV")),
    ("xlsx workbook", b"PK\x03\x04\x14\x00\x06\x00rest-of-zip", "snipeit", RegisterError,
     ("f.csv:1:", "Excel workbook", "CSV UTF-8")),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "csv", RegisterError, ("f.csv:1:", "PDF")),
    ("not utf-8 (latin-1 export)", b"Asset Tag,Status,Asset Name\nNC-1,Deployed,ok\nNC-2,Deployed,Caf\xe9\n",
     "snipeit", RegisterError, ("f.csv:3:", "not UTF-8", "CSV UTF-8")),
    ("prose, not CSV at all", b"Dear IT,\nplease find the assets attached.\nRegards\n", "snipeit", RegisterError,
     ("f.csv:1:", 'missing required column "Status"', 'found "Dear IT"')),
    ("netbox missing status", b"name,serial\nsw1,ABC\n", "netbox", RegisterError,
     ("f.csv:1:", 'missing required column "status"', 'found "name", "serial"')),
    ("snipeit no identifying column", b"Status,Location\nDeployed,HQ\n", "snipeit", RegisterError,
     ("f.csv:1:", '"Asset Tag"', 'found "Status", "Location"')),
    ("generic without mapping or known columns", b"PC,Condition\npc1,ok\n", "csv", RegisterError,
     ("f.csv:1:", 'missing required column "status"', "--mapping")),
    ("bad MAC", SNIPE_HEAD + b"NC-1,a,S1,Deployed,,00:1b:21:0a:00:01,,,\nNC-2,b,S2,Deployed,,00:1b:21:0a:00:zz,,,\n",
     "snipeit", RegisterError, ("f.csv:3:", 'bad MAC "00:1b:21:0a:00:zz"', "aa:bb:cc:dd:ee:ff")),
    ("MAC with 5 octets", SNIPE_HEAD + b"NC-1,a,S1,Deployed,,00:1b:21:0a:00,,,\n", "snipeit", RegisterError,
     ("f.csv:2:", "bad MAC")),
    ("bad IP", SNIPE_HEAD + b"NC-1,a,S1,Deployed,,,192.0.2.300,,\n", "snipeit", RegisterError,
     ("f.csv:2:", 'bad IP address "192.0.2.300"')),
    ("day-first date is not guessed", SNIPE_HEAD + b"NC-1,a,S1,Deployed,,,,25/12/2021,\n", "snipeit", RegisterError,
     ("f.csv:2:", 'bad date "25/12/2021"', "YYYY-MM-DD")),
    ("impossible date", SNIPE_HEAD + b"NC-1,a,S1,Deployed,,,,2021-02-30,\n", "snipeit", RegisterError,
     ("f.csv:2:", 'bad date "2021-02-30"')),
    ("bad host name", SNIPE_HEAD + b"NC-1,a,S1,Deployed,,,,,John's PC\n", "snipeit", RegisterError,
     ("f.csv:2:", "host name \"John's PC\" is not a host name")),
    ("duplicate asset tag", SNIPE_HEAD + b"NC-1,a,S1,Deployed,,,,,\nNC-2,b,S2,Deployed,,,,,\nnc-1,c,S3,Pending,,,,,\n",
     "snipeit", RegisterError, ("f.csv:4:", 'duplicate asset tag "nc-1"', "also on line 2")),
    ("duplicate serial without tags", b"Serial,Status\nABC1,Archived\nabc1,Archived\n", "snipeit", RegisterError,
     ("f.csv:3:", 'duplicate serial "ABC1"', "also on line 2")),
    ("empty status", SNIPE_HEAD + b"NC-1,a,S1,,,,,,\n", "snipeit", RegisterError, ("f.csv:2:", "status is empty")),
    ("unclosed quote", b'Asset Tag,Status,Notes\nNC-1,Deployed,fine\nNC-2,Deployed,"never closed\nNC-3,Pending,x\n',
     "snipeit", RegisterError, ("f.csv:3:", "never closed")),
    ("text after closing quote", b'Asset Tag,Status\nNC-1,"Deployed"x\n', "snipeit", RegisterError,
     ("f.csv:2:", "closing quote", '""')),
    ("too many fields", b"Asset Tag,Status\nNC-1,Deployed,oops,more\n", "snipeit", RegisterError,
     ("f.csv:2:", "4 fields", "header has 2")),
    ("invalid JSON", b'[\n {"asset_tag": "A", "status": "in-use"},\n {"asset_tag": "B" "status": 1}\n]', "json",
     RegisterError, ("f.csv:3:", "not valid JSON")),
    ("JSON array of strings", b'["a", "b"]', "json", RegisterError, ("f.csv:1:", "not an object")),
    ("JSON scalar", b'42', "json", RegisterError, ("f.csv:1:", "expected a JSON array")),
    ("JSON empty array", b'[]', "json", RegisterError, ("f.csv:1:", "no asset objects")),
    ("JSON object without rows", b'{"a": 1, "b": 2}', "json", RegisterError, ("f.csv:1:", 'keys "a", "b"')),
    ("JSON nested absurdly", b"[" * 100_000 + b"]" * 100_000, "json", RegisterError, ("f.csv:1:",)),
]


@pytest.mark.parametrize(("data", "fmt", "exc_type", "parts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line(data: bytes, fmt: str, exc_type: type[RegisterError],
                                     parts: tuple[str, ...]) -> None:
    with pytest.raises(exc_type) as info:
        parse_register(data, fmt, filename="f.csv")
    message = str(info.value)
    assert "\n" not in message
    assert "\r" not in message
    for part in parts:
        assert part in message, message


def test_unmapped_status_names_label_line_and_how_to_map() -> None:
    data = (b"Asset Tag,Status,Notes\n"
            b'NC-1,Deployed,"two\nlines"\n'
            b"NC-2,Loaned Out,\n"
            b"NC-3,Loaned Out,\n"
            b"NC-4,With Vendor,\n")
    with pytest.raises(UnmappedStatusError) as info:
        parse_register(data, "snipeit", filename="assets.csv")
    message = str(info.value)
    assert message.startswith('assets.csv:4: status "Loaned Out" is not mapped')
    assert "status_map in the mapping file" in message
    assert '--status-map "Loaned Out=in-use|in-stock|retired|lost"' in message
    assert '"With Vendor" (line 6)' in message
    assert "\n" not in message


def test_unmapped_status_in_parentheses_names_the_label_itself() -> None:
    data = b"Asset Tag,Status\nNC-1,Loaned Out (deployed)\n"
    with pytest.raises(UnmappedStatusError, match=r'a\.csv:2: status "Loaned Out"'):
        parse_register(data, "snipeit", filename="a.csv")


def test_netbox_custom_status_needs_a_map() -> None:
    data = b"name,status\nsw1,active\nsw2,rma\n"
    with pytest.raises(UnmappedStatusError, match=r'n\.csv:3: status "rma"'):
        parse_register(data, "netbox", filename="n.csv")


def test_generic_label_is_never_guessed_from_its_wording() -> None:
    data = b"asset_tag,status\nT1,Active\n"
    with pytest.raises(UnmappedStatusError, match=r'g\.csv:2: status "Active"'):
        parse_register(data, "csv", filename="g.csv")


def test_earliest_problem_is_reported_with_a_count_of_the_rest() -> None:
    data = SNIPE_HEAD + b"NC-1,a,S1,Deployed,,bad-mac,,,\nNC-2,b,S2,Deployed,,,,not-a-date,\nNC-3,c,S3,Nope,,,,,\n"
    with pytest.raises(RegisterError) as info:
        parse_register(data, "snipeit", filename="m.csv")
    assert not isinstance(info.value, UnmappedStatusError)
    assert str(info.value).startswith('m.csv:2: bad MAC "bad-mac"')
    assert str(info.value).endswith("; 2 more problem(s) in this file")


def test_nothing_is_returned_when_one_row_is_bad() -> None:
    """Atomic: 999 good rows and one bad one give an error, not 999 records."""
    rows = b"".join(b"NC-%d,Deployed,00:1b:21:00:%02x:%02x\n" % (i, i // 256, i % 256) for i in range(999))
    data = b"Asset Tag,Status,MAC Address\n" + rows + b"NC-X,Deployed,00:1b:21\n"
    with pytest.raises(RegisterError, match=r"^big\.csv:1001: bad MAC"):
        parse_register(data, "snipeit", filename="big.csv")


def test_generic_mapped_column_missing_points_into_the_mapping_file() -> None:
    mapping = parse_mapping("columns:\n  serial: SN\n  mac: NIC MAC\n  status: State\n", "map.yaml")
    data = b"SN,State,MAC\nA1,ok\n"
    with pytest.raises(RegisterError) as info:
        parse_register(data, "csv", filename="inv.csv", mapping=mapping)
    message = str(info.value)
    assert message.startswith('inv.csv:1: column "NIC MAC" (mapped to mac at map.yaml:3) is not in the file')
    assert 'found "SN", "State", "MAC"' in message


def test_generic_default_status_still_goes_through_the_map() -> None:
    mapping = parse_mapping("columns: {serial: SN}\ndefaults: {status: Live}\n", "m.yaml")
    with pytest.raises(UnmappedStatusError, match='status "Live"'):
        parse_register(b"SN\nA1\n", "csv", filename="d.csv", mapping=mapping)


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown register format 'glpi'"):
        parse_register(b"a,b\n1,2\n", "glpi", filename="x.csv")
