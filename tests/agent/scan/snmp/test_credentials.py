"""Credentials: the order they are tried in, and labels that never show a secret."""

from __future__ import annotations

from agent.scan.options import SnmpV3User, SweepOptions
from agent.scan.snmp.credentials import credentials


def test_credential_order_and_labels() -> None:
    opts = SweepOptions(communities=("a-community", "b-community"),
                        v3_users=(SnmpV3User("u", "sha", "authpass1"),))
    creds = credentials(opts)
    assert [c.label for c in creds] == ["v2c community #1", "v2c community #2", "v3 user #1 (authNoPriv)",
                                        "v1 community #1", "v1 community #2"]
    assert "a-community" not in repr(creds)
