"""Collector configuration keys that tune the store (collector/config.py, collector/serve/server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import resolve_serve
from collector.errors import UsageError


def _resolve(tmp_path: Path, body: str):
    config = tmp_path / "collector.toml"
    config.write_text(f"[collector]\n{body}\n", encoding="utf-8")
    return resolve_serve(db=str(tmp_path / "nc.duckdb"), listen=None, rules=None, ghost_after=None, config=config,
                         env={})


def test_duckdb_threads_defaults_to_duckdbs_own_choice(tmp_path: Path) -> None:
    assert _resolve(tmp_path, "").duckdb_threads == 0
    assert _resolve(tmp_path, "duckdb_threads = 1").duckdb_threads == 1


@pytest.mark.parametrize(("value", "message"), [
    ("1.5", "duckdb_threads: 1.5 is not a whole number"),
    ("-1", "duckdb_threads: must be at least 0"),
    ('"many"', "duckdb_threads: 'many' is not a number"),
])
def test_bad_duckdb_threads_is_a_one_line_error(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        _resolve(tmp_path, f"duckdb_threads = {value}")
    assert str(err.value) == message


def test_collector_runs_duckdb_with_the_configured_threads(make_collector) -> None:
    c = make_collector(duckdb_threads=1)
    assert c.collector.store.query("SELECT current_setting('threads') AS n")[0]["n"] == 1


def test_open_enrolment_is_off_unless_flag_or_file_says_so(tmp_path: Path) -> None:
    assert resolve_serve(db="x", listen=None, rules=None, ghost_after=None, config=None, env={}).open_enrolment is False
    assert resolve_serve(db="x", listen=None, rules=None, ghost_after=None, config=None, env={},
                         open_enrolment=True).open_enrolment is True
    file = tmp_path / "c.toml"
    file.write_text("[collector]\nopen_enrolment = true\n")
    assert resolve_serve(db="x", listen=None, rules=None, ghost_after=None, config=file, env={}).open_enrolment


def test_client_token_from_file_then_environment(tmp_path: Path) -> None:
    from collector.config import resolve_client_token

    path = tmp_path / "t"
    path.write_text("  nct_from-file \n")
    env = {"NETCENSUS_TOKEN": "nct_env", "NETCENSUS_ADMIN_TOKEN": "old"}
    assert resolve_client_token(path, env) == "nct_from-file"
    assert resolve_client_token(None, env) == "nct_env"
    assert resolve_client_token(None, {"NETCENSUS_ADMIN_TOKEN": "old"}) == "old"
    assert resolve_client_token(None, {}) is None
    path.write_text("\n")
    with pytest.raises(UsageError, match="empty"):
        resolve_client_token(path, env)


def test_an_empty_or_unreadable_secret_file_is_named_never_quoted(tmp_path: Path) -> None:
    empty = tmp_path / "enrol.secret"
    empty.write_text("  \n")
    config = tmp_path / "c.toml"
    config.write_text(f'[collector]\ndb = "x.duckdb"\nenrol_secret_file = "{empty}"\n')
    with pytest.raises(UsageError, match=r"enrol\.secret: secret file is empty$"):
        resolve_serve(db=None, listen=None, rules=None, ghost_after=None, config=config, env={})
    binary = tmp_path / "token"
    binary.write_bytes(b"\xff\xfesecret")
    config.write_text(f'[collector]\ndb = "x.duckdb"\nadmin_token_file = "{binary}"\n')
    with pytest.raises(UsageError, match=r"token: cannot read secret file: not UTF-8 text$"):
        resolve_serve(db=None, listen=None, rules=None, ghost_after=None, config=config, env={})
