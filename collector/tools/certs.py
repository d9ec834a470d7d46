"""`netcensus certs`: a small CA and certificates for tests and small deployments (cryptography).

Keys are ECDSA P-256 (fast to make, accepted by gRPC's BoringSSL), written 0600. The CA signs a
server certificate whose subjectAltNames list every host name and address agents dial, and client
certificates (extendedKeyUsage clientAuth) for mutual TLS. Larger sites should use their own PKI;
this is the "it works on Tuesday" path.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from collector.errors import UsageError

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"


def _write(path: Path, data: bytes, private: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


CLIENT_KINDS = ("agent", "scanner", "user")


def _name(common_name: str, kind: str = "") -> x509.Name:
    """Subject O=netcensus[, OU=kind], CN=name: the collector reads the kind and name back to bind a
    client certificate to what it was issued for (collector/serve/access.py)."""
    unit = [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, kind)] if kind else []
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "netcensus"), *unit,
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def ensure_ca(directory: Path, *, days: int = 3650) -> tuple[Path, Path]:
    """Create the CA in `directory` unless it exists; returns (cert, key) paths."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / CA_CERT, directory / CA_KEY
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("netcensus CA")).issuer_name(_name("netcensus CA"))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return cert_path, key_path


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = ensure_ca(directory)
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{directory}: cannot load the CA ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise UsageError(f"{key_path}: not an EC key made by `netcensus certs`")
    return cert, key


def _san(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def issue(directory: Path, name: str, *, hosts: Sequence[str] = (), client: bool = False,
          days: int = 825, kind: str = "agent") -> tuple[Path, Path]:
    """Issue `<name>.pem` and `<name>-key.pem` signed by the CA in `directory` (created if missing).

    A client certificate carries `kind` (agent, scanner or user) and `name`: Query and Admin accept
    only a user certificate whose name is the API token's name."""
    if not name or "/" in name or name.startswith("."):
        raise UsageError(f"{name!r} is not a usable certificate name")
    if client and kind not in CLIENT_KINDS:
        raise UsageError(f"certificate kind {kind!r}: use {', '.join(CLIENT_KINDS)}")
    ca_cert, ca_key = _load_ca(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
    builder = (x509.CertificateBuilder().subject_name(_name(name, kind if client else "")).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                              critical=False))
    if hosts:
        builder = builder.add_extension(_san(hosts), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}-key.pem"
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return cert_path, key_path
