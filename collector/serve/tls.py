"""TLS for the collector's gRPC server and for the admin/query client (adapter over grpc credentials).

Files are read here, once, so a missing or unreadable certificate is a one-line UsageError at
start-up instead of a vague handshake failure later.
"""

from __future__ import annotations

from pathlib import Path

import grpc

from collector.errors import UsageError


def _read(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read {what}: {exc.strerror}") from exc
    if b"-----BEGIN" not in data:
        raise UsageError(f"{path}: {what} is not PEM")
    return data


def server_credentials(cert: Path, key: Path, client_ca: Path | None) -> grpc.ServerCredentials:
    """Server certificate and key; with client_ca, every client must present a certificate it signed."""
    return grpc.ssl_server_credentials(
        [(_read(key, "TLS key"), _read(cert, "TLS certificate"))],
        root_certificates=_read(client_ca, "client CA certificate") if client_ca else None,
        require_client_auth=client_ca is not None)


def channel_credentials(ca: Path | None, cert: Path | None, key: Path | None) -> grpc.ChannelCredentials:
    """Client side: trust `ca` (system roots when None), present cert/key for mutual TLS."""
    if bool(cert) != bool(key):
        raise UsageError("--cert and --key go together (client certificate and its private key)")
    return grpc.ssl_channel_credentials(
        root_certificates=_read(ca, "CA certificate") if ca else None,
        private_key=_read(key, "client key") if key else None,
        certificate_chain=_read(cert, "client certificate") if cert else None)
