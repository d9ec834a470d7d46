"""Why a gRPC channel to the collector failed, when the reason is a TLS mismatch gRPC does not name.

gRPC reports every failed connection as UNAVAILABLE, and for a TLS mismatch often with no more than
"Socket closed": plaintext at a TLS collector, TLS at a plaintext one, a collector that wants a client
certificate, a certificate the given CA did not sign. Each needs a different fix, so after such a
failure the caller opens one connection of its own with the standard library's `ssl` (same CA,
certificate and expected name as its channel) and `probe` names what it finds. It runs only after a
failure, costs a handshake or two, and sends nothing but the HTTP/2 connection preface (which a gRPC
server reads anyway); no report, key, secret or token.

TLS 1.3 detail: a server that requires a client certificate checks it after the client's side of
the handshake is done, so the refusal arrives on the first read (RFC 8446 §4.4.2.4): an alert
(`certificate_required`), or, from gRPC's TLS stack, the connection simply closed where a gRPC server
would answer the HTTP/2 preface with its SETTINGS frame. The probe therefore reads once.

Why here, beside the generated `netcensus.v1`: the agent (agent/transport/diagnose.py) and the
`--collector` client (collector/tls_probe.py) both need it, and they meet only in this package; each
keeps its own words for the verdict, since they name different flags.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from typing import Literal

# The HTTP/2 client connection preface (RFC 9113 §3.4): what a gRPC client sends first anyway.
_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# Alerts a TLS server sends when it does not accept the client certificate it got (RFC 8446 §6.2).
_REFUSED = ("UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN", "DECRYPT_ERROR", "CERTIFICATE_EXPIRED",
            "UNSUPPORTED_CERTIFICATE", "ACCESS_DENIED")

Verdict = Literal["requires-tls", "requires-tls-and-client-cert", "requires-client-cert", "client-cert-refused",
                  "untrusted", "name-mismatch", "plaintext-server"]


def _host_port(target: str) -> tuple[str, int] | None:
    """(host, port) of a HOST:PORT target, None for other forms (Unix sockets, resolver URIs)."""
    if "://" in target or target.startswith(("unix:", "unix-abstract:")):
        return None
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _context(ca: Path | None, cert: Path | None, key: Path | None) -> ssl.SSLContext:
    """A client context as the channel's: the given CA (or the system's roots), our certificate if any."""
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    context.set_alpn_protocols(["h2"])
    if cert and key:
        context.load_cert_chain(str(cert), str(key))
    return context


def _unverified() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    return context


def _speaks_tls(host: str, port: int, timeout: float) -> bool:
    """True when whatever listens at host:port completes a TLS handshake."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                _unverified().wrap_socket(raw, server_hostname=host):
            return True
    except (OSError, ssl.SSLError):
        return False


def _wants_client_cert(host: str, port: int, timeout: float) -> bool:
    """True when a TLS server at host:port refuses a client without a certificate (mutual TLS)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                _unverified().wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(_PREFACE)
            return tls.recv(1) == b""  # a gRPC server answers the preface with its SETTINGS
    except ssl.SSLError as exc:
        return "CERTIFICATE_REQUIRED" in str(exc).upper() or "HANDSHAKE_FAILURE" in str(exc).upper()
    except ConnectionResetError:
        return True
    except OSError:
        return False


def probe(target: str, *, ca: Path | None, cert: Path | None, key: Path | None, tls: bool,
          server_name: str = "", timeout: float = 3.0) -> tuple[Verdict, str] | None:
    """What is wrong between these TLS settings and the server at `target`, with a detail; None when
    it is not TLS (nothing listens, the network is down) or TLS agrees and the failure is elsewhere.

    Args:
        target: HOST:PORT as dialled.
        ca, cert, key: the channel's CA, client certificate and key (None: not given).
        tls: the channel is encrypted.
        server_name: the name expected in the server's certificate ("" = the host dialled).
        timeout: seconds for each connect and handshake.
    """
    where = _host_port(target)
    if where is None:
        return None
    host, port = where
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError:
        return None  # nothing listens or nothing answers: gRPC's own words say that well enough
    if not tls:
        if not _speaks_tls(host, port, timeout):
            return None
        return ("requires-tls-and-client-cert", "") if _wants_client_cert(host, port, timeout) else ("requires-tls", "")
    try:
        context = _context(ca, cert, key)
    except (OSError, ssl.SSLError):
        return None  # a file we cannot read: the channel's own error says which
    name = server_name or host
    refused: tuple[Verdict, str] = ("client-cert-refused", "") if cert else ("requires-client-cert", "")
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=name) as channel:
            channel.sendall(_PREFACE)
            if channel.recv(1) == b"":  # closed instead of SETTINGS: it refused our (missing) certificate
                return refused
    except ssl.SSLCertVerificationError as exc:
        detail = exc.verify_message or str(exc)
        return ("name-mismatch", name) if "mismatch" in detail.lower() else ("untrusted", detail)
    except ssl.SSLError as exc:
        text = str(exc).upper()
        if "CERTIFICATE_REQUIRED" in text or ("HANDSHAKE_FAILURE" in text and not cert):
            return "requires-client-cert", ""
        if any(word in text for word in _REFUSED):
            return "client-cert-refused", ""
        return None if _speaks_tls(host, port, timeout) else ("plaintext-server", "")
    except ConnectionResetError:
        return refused if _speaks_tls(host, port, timeout) else ("plaintext-server", "")
    except OSError:
        return None if _speaks_tls(host, port, timeout) else ("plaintext-server", "")
    return None
