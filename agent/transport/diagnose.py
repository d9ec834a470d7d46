"""Why the collector cannot be reached, when the reason is a TLS mismatch gRPC does not name.

gRPC reports every failed connection as UNAVAILABLE, and for a TLS mismatch often with no more than
"Socket closed": a plaintext agent at a TLS collector, a TLS agent at a plaintext one, a collector
that wants a client certificate, a certificate the given CA did not sign. Each needs a different
fix, so after such a failure the agent opens one connection of its own with the standard library's
`ssl` (same CA, certificate and expected name as the channel) and names what it finds. The probe
runs only after a failure, costs one handshake, and sends nothing but the HTTP/2 connection preface
(which a gRPC server reads anyway); no report, key or secret.

TLS 1.3 detail: a server that requires a client certificate checks it after the client's side of
the handshake is done, so the refusal arrives on the first read (RFC 8446 §4.4.2.4): an alert
(`certificate_required`), or, from gRPC's TLS stack, the connection simply closed where a gRPC server
would answer the HTTP/2 preface with its SETTINGS frame. The probe therefore reads once.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

from agent.config import Security

# The HTTP/2 client connection preface (RFC 9113 §3.4): what a gRPC client sends first anyway.
_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _host_port(target: str) -> tuple[str, int] | None:
    """(host, port) of a HOST:PORT target, None for other forms (Unix sockets, resolver URIs)."""
    if "://" in target or target.startswith(("unix:", "unix-abstract:")):
        return None
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _context(security: Security) -> ssl.SSLContext:
    """A client context as the channel's: the given CA (or the system's roots), our certificate if any."""
    context = ssl.create_default_context(cafile=str(security.ca) if security.ca else None)
    context.set_alpn_protocols(["h2"])
    if security.cert and security.key:
        context.load_cert_chain(str(security.cert), str(security.key))
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


_CERT_REQUIRED = ("this collector requires a client certificate (mutual TLS): give --cert FILE --key FILE "
                  "(netcensus certs client --kind agent --name HOST makes one)")


def _cert_refused(security: Security) -> str:
    return (f"this collector does not accept our client certificate ({Path(str(security.cert)).name}): it must "
            "be signed by the CA the collector trusts (its --tls-client-ca) and not expired")


def _client_cert_refusal(exc: ssl.SSLError, security: Security) -> str | None:
    """What a TLS alert after the handshake says about our client certificate, if it is about that."""
    text = str(exc).upper()
    if "CERTIFICATE_REQUIRED" in text or ("HANDSHAKE_FAILURE" in text and not security.cert):
        return _CERT_REQUIRED
    if any(word in text for word in ("UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN", "DECRYPT_ERROR",
                                     "CERTIFICATE_EXPIRED", "UNSUPPORTED_CERTIFICATE", "ACCESS_DENIED")):
        return _cert_refused(security)
    return None


def tls_mismatch(target: str, security: Security, *, timeout: float = 3.0) -> str | None:
    """What is wrong between our TLS settings and the collector's, or None when it is not that.

    Args:
        target: the collector as dialled, HOST:PORT.
        security: the channel's TLS settings.
        timeout: seconds for the probe's connect and handshake.

    Returns:
        One clause for the user ("this collector requires TLS: ..."), or None: nothing listens, the
        network is down, or TLS agrees and the failure is elsewhere.
    """
    where = _host_port(target)
    if where is None:
        return None
    host, port = where
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError:
        return None  # nothing listens or nothing answers: gRPC's own words say that well enough
    if not security.uses_tls:
        if not _speaks_tls(host, port, timeout):
            return None
        if _wants_client_cert(host, port, timeout):
            return ("this collector requires TLS and a client certificate: give --ca FILE (the CA that signed its "
                    "certificate) and --cert FILE --key FILE (netcensus certs client --kind agent --name HOST)")
        return ("this collector requires TLS: give --ca FILE (the CA that signed its certificate), or --tls "
                "for the system's CA roots")
    try:
        context = _context(security)
    except (OSError, ssl.SSLError):
        return None  # a file we cannot read: the channel's own ConfigError says which
    name = security.server_name or host
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=name) as tls:
            tls.sendall(_PREFACE)
            if tls.recv(1) == b"":  # closed instead of SETTINGS: it refused our (missing) certificate
                return _CERT_REQUIRED if not security.cert else _cert_refused(security)
    except ssl.SSLCertVerificationError as exc:
        detail = exc.verify_message or str(exc)
        if "mismatch" in detail.lower():
            return (f"the collector's certificate is not valid for {name!r}: dial a name it was issued for, give "
                    "--server-name NAME, or reissue it (netcensus certs server --host NAME)")
        trust = f"the CA in {security.ca}" if security.ca else "the system's CA roots"
        return f"the collector's certificate is not trusted by {trust} ({detail}): give --ca with the CA that signed it"
    except ssl.SSLError as exc:
        refusal = _client_cert_refusal(exc, security)
        if refusal is not None:
            return refusal
        return None if _speaks_tls(host, port, timeout) else _PLAINTEXT_SERVER
    except ConnectionResetError:
        if _speaks_tls(host, port, timeout):
            return _CERT_REQUIRED if not security.cert else _cert_refused(security)
        return _PLAINTEXT_SERVER
    except OSError:
        return None if _speaks_tls(host, port, timeout) else _PLAINTEXT_SERVER
    return None


_PLAINTEXT_SERVER = ("this collector does not speak TLS (it serves plaintext): drop --ca/--tls/--cert, or start it "
                     "with --tls-cert and --tls-key")
