"""gRPC client for the admin and query commands' `--collector HOST:PORT` form (adapter: maps grpc errors).

Light on purpose: it imports grpc, the generated messages and the pure wire modules, never the
servicers, the store (duckdb, pyarrow) or the inventory core (tests/collector/test_light_client.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from netcensus.v1 import query_pb2, query_pb2_grpc

from collector.domain.decisions import Decision, DuplicateRow, Explanation
from collector.domain.findings import AssetRow, FindingRow
from collector.errors import CollectorUnreachable, NetcensusError, UsageError
from collector.serve.tls import channel_credentials
from collector.tls_probe import tls_mismatch
from collector.wire.codec import to_datetime
from collector.wire.decisions import decision_from_proto, duplicate_from_proto, explanation_from_proto
from collector.wire.metadata import AUTHORIZATION_HEADER
from collector.wire.query import asset_from_proto, finding_from_proto


class CollectorClient:
    """Talks to a running collector."""

    def __init__(self, target: str, *, token: str | None = None, timeout_s: float = 120.0,
                 ca: Path | None = None, cert: Path | None = None, key: Path | None = None) -> None:
        self.target = target
        self._tls = (ca, cert, key)
        options = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)]
        if ca or cert or key:
            self._channel = grpc.secure_channel(target, channel_credentials(ca, cert, key), options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        # Every Query and Admin call carries the API token (collector/serve/access.py).
        self._metadata = [(AUTHORIZATION_HEADER, f"Bearer {token}")] if token else []
        self._timeout = timeout_s

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()

    def __enter__(self) -> CollectorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, exc: grpc.RpcError) -> NetcensusError:
        code = exc.code() if hasattr(exc, "code") else None
        detail = exc.details() if hasattr(exc, "details") else str(exc)
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            # "Socket closed" hides a TLS mismatch; a probe of our own names it (collector/tls_probe.py).
            ca, cert, key = self._tls
            mismatch = tls_mismatch(self.target, ca=ca, cert=cert, key=key) \
                if code == grpc.StatusCode.UNAVAILABLE else None
            if mismatch is not None:
                return CollectorUnreachable(f"collector {self.target}: {mismatch}")
            first = (detail or "").splitlines()[0][:200] if detail else code.name
            return CollectorUnreachable(f"collector {self.target} is unreachable ({first})")
        if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED,
                    grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND):
            return UsageError(f"collector {self.target}: {detail or code.name}")
        return NetcensusError(f"collector {self.target}: {code.name if code else 'error'}: {detail}")

    def findings(self, *, kinds: list[str], since: datetime | None, ghost_after: timedelta | None,
                 include_resolved: bool = False) -> list[FindingRow]:
        """Stream findings."""
        request = query_pb2.FindingsRequest(kinds=kinds, include_resolved=include_resolved)
        if since is not None:
            request.since.FromDatetime(since)
        if ghost_after is not None:
            request.ghost_after_seconds = int(ghost_after.total_seconds())
        stub = query_pb2_grpc.QueryStub(self._channel)
        try:
            return [finding_from_proto(f) for f in stub.ListFindings(request, timeout=self._timeout,
                                                                     wait_for_ready=False, metadata=self._metadata)]
        except grpc.RpcError as exc:
            raise self._error(exc) from exc

    def assets(self) -> Iterator[AssetRow]:
        """Stream assets."""
        stub = query_pb2_grpc.QueryStub(self._channel)
        try:
            answers = stub.ListAssets(query_pb2.AssetsRequest(), timeout=self._timeout, metadata=self._metadata)
            return iter([asset_from_proto(a) for a in answers])
        except grpc.RpcError as exc:
            raise self._error(exc) from exc

    def import_register(self, content: bytes, fmt: str, filename: str, mapping: str = "",
                        status_map: dict[str, str] | None = None, register: str = "") -> query_pb2.ImportResponse:
        """Upload a register file for atomic import."""
        stub = query_pb2_grpc.AdminStub(self._channel)
        try:
            response: query_pb2.ImportResponse = stub.ImportRegister(
                query_pb2.ImportRequest(format=fmt, content=content, filename=filename, mapping=mapping,
                                        status_map=status_map or {}, register=register),
                timeout=self._timeout, metadata=self._metadata)
            return response
        except grpc.RpcError as exc:
            raise self._error(exc) from exc

    def revoke_source(self, source_id: str) -> bool:
        """Revoke a source's node key; False when no such source is enrolled."""
        stub = query_pb2_grpc.AdminStub(self._channel)
        try:
            response: query_pb2.RevokeSourceResponse = stub.RevokeSource(
                query_pb2.RevokeSourceRequest(source_id=source_id), timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise self._error(exc) from exc
        return bool(response.found)

    def approve_enrolment(self, source_id: str) -> datetime | None:
        """Allow one re-enrolment of source_id without its key; until when, or None (no such source)."""
        stub = query_pb2_grpc.AdminStub(self._channel)
        try:
            response: query_pb2.ApproveEnrolmentResponse = stub.ApproveEnrolment(
                query_pb2.ApproveEnrolmentRequest(source_id=source_id), timeout=self._timeout,
                metadata=self._metadata)
        except grpc.RpcError as exc:
            raise self._error(exc) from exc
        return to_datetime(response.expires_at) if response.found else None

    def sources(self) -> list[dict[str, object]]:
        """Enrolled sources."""
        stub = query_pb2_grpc.AdminStub(self._channel)

        def t(msg: query_pb2.SourceInfo, name: str) -> datetime | None:
            return to_datetime(getattr(msg, name)) if msg.HasField(name) else None  # type: ignore[arg-type]

        try:
            return [{"source_id": s.source_id, "kind": s.kind, "hostname": s.hostname or None,
                     "enrolled_at": t(s, "enrolled_at"), "revoked_at": t(s, "revoked_at"),
                     "last_report_at": t(s, "last_report_at"), "last_seq": s.last_seq or None,
                     "backlog_reports": s.backlog_reports if s.HasField("backlog_reports") else None,
                     "backlog_bytes": s.backlog_bytes if s.HasField("backlog_reports") else None,
                     "backlog_oldest": t(s, "backlog_oldest"), "backlog_at": t(s, "backlog_at"),
                     "last_error": s.last_error or None, "last_error_at": t(s, "last_error_at")}
                    for s in stub.ListSources(query_pb2.ListSourcesRequest(), timeout=self._timeout,
                                              metadata=self._metadata)]
        except grpc.RpcError as exc:
            raise self._error(exc) from exc

    def create_token(self, name: str, role: str) -> str:
        """Create a named API token; the answer is the token itself (shown once)."""
        stub = query_pb2_grpc.AdminStub(self._channel)
        try:
            response: query_pb2.CreateTokenResponse = stub.CreateToken(
                query_pb2.CreateTokenRequest(name=name, role=role), timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise self._error(exc) from exc
        return response.token

    def audit(self, limit: int) -> list[dict[str, object]]:
        """The newest `limit` audit rows, oldest first (admin token)."""
        stub = query_pb2_grpc.AdminStub(self._channel)
        try:
            return [{"happened_at": to_datetime(e.happened_at) if e.HasField("happened_at") else None,
                     "who": e.who, "role": e.role or None, "action": e.action, "target": e.target or None,
                     "peer": e.peer or None, "outcome": e.outcome}
                    for e in stub.ListAudit(query_pb2.ListAuditRequest(limit=limit), timeout=self._timeout,
                                            metadata=self._metadata)]
        except grpc.RpcError as exc:
            raise self._error(exc) from exc

    def tokens(self) -> list[dict[str, object]]:
        """Every named API token (never the token or its hash)."""
        stub = query_pb2_grpc.AdminStub(self._channel)

        def t(msg: query_pb2.TokenInfo, name: str) -> datetime | None:
            return to_datetime(getattr(msg, name)) if msg.HasField(name) else None  # type: ignore[arg-type]

        try:
            return [{"name": s.name, "role": s.role, "created_at": t(s, "created_at"),
                     "last_used_at": t(s, "last_used_at"), "revoked_at": t(s, "revoked_at")}
                    for s in stub.ListTokens(query_pb2.ListTokensRequest(), timeout=self._timeout,
                                             metadata=self._metadata)]
        except grpc.RpcError as exc:
            raise self._error(exc) from exc

    def revoke_token(self, name: str) -> bool:
        """Revoke a named API token; False when no valid token has that name."""
        stub = query_pb2_grpc.AdminStub(self._channel)
        try:
            response: query_pb2.RevokeTokenResponse = stub.RevokeToken(
                query_pb2.RevokeTokenRequest(name=name), timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise self._error(exc) from exc
        return bool(response.found)

    def duplicates(self) -> list[DuplicateRow]:
        """Asset pairs that may be one device (reader token)."""
        stub = query_pb2_grpc.QueryStub(self._channel)
        try:
            return [duplicate_from_proto(d) for d in stub.ListDuplicates(
                query_pb2.DuplicatesRequest(), timeout=self._timeout, metadata=self._metadata)]
        except grpc.RpcError as exc:
            raise self._error(exc) from exc

    def explain(self, ref: str) -> Explanation:
        """Why the asset `ref` names is what it is (reader token)."""
        stub = query_pb2_grpc.QueryStub(self._channel)
        try:
            answer: query_pb2.Explanation = stub.ExplainAsset(query_pb2.ExplainRequest(ref=ref), timeout=self._timeout,
                                                              metadata=self._metadata)
        except grpc.RpcError as exc:
            raise self._error(exc) from exc
        return explanation_from_proto(answer)

    def decide(self, action: str, refs: list[str], subject: str, reason: str) -> Decision:
        """Record a manual merge or split (admin token)."""
        stub = query_pb2_grpc.AdminStub(self._channel)
        try:
            answer: query_pb2.Decision = stub.DecideAssets(
                query_pb2.DecisionRequest(action=action, refs=refs, subject=subject, reason=reason),
                timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise self._error(exc) from exc
        return decision_from_proto(answer)

    def decisions(self) -> list[Decision]:
        """Every manual decision with its state (admin token)."""
        stub = query_pb2_grpc.AdminStub(self._channel)
        try:
            return [decision_from_proto(d) for d in stub.ListDecisions(
                query_pb2.ListDecisionsRequest(), timeout=self._timeout, metadata=self._metadata)]
        except grpc.RpcError as exc:
            raise self._error(exc) from exc

    def undo_decision(self, decision_id: int) -> Decision:
        """Undo a standing manual decision (admin token)."""
        stub = query_pb2_grpc.AdminStub(self._channel)
        try:
            answer: query_pb2.Decision = stub.UndoDecision(query_pb2.UndoDecisionRequest(decision_id=decision_id),
                                                           timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise self._error(exc) from exc
        return decision_from_proto(answer)

    def asset_detail(self, ref: str) -> dict[str, Any]:
        """Everything about the asset `ref` names (`netcensus asset`), as its JSON object (reader token)."""
        stub = query_pb2_grpc.QueryStub(self._channel)
        try:
            answer: query_pb2.Document = stub.AssetDetail(query_pb2.AssetDetailRequest(ref=ref),
                                                          timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise self._error(exc) from exc
        return self._document(answer, "asset")

    def changes(self, since: datetime) -> dict[str, Any]:
        """What changed since `since` (`netcensus changes`), as its JSON object (reader token)."""
        stub = query_pb2_grpc.QueryStub(self._channel)
        request = query_pb2.ChangesRequest()
        request.since.FromDatetime(since)
        try:
            pieces = [d.json for d in stub.ListChanges(request, timeout=self._timeout, metadata=self._metadata)]
        except grpc.RpcError as exc:
            raise self._error(exc) from exc
        return self._document(query_pb2.Document(json="".join(pieces)), "since")

    def _document(self, answer: query_pb2.Document, key: str) -> dict[str, Any]:
        """The JSON object a Document carries; one line naming the collector when it is not one."""
        try:
            parsed = json.loads(answer.json)
        except ValueError as exc:
            raise NetcensusError(f"collector {self.target}: the answer is not JSON ({exc})") from exc
        if not isinstance(parsed, dict) or key not in parsed:
            raise NetcensusError(f"collector {self.target}: the answer is not the expected document (no {key!r})")
        return parsed
