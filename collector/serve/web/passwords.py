"""Dashboard passwords, kept only as scrypt hashes (hashlib.scrypt, RFC 7914).

Why scrypt and these costs: people choose passwords, so the hash must be slow and memory-hard to
make guessing a stolen table expensive; scrypt ships with Python's hashlib (OpenSSL), so no extra
package is needed. n=2**15, r=8, p=1 is the cost OWASP's Password Storage Cheat Sheet lists for
scrypt (about 32 MiB and 50-100 ms here), paid once per login, never per page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from collector.errors import UsageError

_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
MIN_LENGTH = 10


def hash_password(password: str, *, n: int = _N) -> str:
    """'scrypt$n$r$p$salt$hash' (base64) of a new random salt."""
    check_password(password)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, maxmem=_MAXMEM, dklen=32)
    return "$".join(["scrypt", str(n), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` has the stored hash (False for a malformed one, never an exception)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_password(password: str) -> str:
    """A password good enough to store; UsageError says why not."""
    if len(password) < MIN_LENGTH:
        raise UsageError(f"password too short: use at least {MIN_LENGTH} characters")
    if any(ord(c) < 32 for c in password):
        raise UsageError("password has control characters (a pasted line break?)")
    return password


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
