"""Property-based fuzzing (issue 5, item 6): random and mutated reports at a real collector, random
files at the register importers and the rule loader. Nothing crashes or hangs; every answer is the
right status code or a one-line error; rejected input leaves the database unchanged."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netcensus.v1 import report_pb2

from collector.errors import NetcensusError
from tests.collector.serve.helpers import enroll, report_stream, snapshot

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
ALLOWED_STREAM_ENDS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED}


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Iterator[tuple[object, str, str, str, str, str]]:
    from collector.config import ServeConfig
    from collector.serve.server import BackgroundCollector

    d = tmp_path_factory.mktemp("fuzz")
    rules = d / "rules"
    rules.mkdir()
    (rules / "none.yaml").write_text("rules: []\n", encoding="utf-8")
    config = ServeConfig(db=d / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(rules,),
                         refresh_interval=timedelta(0), rate_limit=0, max_message_bytes=1 << 20,
                         open_enrolment=True)
    with BackgroundCollector(config) as c, grpc.insecure_channel(c.target) as ch:
        source, key = enroll(ch, "fuzzer")
        scanner, scanner_key = enroll(ch, "fuzz-scanner", kind=report_pb2.SOURCE_KIND_SCANNER)
        yield c, c.target, source, key, scanner, scanner_key


def db_counts(c) -> tuple[int, ...]:
    store = c.collector.store
    return tuple(int(store.query(f"SELECT count(*) AS n FROM {t}")[0]["n"])
                 for t in ("reports", "sightings", "software_installs", "scan_runs", "collector_runs"))


def check_answer(c, target: str, key: str, payload: bytes) -> None:
    before = db_counts(c)
    with grpc.insecure_channel(target) as ch:
        acks, err = report_stream(ch, [payload], key, timeout=30)
    if err is not None:
        assert err.code() in ALLOWED_STREAM_ENDS, (err.code(), err.details())
        assert "\n" not in (err.details() or "")
    stored = sum(1 for a in acks if a.status == 1)
    for ack in acks:
        assert ack.status in (1, 2, 3)
        if ack.status == 3:
            assert ack.reason and "\n" not in ack.reason
    if stored == 0:
        assert db_counts(c) == before, "a rejected report changed the database"
    else:
        assert db_counts(c)[0] == before[0] + stored


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(target, data: bytes) -> None:
    c, addr, _, key, _, _ = target
    check_answer(c, addr, key, data)


_STRINGS = st.one_of(st.text(max_size=40), st.text(min_size=4090, max_size=4200), st.just("a\x00b"))
_INTS = st.one_of(st.integers(0, 5), st.integers(0, 2**32 - 1))


@FUZZ
@given(data=st.data())
def test_mutated_reports(target, data) -> None:
    """A valid report with random fields overwritten by odd values of the right type."""
    from google.protobuf.descriptor import FieldDescriptor

    c, addr, source, key, scanner, scanner_key = target
    report = snapshot(source, data.draw(st.integers(1, 2**63 - 1)), items=3, tag=uuid.uuid4().hex[:6])
    msgs = [report, report.host_snapshot.facts, report.host_snapshot.facts.interfaces[0],
            report.host_snapshot.software[0], report.host_snapshot.collectors[0]]
    if data.draw(st.booleans()):
        report.source_id, key = scanner, scanner_key  # scan results come from a scanner-kind source
        scan = report.scan  # switch the body to a scan with one observation
        scan.scan_id = "s"
        obs = scan.observations.add(ip="192.0.2.7", method=1)
        obs.seen_at.FromDatetime(datetime.now(UTC))
        scan.methods.append(1)
        msgs = [report, scan, obs, scan.statuses.add(target="192.0.2.0/24", method=1, ok=True)]
    for _ in range(data.draw(st.integers(1, 4))):
        msg = data.draw(st.sampled_from(msgs))
        field = data.draw(st.sampled_from(list(msg.DESCRIPTOR.fields)))
        if field.is_repeated or field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type and field.message_type.full_name == "google.protobuf.Timestamp":
                getattr(msg, field.name).seconds = data.draw(st.integers(-2**40, 2**40))
            continue
        if field.type == FieldDescriptor.TYPE_STRING:
            setattr(msg, field.name, data.draw(_STRINGS))
        elif field.type == FieldDescriptor.TYPE_BOOL:
            setattr(msg, field.name, data.draw(st.booleans()))
        elif field.type in (FieldDescriptor.TYPE_ENUM, FieldDescriptor.TYPE_INT32):
            setattr(msg, field.name, data.draw(st.integers(-5, 100)))
        elif field.type == FieldDescriptor.TYPE_UINT64:
            setattr(msg, field.name, data.draw(st.integers(0, 2**64 - 1)))
        else:
            setattr(msg, field.name, data.draw(_INTS))
    payload = report.SerializeToString()
    if data.draw(st.booleans()):  # flip a few bytes of the wire form too
        raw = bytearray(payload)
        for _ in range(data.draw(st.integers(1, 3))):
            # The position is drawn independently of len(raw): the wire length varies between
            # runs (timestamps taken now), and hypothesis needs the same draws when it replays.
            raw[data.draw(st.integers(0, 2**16)) % len(raw)] = data.draw(st.integers(0, 255))
        payload = bytes(raw)
    check_answer(c, addr, key, payload)


_FILE_BYTES = st.one_of(
    st.binary(max_size=1500),
    st.text(max_size=1500).map(lambda t: t.encode("utf-8")),
    st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12), max_size=6),
             max_size=8).map(lambda rows: "\n".join(",".join(r) for r in rows).encode()),
    st.builds(lambda body: ("Asset Tag,Serial,Status,MAC Address\n" + body).encode(), st.text(max_size=300)),
)


@FUZZ
@given(data=_FILE_BYTES, fmt=st.sampled_from(["snipeit", "netbox", "csv", "json"]))
def test_register_importers_never_crash(data: bytes, fmt: str, tmp_path_factory) -> None:
    from collector.register import parse_register

    error = ""
    try:
        parse_register(data, fmt, filename="fuzz.csv")
    except NetcensusError as exc:
        error = str(exc) or "(empty message)"
    assert "\n" not in error.strip()


def test_rejected_register_import_leaves_database_unchanged(tmp_path: Path) -> None:
    from collector.register.importing import import_register
    from collector.store.duckdb import Store

    store = Store.open(tmp_path / "x.duckdb")
    try:
        good = b"Asset Tag,Serial,Status,MAC Address\nNC-1,SN1,Deployed,00:1b:21:0a:00:01\n"
        import_register(store, good, "snipeit", filename="g.csv", now=datetime.now(UTC))
        before = store.query("SELECT * FROM recorded_assets")
        with pytest.raises(NetcensusError):
            import_register(store, good + b"NC-2,SN2,Deployed,zz\n", "snipeit", filename="b.csv", now=datetime.now(UTC))
        assert store.query("SELECT * FROM recorded_assets") == before
    finally:
        store.close()


_YAML = st.one_of(
    st.text(max_size=800),
    st.binary(max_size=800).map(lambda b: b.decode("latin-1")),
    st.builds(lambda i, t, s, n: f"rules:\n  - id: {i}\n    title: {t}\n    severity: {s}\n    type: deny\n"
              f"    match:\n      name: {n}\n",
              st.text(max_size=10), st.text(max_size=10), st.sampled_from(["high", "x", "", "[1]"]),
              st.sampled_from(["['a*']", "1", "{}", "[[]]", "null", "'['"])),
)


@FUZZ
@given(content=_YAML)
def test_rule_loader_never_crashes(content: str) -> None:
    from collector.rules.schema import check_rules

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "r.yaml").write_text(content, encoding="utf-8", errors="surrogatepass")
        errors = check_rules([d])
    for line in errors:
        assert isinstance(line, str) and "\n" not in line.strip()
