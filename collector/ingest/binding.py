"""Which client certificate may speak for a source on Ingest under mutual TLS: the rule, kept pure.

Why: the CA signing a certificate proves membership of the estate, not "this host". Without a
binding, the holder of any valid certificate who also obtained another source's node key (a copied
state file, a backup) could report as that source. So, like Query/Admin's user binding
(collector/serve/access.py), Ingest takes only certificates issued to an agent or a scanner
(`netcensus certs client --kind agent|scanner --name NAME`, OU=kind, CN=name) of the source's own
kind, and a source keeps the certificate name of its first mutual-TLS enrolment: later enrolments
of its id and every Report stream must present that name again.

Sources enrolled without mutual TLS have no recorded name; they are bound at their first
enrolment that presents a certificate.
"""

from __future__ import annotations

import hmac

INGEST_KINDS = ("agent", "scanner")


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def certificate_problem(cert_kind: str, cert_name: str, kind: str, bound: str | None) -> str:
    """Why a certificate (kind, name) may not enrol or report as a source of `kind` whose recorded
    certificate name is `bound` (None: not bound yet); '' when it may.

    The reason goes to the caller, so it never names the bound certificate (that would tell a
    thief whose certificate to steal next); the servicer logs both names."""
    issue = f"issue one with `netcensus certs client --kind {kind} --name HOSTNAME`"
    if cert_kind not in INGEST_KINDS:
        whom = "a user" if cert_kind == "user" else "no netcensus agent or scanner identity"
        return (f"mutual TLS: certificate {cert_name!r} carries {whom}; Ingest needs {_a(kind)} certificate "
                f"({issue})")
    if cert_kind != kind:
        return (f"mutual TLS: certificate {cert_name!r} was issued to {_a(cert_kind)}, not to {_a(kind)} ({issue})")
    if not cert_name:
        return f"mutual TLS: the client certificate has no name (CN); {issue}"
    if bound is not None and not hmac.compare_digest(bound.encode(), cert_name.encode()):
        return (f"mutual TLS: certificate {cert_name!r} is not the one this source enrolled with; a source keeps "
                "the certificate of its first enrolment (to move it to another certificate, revoke it and enrol "
                "under a new source id)")
    return ""
