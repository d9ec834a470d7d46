"""How the agent dials the collector: TLS, mutual TLS, or plaintext on loopback (adapter over grpc).

Plaintext is allowed without asking only when the collector is on loopback (a lab, a test, a
collector on the same host); anywhere else it takes an explicit `--plaintext`, because node keys
and inventories would cross the network in the clear.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

import grpc

from agent.config import Security
from agent.errors import ConfigError

log = logging.getLogger("netcensus.agent.transport")

# Keepalive pings notice a collector that vanished (kill -9, cable pulled) while we wait for acks.
CHANNEL_OPTIONS: list[tuple[str, int | str]] = [
    ("grpc.max_send_message_length", 64 << 20),
    ("grpc.max_receive_message_length", 4 << 20),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.enable_retries", 0),
]


def target_is_loopback(target: str) -> bool:
    """True for 127.0.0.0/8, ::1, localhost and unix sockets."""
    if target.startswith(("unix:", "unix-abstract:")):
        return True
    host = target.rsplit(":", 1)[0] if target.count(":") == 1 or target.startswith("[") else target
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror}") from exc


def open_channel(target: str, security: Security) -> grpc.Channel:
    """A channel to the collector with the requested security; plaintext off loopback needs consent."""
    options = list(CHANNEL_OPTIONS)
    if security.uses_tls:
        if bool(security.cert) != bool(security.key):
            raise ConfigError("--cert and --key go together (client certificate and its private key)")
        creds = grpc.ssl_channel_credentials(
            root_certificates=_read(security.ca, "CA certificate"),
            private_key=_read(security.key, "client key"),
            certificate_chain=_read(security.cert, "client certificate"))
        if security.server_name:
            options.append(("grpc.ssl_target_name_override", security.server_name))
        return grpc.secure_channel(target, creds, options=options)
    if not target_is_loopback(target):
        if not security.plaintext:
            raise ConfigError(f"collector {target} is not on loopback: give --ca FILE for TLS, "
                              "or --plaintext to send in the clear")
        log.warning("sending to %s in plaintext (--plaintext): node key and inventory are not encrypted", target)
    return grpc.insecure_channel(target, options=options)
