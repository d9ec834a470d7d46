"""Shared fixtures for the agent's fact tests: recorded machine roots under tests/data/agent."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "agent"


@pytest.fixture
def data_dir() -> Path:
    """tests/data/agent."""
    return DATA


@pytest.fixture
def make_root(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a recorded root (tests/data/agent/roots/NAME) into tmp_path and return its path.

    A copy, because tests add files (dpkg database, info/*.list with chosen mtimes) and git does
    not keep mtimes.
    """

    def make(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(DATA / "roots" / name, target, symlinks=True)
        return target

    return make
