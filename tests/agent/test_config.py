"""Agent configuration: the environment is read once into AgentEnv; argv > env > file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli import build_parser
from agent.config import AgentEnv, resolve_agent, resolve_security
from agent.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_env_is_captured_once_with_the_documented_names(tmp_path: Path) -> None:
    env = AgentEnv.read({
        "NETCENSUS_AGENT_STATE": str(tmp_path / "state"), "NETCENSUS_LOG_LEVEL": "debug", "NETCENSUS_DEBUG": "1",
        "NETCENSUS_COLLECTOR": "10.0.0.5:50051", "NETCENSUS_ENROL_SECRET": "s3cret",
        "NETCENSUS_CA": "/etc/ca.pem", "NETCENSUS_CERT": "/etc/c.pem", "NETCENSUS_KEY": "/etc/k.pem",
    })
    assert env.state_dir == tmp_path / "state" and env.log_level == "debug" and env.debug
    assert env.collector == "10.0.0.5:50051" and env.enrol_secret == "s3cret"
    assert (env.ca, env.cert, env.key) == (Path("/etc/ca.pem"), Path("/etc/c.pem"), Path("/etc/k.pem"))
    assert "s3cret" not in repr(env)


def test_empty_env_gives_the_defaults(tmp_path: Path) -> None:
    env = AgentEnv.read({"XDG_STATE_HOME": str(tmp_path)})
    assert env.log_level == "warning" and not env.debug and env.collector == "" and env.enrol_secret == ""
    assert env.ca is None and env.cert is None and env.key is None
    assert env.state_dir in (tmp_path / "netcensus-agent", Path("/var/lib/netcensus-agent"))  # root or not


def test_log_level_default_comes_from_the_env_and_the_flag_wins() -> None:
    env = AgentEnv.read({"NETCENSUS_LOG_LEVEL": "INFO"})
    assert build_parser(env).parse_args(["status"]).log_level == "info"
    assert build_parser(env).parse_args(["--log-level", "error", "status"]).log_level == "error"
    assert build_parser(AgentEnv.read({})).parse_args(["status"]).log_level == "warning"


def test_collector_argv_beats_env_beats_file(tmp_path: Path) -> None:
    config = write(tmp_path / "agent.toml", '[agent]\ncollector = "file:1"\n')
    env = AgentEnv.read({"NETCENSUS_COLLECTOR": "env:1"})
    assert resolve_agent(collector="argv:1", config=config, state_dir=None, env=env).collector == "argv:1"
    assert resolve_agent(collector=None, config=config, state_dir=None, env=env).collector == "env:1"
    assert resolve_agent(collector=None, config=config, state_dir=None, env=AgentEnv.read({})).collector == "file:1"
    with pytest.raises(ConfigError, match="--collector HOST:PORT is required"):
        resolve_agent(collector=None, config=None, state_dir=None, env=AgentEnv.read({}))


def test_enrolment_secret_env_beats_file(tmp_path: Path) -> None:
    secret = write(tmp_path / "enrol.secret", "from-file\n")
    config = write(tmp_path / "agent.toml", f'[agent]\ncollector = "c:1"\nenrol_secret_file = "{secret}"\n')
    with_env = AgentEnv.read({"NETCENSUS_ENROL_SECRET": "from-env"})
    assert resolve_agent(collector=None, config=config, state_dir=None, env=with_env).enrol_secret == "from-env"
    assert resolve_agent(collector=None, config=config, state_dir=None,
                         env=AgentEnv.read({})).enrol_secret == "from-file"


def test_state_dir_argv_then_file_then_env(tmp_path: Path) -> None:
    # The file's state_dir overrides NETCENSUS_AGENT_STATE, as packaging/agent.toml.example documents.
    config = write(tmp_path / "agent.toml", f'[agent]\ncollector = "c:1"\nstate_dir = "{tmp_path / "file"}"\n')
    plain = write(tmp_path / "plain.toml", '[agent]\ncollector = "c:1"\n')
    env = AgentEnv.read({"NETCENSUS_AGENT_STATE": str(tmp_path / "env")})
    assert resolve_agent(collector=None, config=config, state_dir=tmp_path / "argv", env=env).state_dir == \
        tmp_path / "argv"
    assert resolve_agent(collector=None, config=config, state_dir=None, env=env).state_dir == tmp_path / "file"
    assert resolve_agent(collector=None, config=plain, state_dir=None, env=env).state_dir == tmp_path / "env"


def test_security_flags_beat_env_beat_file() -> None:
    env = AgentEnv.read({"NETCENSUS_CA": "/env/ca.pem"})
    file: dict[str, object] = {"ca": "/file/ca.pem", "cert": "/file/c.pem", "key": "/file/k.pem", "tls": True,
                               "server_name": "collector.example.org"}
    sec = resolve_security(ca=Path("/argv/ca.pem"), file=file, env=env)
    assert sec.ca == Path("/argv/ca.pem") and sec.cert == Path("/file/c.pem") and sec.tls
    assert resolve_security(file=file, env=env).ca == Path("/env/ca.pem")
    assert resolve_security(file=file, env=AgentEnv.read({})).ca == Path("/file/ca.pem")
    assert resolve_security(file=file, env=env).server_name == "collector.example.org"
    assert not resolve_security(env=AgentEnv.read({})).uses_tls


def test_a_bad_log_level_in_the_env_is_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli import main

    with pytest.raises(ConfigError, match="NETCENSUS_LOG_LEVEL='loud': use one of debug, info, warning, error"):
        AgentEnv.read({"NETCENSUS_LOG_LEVEL": "loud"})
    monkeypatch.setenv("NETCENSUS_LOG_LEVEL", "loud")
    assert main(["status"]) == 1
    assert capsys.readouterr().err == ("netcensus-agent: NETCENSUS_LOG_LEVEL='loud': use one of debug, info, "
                                       "warning, error\n")
