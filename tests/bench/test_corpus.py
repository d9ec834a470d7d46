"""The corpus builder: deterministic vendor-wise split, labels only from independent sources."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench import corpus


def test_split_is_by_whole_enterprise_number_and_stable() -> None:
    assert corpus.split_of(9, "a") == corpus.split_of(9, "b")  # same vendor, same side, whatever the name
    splits = [corpus.split_of(n, "") for n in range(1, 2001)]
    assert 0.25 < splits.count("holdout") / len(splits) < 0.35
    assert splits == [corpus.split_of(n, "") for n in range(1, 2001)]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_librenms_expected_answers_become_labels(tmp_path: Path) -> None:
    """A LibreNMS-layout checkout: recording + expected JSON -> labels; placeholders are no label."""
    repo = tmp_path / "lnms"
    (repo / "tests" / "data").mkdir(parents=True)
    (repo / "tests" / "snmpsim").mkdir()
    (repo / "tests" / "snmpsim" / "acme_x1.snmprec").write_text(
        "1.3.6.1.2.1.1.1.0|4|Acme X1 switch 2.3\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1.1\n")
    (repo / "tests" / "snmpsim" / "acme_x2.snmprec").write_text("1.3.6.1.2.1.1.1.0|4|Linux box\n")
    device = {"sysObjectID": ".1.3.6.1.4.1.99999.1.1", "sysDescr": "Acme X1 switch 2.3", "hardware": "X1",
              "version": "2.3", "serial": "<private>", "os": "acmeos", "type": "network", "icon": "junos.svg"}
    (repo / "tests" / "data" / "acme_x1.json").write_text(json.dumps({"os": {"discovery": {"devices": [device]}}}))
    linux = {"hardware": "Generic x86 64-bit", "version": "5.10", "type": "server", "icon": "linux.svg"}
    (repo / "tests" / "data" / "acme_x2.json").write_text(json.dumps({"os": {"discovery": {"devices": [linux]}}}))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    out = tmp_path / "out"
    assert corpus.main(["build", str(out), "--snmpsim-data", str(tmp_path / "none"), "--librenms", str(repo),
                        "--manifest", str(tmp_path / "manifest.json")]) == 0
    labels = {}
    for split in ("dev", "holdout"):
        labels.update(json.loads((out / split / "labels.json").read_text()))
        for name in json.loads((out / split / "labels.json").read_text()):
            assert (out / split / f"{name}.snmprec").is_file()
    x1, x2 = labels["librenms-acme_x1"], labels["librenms-acme_x2"]
    assert (x1["vendor"], x1["type"], x1["model"], x1["firmware"], x1["serial"]) == (
        "Juniper", ["switch", "router"], "X1", "2.3", None)   # product icon -> brand; <private> is no serial
    assert x1["enterprise"] == 99999
    assert (x2["vendor"], x2["model"], x2["firmware"]) == (None, None, "5.10")  # OS icon, CPU "hardware"
    rows = json.loads((tmp_path / "manifest.json").read_text())
    assert {r["licence"] for r in rows} == {"GPL-3.0"} and not any(r["committed"] for r in rows)
    assert all(len(r["sha256"]) == 64 for r in rows)


def test_a_folder_that_is_not_a_checkout_is_a_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert corpus.main(["build", str(tmp_path / "o"), "--librenms", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("corpus: ") and err.count("\n") == 1


def test_a_fresh_corpus_keeps_only_what_a_built_one_does_not_hold(tmp_path: Path) -> None:
    """By name, by content, and by the same system group recorded again under another name."""
    old = tmp_path / "old" / "dev"
    old.mkdir(parents=True)
    (old / "librenms-a.snmprec").write_bytes(b"1.3.6.1.2.1.1.1.0|4|A\n")
    (old / "librenms-b.snmprec").write_bytes(b"1.3.6.1.2.1.1.1.0|4|B\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1\n")

    def rec(name: str, data: bytes) -> corpus.Recording:
        return corpus.Recording(name=name, source="s", path=name, commit="c", licence="GPL-3.0", committed=False,
                                data=data)

    kept = corpus.unseen([rec("librenms-a", b"1.3.6.1.2.1.1.1.0|4|A changed\n"),
                          rec("librenms-b2", b"1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1\n"
                                             b"1.3.6.1.2.1.1.1.0|4|B\n9.9|4|x\n"),
                          rec("librenms-c", b"1.3.6.1.2.1.1.1.0|4|A\n"),
                          rec("librenms-d", b"1.3.6.1.2.1.1.1.0|4|D\n")], [tmp_path / "old"])
    assert [r.name for r in kept] == ["librenms-d"]
    assert corpus.split_of(9, "", salt="another:", holdout_percent=100) == "holdout"
    assert corpus.split_of(9, "", salt="another:", holdout_percent=0) == "dev"
