"""TLS for the collector's gRPC server and for the admin/query client (adapter over grpc credentials),
and the identity a client certificate made by `netcensus certs` was issued for.

Files are read here, once, so a missing or unreadable certificate is a one-line UsageError at
start-up instead of a vague handshake failure later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

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


@dataclass(frozen=True, slots=True)
class CertIdentity:
    """Who a client certificate was issued for: its kind (the subject's OU, "agent", "scanner" or
    "user" for certificates made by `netcensus certs`; "" otherwise) and name (the CN)."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind or '?'}:{self.name}"

    def forward(self) -> str:
        """As a front-end passes it on in a header (ASCII only: a CN may hold anything)."""
        return quote(self.kind, safe="") + ":" + quote(self.name, safe="")

    @classmethod
    def parse(cls, text: str) -> CertIdentity | None:
        """The forward() form back; None for ''."""
        if not text:
            return None
        kind, _, name = text.partition(":")
        return cls(unquote(kind), unquote(name))


def certificate_identity(pem: bytes) -> CertIdentity | None:
    """The identity in a PEM client certificate; None when it does not parse."""
    # Imported here: the light `--collector` client loads this module for its channel credentials.
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None

    def first(oid: Any) -> str:
        values = cert.subject.get_attributes_for_oid(oid)
        value = values[0].value if values else ""
        return value if isinstance(value, str) else value.decode(errors="replace")

    return CertIdentity(first(NameOID.ORGANIZATIONAL_UNIT_NAME), first(NameOID.COMMON_NAME))


def peer_identity(context: grpc.aio.ServicerContext[Any, Any]) -> CertIdentity | None:
    """The verified client certificate's identity on this call, None without mutual TLS."""
    pems = (context.auth_context() or {}).get("x509_pem_cert") or []
    return certificate_identity(pems[0]) if pems else None
