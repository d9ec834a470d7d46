"""SNMP secrets come from a private file or the environment, never argv, and are never logged (issue #14c)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from agent.cli import main
from agent.config import AgentEnv
from agent.errors import ConfigError
from agent.scan.options import SnmpV3User, SweepOptions
from agent.scan.schedule import load_scan_config
from agent.scan.secrets import load_secrets_file, resolve_secrets, secrets_from_env

COMMUNITY = "zq-community-7f3a"
AUTH = "zq-authkey-91c2"
PRIV = "zq-privkey-44d8"
FILE = f"""
communities = ["{COMMUNITY}", "second-zq"]

[[v3]]
user = "netcensus"
auth_protocol = "SHA256"
auth_key = "{AUTH}"
priv_protocol = "aes"
priv_key = "{PRIV}"
"""


def _private(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def _env(tmp_path: Path, **values: str) -> AgentEnv:
    return AgentEnv.read({"NETCENSUS_AGENT_STATE": str(tmp_path / "state"), **values})


def test_community_on_argv_is_refused_with_where_to_put_it(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "192.0.2.1", "--methods", "snmp", "--format", "json", "--community", COMMUNITY])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--snmp-credentials FILE" in err and "NETCENSUS_SNMP_COMMUNITIES" in err and "chmod 600" in err
    assert COMMUNITY not in err


def test_credentials_file_loads_communities_and_v3_users(tmp_path: Path) -> None:
    secrets = load_secrets_file(_private(tmp_path / "snmp.toml", FILE))
    assert secrets.communities == (COMMUNITY, "second-zq")
    assert secrets.v3_users == (SnmpV3User("netcensus", "sha256", AUTH, "aes", PRIV),)
    assert COMMUNITY not in repr(secrets) and AUTH not in repr(secrets) and PRIV not in repr(secrets)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_a_file_others_can_read_or_write_is_refused(tmp_path: Path, mode: int) -> None:
    path = _private(tmp_path / "snmp.toml", FILE, mode)
    with pytest.raises(ConfigError, match=rf"secrets file is accessible to group or others \(mode 0{mode:o}\); "
                                          rf"make it private with: chmod 600 ") as err:
        load_secrets_file(path)
    assert COMMUNITY not in str(err.value)


def test_scheduled_sweep_secret_files_must_be_private_too(tmp_path: Path) -> None:
    community = _private(tmp_path / "community", COMMUNITY + "\n", 0o644)
    config = tmp_path / "scan.toml"
    config.write_text(f'[[credential]]\nname = "c"\ntype = "community"\ncommunity_file = "{community}"\n\n'
                      '[[job]]\nname = "j"\ntargets = ["192.0.2.0/30"]\nmethods = ["snmp"]\ncredentials = ["c"]\n')
    with pytest.raises(ConfigError, match="chmod 600") as err:
        load_scan_config(config)
    assert COMMUNITY not in str(err.value)
    community.chmod(0o600)
    assert load_scan_config(config).jobs[0].credentials[0].community is not None


@pytest.mark.parametrize(("text", "message"), [
    ("communities = [", "not valid TOML"),
    ('community = ["x"]', "unknown key(s) community"),
    ("communities = []", "no credentials"),
    (f'[[v3]]\nuser = "u"\nauth_protocol = "sha"\nauth_key = "short"\nauth_pass = "{AUTH}"\n',
     "unknown key(s) auth_pass"),
    ('[[v3]]\nuser = "u"\nauth_protocol = "sha"\nauth_key = "short"\n', "auth key must be at least 8 characters"),
    (f'[[v3]]\nuser = "u"\npriv_protocol = "aes"\npriv_key = "{PRIV}"\n', "privacy needs an auth protocol"),
])
def test_bad_credentials_file_is_one_line_without_the_secret(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_secrets_file(_private(tmp_path / "snmp.toml", text))
    assert message in str(err.value) and "\n" not in str(err.value)
    assert AUTH not in str(err.value) and PRIV not in str(err.value)


def test_environment_variables(tmp_path: Path) -> None:
    env = _env(tmp_path, NETCENSUS_SNMP_COMMUNITIES=f"{COMMUNITY}, other", NETCENSUS_SNMP_COMMUNITY="ignored",
               NETCENSUS_SNMP_V3_USER="netcensus", NETCENSUS_SNMP_V3_AUTH_PROTOCOL="sha",
               NETCENSUS_SNMP_V3_AUTH_KEY=AUTH)
    assert COMMUNITY not in repr(env) and AUTH not in repr(env)
    secrets = secrets_from_env(env)
    assert secrets is not None and secrets.communities == (COMMUNITY, "other")
    assert secrets.v3_users == (SnmpV3User("netcensus", "sha", AUTH),)
    one = secrets_from_env(_env(tmp_path, NETCENSUS_SNMP_COMMUNITY="a,b"))
    assert one is not None and one.communities == ("a,b",) and one.v3_users == ()
    with pytest.raises(ConfigError, match="NETCENSUS_SNMP_V3_USER is not"):
        secrets_from_env(_env(tmp_path, NETCENSUS_SNMP_V3_AUTH_KEY=AUTH))


def test_precedence_argv_file_then_env_file_then_env_values_then_the_public_default(tmp_path: Path) -> None:
    argv_file = _private(tmp_path / "argv.toml", 'communities = ["from-argv-file"]\n')
    env_file = _private(tmp_path / "env.toml", 'communities = ["from-env-file"]\n')
    env = _env(tmp_path, NETCENSUS_SNMP_CREDENTIALS=str(env_file), NETCENSUS_SNMP_COMMUNITY="from-env")
    assert resolve_secrets(argv_file, env).communities == ("from-argv-file",)  # type: ignore[union-attr]
    assert resolve_secrets(None, env).communities == ("from-env-file",)  # type: ignore[union-attr]
    env = _env(tmp_path, NETCENSUS_SNMP_COMMUNITY="from-env")
    assert resolve_secrets(None, env).communities == ("from-env",)  # type: ignore[union-attr]
    assert resolve_secrets(None, _env(tmp_path)) is None
    assert SweepOptions().communities == ("public",)  # nothing given: the default stays, as before


def test_secrets_are_never_logged_during_a_sweep(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI with every credential kind at debug level, then the SNMP scanner itself against loopback
    (nothing listens there; a sweep skips loopback, so the scanner is called directly for it)."""
    import threading
    import time

    from agent.scan.snmp import run_snmp
    from agent.scan.targets import parse_targets

    creds = _private(tmp_path / "snmp.toml", FILE)
    caplog.set_level(logging.DEBUG)
    code = main(["--log-level", "debug", "scan", "127.0.0.1", "--methods", "snmp", "--format", "json",
                 "--snmp-credentials", str(creds)])
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out) == []
    assert "skipped 1 loopback address (127.0.0.1)" in err  # the sweep said why it probed nothing
    secrets = load_secrets_file(creds)
    options = SweepOptions(communities=secrets.communities, v3_users=secrets.v3_users, timeout_s=0.2, retries=0)
    said: list[object] = []
    run_snmp(parse_targets(["127.0.0.1"], resolve=False), options, said.append, stop=threading.Event(),
             deadline=time.monotonic() + 30)
    assert [getattr(s, "target", None) for s in said] == ["127.0.0.1"]  # the scanner ran and said what happened
    assert caplog.records  # debug logging was on and did record the sweep
    for secret in (COMMUNITY, AUTH, PRIV):
        assert secret not in caplog.text and secret not in out and secret not in err and secret not in repr(said)
