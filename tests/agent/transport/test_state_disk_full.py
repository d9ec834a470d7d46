"""The agent's state directory on a full disk (issue 14: durability), on a real small tmpfs.

A state write that the disk refuses leaves the previous file as it was, no temp file behind, the
in-memory state unchanged, and a one-line error; once space is back the same objects carry on.
Files are private: state 0600, state directory 0700.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from agent.errors import StateError
from agent.facts.model import SoftwareItem
from agent.transport.baseline import Baseline
from agent.transport.delta import key_of
from agent.transport.spool import Priority, Spool
from agent.transport.state import NodeState
from tests.conftest import run_cli
from tests.tmpfs import fill, small_tmpfs


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_node_state_on_a_full_disk_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "fs", size_kb=256) as fs:
        state = NodeState.load(fs / "state.json")
        state.ensure_source_id()
        assert state.take_seq() == 1
        before = (fs / "state.json").read_bytes()
        filler = fill(fs)
        with pytest.raises(StateError, match="No space left on device") as caught:
            state.take_seq()
        assert "\n" not in str(caught.value) and "previous state is kept" in str(caught.value)
        assert (fs / "state.json").read_bytes() == before
        assert _names(fs) == ["filler", "state.json"], "no temp file left behind"
        assert state.next_seq == 2, "a sequence number that was not persisted is not used"
        filler.unlink()
        assert state.take_seq() == 2
        assert NodeState.load(fs / "state.json").next_seq == 3


def test_a_fresh_node_on_a_full_disk_picks_no_source_id_it_could_forget(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "fs", size_kb=256) as fs:
        filler = fill(fs)
        state = NodeState.load(fs / "state.json")
        with pytest.raises(StateError):
            state.ensure_source_id()
        assert state.source_id == "" and _names(fs) == ["filler"]
        filler.unlink()
        assert state.ensure_source_id() == NodeState.load(fs / "state.json").source_id


def test_baseline_on_a_full_disk_warns_and_keeps_the_old_file(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    item = SoftwareItem(name="zsh", version="5.9", arch="amd64", source="deb")
    with small_tmpfs(tmp_path / "fs", size_kb=256) as fs:
        baseline = Baseline(fs / "baseline.json", report_id="r1", collector="c", items={key_of(item): item})
        assert baseline.save() is True
        before = (fs / "baseline.json").read_bytes()
        filler = fill(fs)
        baseline.report_id = "r2"
        with caplog.at_level(logging.WARNING, logger="netcensus.agent"):
            assert baseline.save() is False
        assert any("No space left on device" in r.getMessage() for r in caplog.records)
        assert (fs / "baseline.json").read_bytes() == before
        assert _names(fs) == ["baseline.json", "filler"]
        filler.unlink()
        assert baseline.save() is True and Baseline.load(fs / "baseline.json").report_id == "r2"


def test_spool_on_a_full_disk_refuses_the_new_report_and_keeps_the_queued_ones(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "fs", size_kb=1024) as fs:
        spool = Spool(fs / "spool.sqlite")
        try:
            spool.put("r1", 1, Priority.IDENTITY, b"a" * 1000)
            filler = fill(fs)
            with pytest.raises(StateError, match="cannot queue report r2") as caught:
                spool.put("r2", 2, Priority.IDENTITY, b"b" * 300_000)
            assert "\n" not in str(caught.value)
            assert [s.report_id for s in spool.pending()] == ["r1"]
            filler.unlink()
            spool.put("r2", 2, Priority.IDENTITY, b"b" * 300_000)
            assert [s.report_id for s in spool.pending()] == ["r1", "r2"]
        finally:
            spool.close()


def test_state_files_and_directory_are_private(tmp_path: Path) -> None:
    state = NodeState.load(tmp_path / "new" / "state.json")
    state.ensure_source_id()
    Baseline(tmp_path / "new" / "baseline.json").save()
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "new").iterdir()} == {
        "state.json": 0o600, "baseline.json": 0o600}


def test_agent_with_a_full_state_disk_says_so_in_one_line_and_recovers(tmp_path: Path, collector: object) -> None:
    target = collector.target  # type: ignore[attr-defined]
    with small_tmpfs(tmp_path / "fs", size_kb=4096) as fs:
        state_dir = fs / "agent"
        argv = ("netcensus-agent", "report", "--collector", target, "--once", "--state-dir", str(state_dir))
        first = run_cli(*argv)
        assert first.code == 0, first.err
        kept = {name: (state_dir / name).read_bytes() for name in ("state.json", "baseline.json")}
        filler = fill(fs)
        full = run_cli(*argv)
        assert full.code == 1
        lines = full.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in full.err, full.err
        assert "No space left on device" in lines[0] or "disk I/O error" in lines[0], full.err
        assert {name: (state_dir / name).read_bytes() for name in kept} == kept
        assert not [p for p in state_dir.iterdir() if p.name.endswith(".tmp")], "no temp file left behind"
        assert not [p for p in state_dir.iterdir() if ".corrupt-" in p.name], "a full disk is not corruption"
        filler.unlink()
        again = run_cli(*argv)
        assert again.code == 0, again.err
