"""Shared fixtures for scanner tests: root/tool checks and namespace labs."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from agent.lab.namespaces import Lab, default_hosts, have_tools


def need_root(*tools: str) -> None:
    """Skip unless root and every tool is installed (namespace tests)."""
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    missing = [t for t in ("ip", *tools) if not have_tools(t)]
    if missing:
        pytest.skip(f"missing tools: {', '.join(missing)}")


@pytest.fixture(scope="module")
def demo_lab() -> Iterator[Lab]:
    """The default 4-host lab with snmpd on host 1, shared by a module's tests."""
    need_root("snmpd")
    with Lab(default_hosts(snmpd=True)) as lab:
        yield lab
