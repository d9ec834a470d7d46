"""The collector's vulns_dir: new and changed entries imported, quiet ones skipped, failures logged."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from collector.config import resolve_serve
from collector.errors import UsageError
from collector.store.duckdb import Store
from collector.store.vulns_sql import VulnStore
from collector.vulns.schedule import FeedDirectory
from tests.collector.vulns.vulns_support import BAD, NOW, OSV


def test_entries_are_sources_and_only_changes_are_reimported(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                                              ) -> None:
    feeds = tmp_path / "feeds"
    (feeds / "Debian").mkdir(parents=True)
    shutil.copy(OSV / "DSA-2896-1.json", feeds / "Debian")
    shutil.copy(OSV / "GHSA-p8p7-x288-28g6.json", feeds / "npm.json")
    (feeds / "broken").mkdir()
    shutil.copy(BAD / "truncated.json", feeds / "broken")
    store = Store.open(tmp_path / "nc.duckdb")
    try:
        directory = FeedDirectory(VulnStore(store), feeds, lambda: NOW)
        with caplog.at_level(logging.INFO, logger="netcensus.vulns"):
            done = directory.run_once()
        assert sorted(o.source for o in done) == ["Debian", "npm"]
        assert "broken: no valid OSV record found" in caplog.text and "truncated.json" in caplog.text
        assert directory.run_once() == []  # nothing changed
        shutil.copy(OSV / "DEBIAN-CVE-2014-0160.json", feeds / "Debian")
        (again,) = directory.run_once()
        assert (again.source, again.records) == ("Debian", 2)
        os.utime(feeds / "npm.json", ns=(1, 1))  # touched: imported again, same content
        assert [o.source for o in directory.run_once()] == ["npm"]
        assert sorted(s.source for s in VulnStore(store).status()) == ["Debian", "npm"]
    finally:
        store.close()


def test_config_keys(tmp_path: Path) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text(f'db = "{tmp_path}/nc.duckdb"\nvulns_dir = "{tmp_path}/feeds"\nvulns_interval = "12h"\n')
    config = resolve_serve(db=None, listen=None, rules=None, ghost_after=None, config=conf, env={})
    assert config.vulns_dir == tmp_path / "feeds" and config.vulns_interval.total_seconds() == 12 * 3600
    conf.write_text(f'db = "{tmp_path}/nc.duckdb"\nvulns_interval = "often"\n')
    with pytest.raises(UsageError, match="vulns_interval"):
        resolve_serve(db=None, listen=None, rules=None, ghost_after=None, config=conf, env={})
    conf.write_text(f'db = "{tmp_path}/nc.duckdb"\n')
    assert resolve_serve(db=None, listen=None, rules=None, ghost_after=None, config=conf, env={}).vulns_dir is None
