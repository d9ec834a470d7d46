"""The agent's words for a TLS mismatch gRPC does not name ("unreachable (Socket closed)").

The probe itself (netcensus/tls_probe.py, beside the generated stubs) is shared with the `--collector`
client, which words the same verdicts for its own flags (collector/tls_probe.py);
tests/test_tls_probes.py holds both to the same verdicts on the same servers.
"""

from __future__ import annotations

from pathlib import Path

from netcensus.tls_probe import Verdict, probe

from agent.config import Security


def tls_mismatch(target: str, security: Security, *, timeout: float = 3.0) -> str | None:
    """The agent's words for `probe`'s verdict on its channel to `target` ("this collector requires
    TLS: ..."), or None when the failure is not a TLS mismatch."""
    found = probe(target, ca=security.ca, cert=security.cert, key=security.key, tls=security.uses_tls,
                  server_name=security.server_name, timeout=timeout)
    if found is None:
        return None
    verdict, detail = found
    cert = Path(str(security.cert)).name
    trust = f"the CA in {security.ca}" if security.ca else "the system's CA roots"
    words: dict[Verdict, str] = {
        "requires-tls": "this collector requires TLS: give --ca FILE (the CA that signed its certificate), or --tls "
                        "for the system's CA roots",
        "requires-tls-and-client-cert": "this collector requires TLS and a client certificate: give --ca FILE (the "
                                        "CA that signed its certificate) and --cert FILE --key FILE (netcensus certs "
                                        "client --kind agent --name HOST)",
        "requires-client-cert": "this collector requires a client certificate (mutual TLS): give --cert FILE --key "
                                "FILE (netcensus certs client --kind agent --name HOST makes one)",
        "client-cert-refused": f"this collector does not accept our client certificate ({cert}): it must be signed "
                               "by the CA the collector trusts (its --tls-client-ca) and not expired",
        "untrusted": f"the collector's certificate is not trusted by {trust} ({detail}): give --ca with the CA that "
                     "signed it",
        "name-mismatch": f"the collector's certificate is not valid for {detail!r}: dial a name it was issued for, "
                         "give --server-name NAME, or reissue it (netcensus certs server --host NAME)",
        "plaintext-server": "this collector does not speak TLS (it serves plaintext): drop --ca/--tls/--cert, or "
                            "start it with --tls-cert and --tls-key",
    }
    return words[verdict]
