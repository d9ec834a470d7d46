"""The `netcensus --collector` client's words for a TLS mismatch gRPC does not name.

The probe itself (netcensus/tls_probe.py, beside the generated stubs) is shared with the agent, which
words the same verdicts for its own flags (agent/transport/diagnose.py); tests/test_tls_probes.py
holds both to the same verdicts on the same servers. It never sends the API token.
"""

from __future__ import annotations

from pathlib import Path

from netcensus.tls_probe import Verdict, probe


def tls_mismatch(target: str, *, ca: Path | None, cert: Path | None, key: Path | None,
                 timeout: float = 3.0) -> str | None:
    """The `netcensus --collector` words for `probe`'s verdict, or None when it is not a TLS mismatch."""
    found = probe(target, ca=ca, cert=cert, key=key, tls=bool(ca or cert or key), timeout=timeout)
    if found is None:
        return None
    verdict, detail = found
    words: dict[Verdict, str] = {
        "requires-tls": "this collector requires TLS: give --ca FILE (the CA that signed its certificate)",
        "requires-tls-and-client-cert": "this collector requires TLS and a client certificate: give --ca FILE and "
                                        "--cert FILE --key FILE (a user certificate named as your token: netcensus "
                                        "certs client --kind user --name NAME)",
        "requires-client-cert": "this collector requires a client certificate (mutual TLS): give --cert FILE --key "
                                "FILE (a user certificate named as your token: netcensus certs client --kind user "
                                "--name NAME)",
        "client-cert-refused": f"this collector does not accept the client certificate {Path(str(cert)).name}: it "
                               "must be signed by the CA the collector trusts (its --tls-client-ca) and not expired",
        "untrusted": f"the collector's certificate is not trusted by the CA in {ca} ({detail}): give --ca with the CA "
                     "that signed it",
        "name-mismatch": f"the collector's certificate is not valid for {detail!r}: dial a name it was issued for, "
                         "or reissue it (netcensus certs server --host NAME)",
        "plaintext-server": "this collector does not speak TLS (it serves plaintext): drop --ca/--cert/--key",
    }
    return words[verdict]
