"""The shipped example config and systemd unit stay valid as the code moves."""

from __future__ import annotations

import configparser
from pathlib import Path

from agent.config import AgentEnv, resolve_agent

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def test_example_config_loads(tmp_path: Path) -> None:
    text = (PACKAGING / "agent.toml.example").read_text(encoding="utf-8")
    secret = tmp_path / "enrol.secret"
    secret.write_text("s3cret\n", encoding="utf-8")
    config = tmp_path / "agent.toml"
    config.write_text(text.replace("/etc/netcensus/enrol.secret", str(secret)), encoding="utf-8")
    resolved = resolve_agent(collector=None, config=config, state_dir=None, env=AgentEnv.read({}))
    assert resolved.collector == "inventory.example.org:50051"
    assert resolved.interval_s == 3600 and resolved.memory_ceiling_mb == 80
    assert resolved.enrol_secret == "s3cret"


def test_systemd_unit_is_hardened() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(PACKAGING / "systemd" / "netcensus-agent.service")
    service = unit["Service"]
    assert "netcensus-agent report" in service["ExecStart"]
    for key in ("ProtectSystem", "NoNewPrivileges", "StateDirectory", "MemoryMax", "CPUQuota", "Restart"):
        assert key in service, key
