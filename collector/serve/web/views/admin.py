"""An admin's actions: accept the risk of a vulnerable-software finding (suppress it) and end that
acceptance, revoke an agent or scanner, merge, split or keep apart assets and undo such a decision.

Every action:
- lives under /admin/, which the gate (collector/serve/web/middleware.py) opens to the admin role only and
  where it checks the session's CSRF token on every POST (a form field or the X-CSRF-Token header);
- changes nothing on `netcensus ui`'s read-only copy (no AdminActions there: 403, and no button shows);
- calls the collector's own method for it (collector/serve/web/actions.py), the one the command line or
  the Admin service calls, then waits for the live state to take it in, so the page it leads to shows it;
- writes an audit row naming the user, their role, what was asked and how it ended, beside the gate's
  access row; a refused request writes its reason and changes nothing;
- answers bad input (no reason, an unknown finding, a bad date) with one line on the form, re-shown
  with what was typed.

What a form reads from the network (host names, package names) reaches the page through Jinja2's
autoescape like every other value.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from collector.domain.decisions import ACTIONS, APART, MERGE, SPLIT, Decision
from collector.errors import NetcensusError, UsageError
from collector.inventory.detail import asset_detail
from collector.pages import document
from collector.serve.web.actions import SETTLE_SECONDS, AdminActions
from collector.serve.web.middleware import peer_of
from collector.serve.web.page import Action, Page, Row, Table, link
from collector.serve.web.render import problem, render
from collector.serve.web.views.common import ctx, local_path
from collector.store import dashboard
from collector.vulns.accept import MAX_REASON, parse_until
from collector.vulns.findings import KIND as VULNERABLE

log = logging.getLogger("netcensus.web")

#: Who an accepted risk covers, as `netcensus vulns accept` offers: one asset (--asset), hosts by a
#: name glob (--host), or every host.
SCOPES = (("asset", "this asset only"), ("host", "hosts named like"), ("any", "every host"))
#: The expiry the form suggests; the date is the admin's to choose, and required, as on the command line.
SUGGESTED_DAYS = 90
_MAX_FIELD = 1000
_FIELDS = ("finding", "reason", "until", "scope", "host", "package", "back", "asset", "action", "other", "subject",
           "source")


def suppressible(row: Row) -> str | None:
    """Why this finding cannot be suppressed from the dashboard, or None when it can.

    Only an open vulnerable-software finding can: its suppression is an accepted risk, which the
    database holds. Rule findings are suppressed by exceptions in the rule packs (a file the collector
    reads, not a row it owns), so the dashboard does not write them.
    """
    if row.get("kind") != VULNERABLE or not row.get("rule_id"):
        return ("only vulnerable-software findings can be suppressed here (their exception is an accepted "
                "risk); other findings are suppressed by an exception in the rule pack (rules/*.yaml)")
    if row.get("resolved_at") is not None:
        return "this finding is resolved already"
    if row.get("suppressed"):
        return f"this finding is suppressed already: {row.get('suppression')}"
    return None


def suppress_action(row: Row, back: str) -> list[Action]:
    """The Suppress link of a finding row, when it can be suppressed."""
    if suppressible(row) is not None:
        return []
    return [Action("Suppress…", link("/admin/suppress", finding=row["finding_id"], back=back))]


# --- helpers ---------------------------------------------------------------------------------------


def _actions(request: Request) -> AdminActions | None:
    return ctx(request).actions


def _read_only(request: Request) -> Response:
    return problem(request, 403, "this dashboard is a read-only copy of a database file: make changes on the "
                                 "collector's dashboard (netcensus serve --ui) or with the command line")


async def _form(request: Request) -> dict[str, str]:
    """The posted fields this module reads, as bounded text ('' when absent)."""
    form = await request.form()
    return {k: str(form.get(k, "") or "")[:_MAX_FIELD] for k in _FIELDS}


async def _audit(request: Request, action: str, target: str, outcome: str) -> None:
    """The action's own audit row: who (the session's user and role), what, on what, how it ended."""
    session = request.state.session
    try:
        await request.app.state.audit({"at": ctx(request).clock(), "who": session.name, "role": session.role,
                                       "action": f"web {action}", "target": target[:500], "peer": peer_of(request),
                                       "outcome": outcome[:500]})
    except NetcensusError as exc:  # the gate's own row then fails too and answers 503
        log.error("audit row of %s not written: %s", action, exc)


async def _settled(request: Request, actions: AdminActions) -> None:
    """Wait until the live state holds the change (bounded), so the next page shows it."""
    if not await run_in_threadpool(actions.settle, SETTLE_SECONDS):
        log.warning("the live state took longer than %.0f s to take in a dashboard action", SETTLE_SECONDS)
    ctx(request).snapshot.invalidate()


def _redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


# --- accepted risks (suppress a vulnerable-software finding) ----------------------------------------


async def suppress_form(request: Request) -> Response:
    """GET /admin/suppress?finding=ID: the form accepting the risk of one finding."""
    if _actions(request) is None:
        return _read_only(request)
    finding_id = request.query_params.get("finding", "").strip()[:200]
    found = await run_in_threadpool(dashboard.finding, ctx(request).store, finding_id)
    if found is None:
        return problem(request, 404, f"no finding {finding_id!r}")
    why = suppressible(found)
    if why is not None:
        return problem(request, 400, why)
    until = (ctx(request).clock() + timedelta(days=SUGGESTED_DAYS)).date().isoformat()
    values = {"reason": "", "until": until, "scope": "asset", "host": str(found.get("hostname") or ""),
              "package": "this", "back": local_path(request.query_params.get("back"), "/findings")}
    return _suppress_page(request, found, values, "", 200)


def _suppress_page(request: Request, found: Row, values: dict[str, str], error: str, status: int) -> Response:
    response = render(request, Page(title="Suppress a finding", view="findings"), template="suppress.html",
                      finding=found, values=values, error=error, scopes=SCOPES, max_reason=MAX_REASON)
    response.status_code = status
    return response


async def suppress_submit(request: Request) -> Response:
    """POST /admin/suppress: accept the risk (`netcensus vulns accept`'s path), then back to the list."""
    actions = _actions(request)
    if actions is None:
        return _read_only(request)
    form = await _form(request)
    found = await run_in_threadpool(dashboard.finding, ctx(request).store, form["finding"].strip())
    target = f"finding {form['finding'][:100]}"
    if found is None:
        await _audit(request, "vulns accept", target, "refused: no such finding")
        return problem(request, 404, f"no finding {form['finding'][:100]!r}")
    why = suppressible(found)
    if why is not None:
        await _audit(request, "vulns accept", target, f"refused: {why}")
        return problem(request, 400, why)
    target = f"{found['rule_id']} on {found['software_name']} #{found['asset_id']}"
    try:
        exception_id, until = await run_in_threadpool(_accept, actions, found, form, request.state.session.name)
    except UsageError as exc:
        await _audit(request, "vulns accept", target, f"refused: {exc}")
        return _suppress_page(request, found, form, str(exc), 400)
    except NetcensusError as exc:
        await _audit(request, "vulns accept", target, f"failed: {exc}")
        return problem(request, 503, f"the exception was not stored: {exc}")
    await _audit(request, "vulns accept", target, f"ok: exception #{exception_id} until {until}")
    await _settled(request, actions)
    return _redirect(local_path(form["back"], "/exceptions"))


def _accept(actions: AdminActions, found: Row, form: dict[str, str], who: str) -> tuple[int, str]:
    """The form's fields as `vulns accept`'s arguments; UsageError names the field that is wrong."""
    if not form["until"].strip():
        raise UsageError("until: give the last day the acceptance holds (YYYY-MM-DD)")
    until = parse_until(form["until"])
    scope = form["scope"]
    if scope not in {s for s, _ in SCOPES}:
        raise UsageError(f"scope {scope[:20]!r}: use one of {', '.join(s for s, _ in SCOPES)}")
    host = form["host"].strip() if scope == "host" else None
    if scope == "host" and not host:
        raise UsageError("host: name the hosts, e.g. web-* (a glob on the host name)")
    if form["package"] not in ("this", "any"):
        raise UsageError("package: this or any")
    exception_id = actions.accept_risk(
        advisory=str(found["rule_id"]), reason=form["reason"], until=until, host=host,
        asset=str(found["asset_id"]) if scope == "asset" and found.get("asset_id") else None,
        package=str(found["software_name"]) if form["package"] == "this" and found.get("software_name") else None,
        who=who)
    return exception_id, until.isoformat()


async def end_exception(request: Request) -> Response:
    """POST /admin/exceptions/{id}/end: end an accepted risk (`netcensus vulns unaccept`'s path)."""
    actions = _actions(request)
    if actions is None:
        return _read_only(request)
    exception_id = int(request.path_params["exception_id"])
    target = f"exception #{exception_id}"
    try:
        await run_in_threadpool(actions.end_risk, exception_id, request.state.session.name)
    except UsageError as exc:
        await _audit(request, "vulns unaccept", target, f"refused: {exc}")
        return problem(request, 404, str(exc))
    await _audit(request, "vulns unaccept", target, "ok")
    await _settled(request, actions)
    return _redirect("/exceptions")


# --- sources ---------------------------------------------------------------------------------------


def _source(request: Request, source_id: str) -> dict[str, object] | None:
    return next((s for s in ctx(request).store.sources() if s["source_id"] == source_id), None)


async def revoke_form(request: Request) -> Response:
    """GET /admin/sources/revoke?source=ID: what revoking does, and the button that does it."""
    if _actions(request) is None:
        return _read_only(request)
    source_id = request.query_params.get("source", "").strip()[:200]
    source = await run_in_threadpool(_source, request, source_id)
    if source is None:
        return problem(request, 404, f"no source {source_id!r}")
    return render(request, Page(title=f"Revoke {source['kind']} {source_id}", view="sources"),
                  template="revoke.html", source=source)


async def revoke_submit(request: Request) -> Response:
    """POST /admin/sources/revoke: revoke the source (the Admin service's RevokeSource path)."""
    actions = _actions(request)
    if actions is None:
        return _read_only(request)
    source_id = (await _form(request))["source"].strip()[:200]
    source = await run_in_threadpool(_source, request, source_id)
    if source is None or source["revoked_at"] is not None:
        why = "no such source" if source is None else "revoked already"
        await _audit(request, "RevokeSource", source_id, f"refused: {why}")
        return problem(request, 404 if source is None else 400, f"source {source_id!r}: {why}")
    found = await run_in_threadpool(actions.revoke_source, source_id)
    await _audit(request, "RevokeSource", source_id, "ok" if found else "ok: no such source")
    return _redirect(link("/sources", kind=source["kind"]))


# --- manual merge / split / apart ------------------------------------------------------------------


def _asset_doc(request: Request, ref: str) -> dict[str, Any]:
    c = ctx(request)
    return document(asset_detail(ref, c.snapshot.for_asset(ref), c.store))


def _decisions_of(request: Request, asset_id: str, subjects: set[str]) -> list[Decision]:
    """The decisions that name this asset or one of its subjects, newest first."""
    return [d for d in ctx(request).snapshot().decisions
            if asset_id in d.asset_ids or d.subject in subjects or subjects & set(d.others)]


def _duplicates_of(request: Request, asset_id: str) -> list[dict[str, str]]:
    """The assets the refresh lists as possible duplicates of this one (offered as merge candidates)."""
    out = []
    for d in ctx(request).snapshot().duplicates:
        if d.other_asset_id is None or asset_id not in (d.asset_id, d.other_asset_id):
            continue
        mine = d.asset_id == asset_id
        other = d.other_asset_id if mine else d.asset_id
        out.append({"asset_id": other, "hostname": (d.other_hostname if mine else d.hostname) or other, "why": d.why})
    return out


def _decide_page(request: Request, doc: dict[str, Any], values: dict[str, str], error: str, status: int) -> Response:
    values = {**dict.fromkeys(_FIELDS, ""), **values}
    a = doc["asset"]
    subjects = [m["subject"] for m in doc["subjects"]]
    decided = _decisions_of(request, a["asset_id"], set(subjects))
    back = f"/assets/{quote(a['asset_id'], safe='')}"
    rows = [{"decision_id": d.decision_id, "action": d.action, "asset_ids": d.asset_ids, "subject": d.subject,
             "reason": d.reason, "decided_by": d.decided_by, "decided_at": d.decided_at, "state": d.state}
            for d in decided]
    table = Table("decisions", "Decisions about this asset", [
        ("decision_id", "#"), ("action", "Action"), ("asset_ids", "Assets then"), ("subject", "Subject"),
        ("reason", "Reason"), ("decided_by", "By"), ("decided_at", "When"), ("state", "State")], rows,
        empty="no manual decision names this asset",
        actions=lambda r: [] if r["state"] == "undone" else
        [Action("Undo", link(f"/admin/decisions/{r['decision_id']}/undo", back=back), post=True)])
    title = (a["hostnames"] or a["ips"] or a["macs"] or [a["asset_id"]])[0]
    response = render(request, Page(title=f"Merge, split or keep apart: {title}", view="assets", tables=[table]),
                      template="decide.html", asset=a, subjects=doc["subjects"], values=values, error=error,
                      back=back, duplicates=_duplicates_of(request, a["asset_id"]))
    response.status_code = status
    return response


async def decide_form(request: Request) -> Response:
    """GET /admin/assets/decide?asset=REF: merge with, keep apart from, or split a subject out of an asset."""
    if _actions(request) is None:
        return _read_only(request)
    ref = request.query_params.get("asset", "").strip()[:200]
    try:
        doc = await run_in_threadpool(_asset_doc, request, ref)
    except UsageError as exc:
        return problem(request, 404, str(exc))
    return _decide_page(request, doc, {"asset": doc["asset"]["asset_id"]}, "", 200)


async def decide_submit(request: Request) -> Response:
    """POST /admin/assets/decide: record the decision (the Admin service's DecideAssets path)."""
    actions = _actions(request)
    if actions is None:
        return _read_only(request)
    form = await _form(request)
    ref = form["asset"].strip()[:200]
    try:
        doc = await run_in_threadpool(_asset_doc, request, ref)
    except UsageError as exc:
        await _audit(request, "assets decide", ref, f"refused: {exc}")
        return problem(request, 404, str(exc))
    action = form["action"]
    refs = [ref] if action == SPLIT else [ref, form["other"].strip()[:200]]
    target = f"{action[:16]} {' '.join(refs)}"
    try:
        decision = await run_in_threadpool(_decide, actions, action, refs, form, request.state.session.name)
    except UsageError as exc:
        await _audit(request, "assets decide", target, f"refused: {exc}")
        return _decide_page(request, doc, form, str(exc), 400)
    except NetcensusError as exc:
        await _audit(request, "assets decide", target, f"failed: {exc}")
        return problem(request, 503, f"the decision was not stored: {exc}")
    await _audit(request, "assets decide", f"#{decision.decision_id} {target}", f"ok: {decision.state}")
    await _settled(request, actions)
    goes_to = decision.others[0] if action == SPLIT and decision.others else decision.subject
    return _redirect(f"/assets/{quote(goes_to, safe='')}")


def _decide(actions: AdminActions, action: str, refs: list[str], form: dict[str, str], who: str) -> Decision:
    """The form's fields as DecideAssets' request; UsageError for a wrong one (the rest is checked there)."""
    if action not in ACTIONS:
        raise UsageError(f"action {action[:20]!r}: use one of {', '.join(ACTIONS)}")
    if action in (MERGE, APART) and not refs[1]:
        raise UsageError("name the other asset (asset id, tag, host name, IP, MAC or subject)")
    return actions.decide(action, refs, form["subject"] if action == SPLIT else "", form["reason"], who)


async def undo_decision(request: Request) -> Response:
    """POST /admin/decisions/{id}/undo: undo a manual decision (the Admin service's UndoDecision path)."""
    actions = _actions(request)
    if actions is None:
        return _read_only(request)
    decision_id = int(request.path_params["decision_id"])
    back = local_path(request.query_params.get("back"), "/assets")
    try:
        undone = await run_in_threadpool(actions.undo, decision_id, request.state.session.name)
    except UsageError as exc:
        await _audit(request, "assets undo", f"#{decision_id}", f"refused: {exc}")
        return problem(request, 404, str(exc))
    await _audit(request, "assets undo", f"#{decision_id} {undone.action} {' '.join(undone.asset_ids)}", "ok")
    await _settled(request, actions)
    return _redirect(back)
