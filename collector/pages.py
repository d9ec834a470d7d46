"""`netcensus asset` and `netcensus changes` for people (sections of tables) and machines (one JSON object, CSV).

Both answers are documents (collector/domain/history.py). They are printed from their JSON form,
whichever way they came: built from a `--db` file, or received from a collector's Query service, which
sends that same JSON. So the page a person reads and the object a script reads cannot drift apart.

Source ids (UUIDs) are cut to their first 8 digits on the page; the JSON keeps them whole. Every value
from the network is escaped for the terminal by the table writer (collector/output.py,
collector/escaping.py); lines written here escape theirs with `escape_text`.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from collector.domain.history import AssetDetail, Changes
from collector.escaping import escape_text, json_safe
from collector.output import iso, to_csv, to_table

Doc = Mapping[str, Any]

#: Packages printed on the asset page without --all (those with findings always are).
SOFTWARE_SHOWN = 20
#: Package changes printed by `changes` as a table (every one is in --format json|csv).
SOFTWARE_CHANGES_SHOWN = 40
#: Assets printed per kind of change (appeared, disappeared, ...) by `changes` as a table.
ASSET_CHANGES_SHOWN = 25


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def document_json(doc: AssetDetail | Changes, *, compact: bool = False) -> str:
    """One JSON object (valid JSON; C1, bidi and separator characters escaped as \\uXXXX); `compact`
    leaves out the indentation (what the Query service sends: a third shorter)."""
    return json_safe(json.dumps(asdict(doc), default=_default, ensure_ascii=False,
                                **({"separators": (",", ":")} if compact else {"indent": 2})))


def document(doc: AssetDetail | Changes) -> dict[str, Any]:
    """The document as its JSON form holds it (times as ISO 8601 text), the shape every printer reads."""
    parsed: dict[str, Any] = json.loads(document_json(doc))
    return parsed


def _when(text: object) -> str:
    """An ISO time as 'YYYY-MM-DD HH:MM' (UTC), '-' when unknown."""
    if not isinstance(text, str) or not text:
        return "-"
    return text[:16].replace("T", " ")


def _x(value: object) -> str:
    return escape_text("" if value is None else str(value))


def _wrapped(line: str) -> list[str]:
    """A long heading line wrapped to the terminal, continued under its first word.

    The text is escaped already: escapes hold no spaces, so wrapping never splits one.
    """
    width = shutil.get_terminal_size((160, 24)).columns
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    return textwrap.wrap(line, max(width, 60), subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False, drop_whitespace=True) or [line]


#: A timeline line names its finding in this many characters at most (the FINDINGS section has it whole).
GIST = 72


def _gist(text: str) -> str:
    return text if len(text) <= GIST else text[:GIST - 1].rstrip() + "…"


def _section(title: str, rows: Sequence[Mapping[str, object]], columns: Sequence[tuple[str, str]]) -> list[str]:
    table = to_table(rows, columns)
    return ["", title, *("  " + line for line in table.splitlines())] if table else []


# --- netcensus asset REF ------------------------------------------------------------------------------

def asset_page(doc: Doc, *, all_software: bool = False) -> str:
    """The asset page: identity, register beside observation, identifiers, software, findings, timeline."""
    a = doc["asset"]
    names = " / ".join(_x(v) for v in (a["hostnames"][:1] + a["ips"][:1] + a["macs"][:1])) or "no name"
    what = ", ".join(_x(a[k]) for k in ("vendor", "device_type", "model", "os", "firmware") if a.get(k))
    lines = [*_wrapped(f"asset {_x(a['asset_id'])}  {names}" + (f"  ({what})" if what else "")),
             f"  seen {_when(a['first_seen'])} to {_when(a['last_seen'])} UTC by {_x(_by_source(a['sources']))}"]
    r = doc["record"]
    if r:
        status = f"{_x(r['status'])} [{_x(r['status_class'])}]" if r["status"] else f"[{_x(r['status_class'])}]"
        who = f", assigned to {_x(r['assigned_to'])}" if r["assigned_to"] else ""
        lines.extend(_wrapped(f"  register: {_x(r['asset_tag'] or r['name'] or r['record_key'])} "
                              f"({_x(r['register'])}, {_x(r['filename'])} line {r['line']}, imported "
                              f"{_when(r['imported_at'])}), {status}{who}; matched by {_x(r['matched_by'] or '?')}"))
    else:
        lines.append("  register: no record matches it (a zombie unless a finding says otherwise)")

    lines += _section("HOW IT WAS MATCHED (each subject and the key that joined it)", [
        {"subject": m["subject"], "key": m["key"], "first": _when(m["first_seen"]), "last": _when(m["last_seen"]),
         "sources": _by_source(m["sources"])} for m in doc["subjects"]],
        (("subject", "SUBJECT"), ("key", "KEY"), ("first", "FIRST SEEN"), ("last", "LAST SEEN"),
         ("sources", "SOURCES")))
    lines += _section("REGISTER BESIDE OBSERVED", [
        {"field": c["field"], "recorded": c["recorded"] or "-", "observed": c["observed"] or "-",
         "state": "DIFFERS" if c["state"] == "differs" else c["state"]} for c in doc["comparison"]],
        (("field", "FIELD"), ("state", "STATE"), ("recorded", "RECORDED"), ("observed", "OBSERVED")))
    lines += _section("IDENTIFIERS (first and last seen per source)", _identifier_rows(doc["identifiers"]),
        (("kind", "KIND"), ("value", "VALUE"), ("first", "FIRST SEEN"), ("last", "LAST SEEN"), ("n", "SIGHTINGS"),
         ("source", "SOURCE")))
    lines += _software_section(doc, all_software=all_software)
    brief = {f["finding_id"]: f for f in doc["findings"]}
    lines += _section(f"FINDINGS ({len(doc['findings'])} open)", [
        {"severity": f["severity"], "kind": f["kind"], "opened": _when(f["opened_at"]),
         "summary": f["summary"] + (f" [suppressed: {f['suppression']}]" if f["suppressed"] else "")}
        for f in doc["findings"]],
        (("severity", "SEVERITY"), ("kind", "KIND"), ("opened", "OPENED"), ("summary", "SUMMARY")))
    lines += _section("FINDING TIMELINE", [
        {"at": _when(e["at"]), "event": e["event"], "severity": e["severity"], "kind": e["kind"],
         "summary": _gist(e["detail"] if e["event"] in ("suppressed", "unsuppressed") and e["detail"] else
                          e["summary"] or (brief.get(e["finding_id"]) or {}).get("summary") or e["finding_id"])}
        for e in doc["timeline"]],
        (("at", "WHEN"), ("event", "EVENT"), ("severity", "SEVERITY"), ("kind", "KIND"), ("summary", "SUMMARY")))
    if doc["decisions"]:
        lines += ["", "MANUAL DECISIONS"]
        lines += [f"  #{d['decision_id']} {_x(d['action'])} ({_x(d['state'])}) by {_x(d['decided_by'])} at "
                  f"{_when(d['decided_at'])}: {_x(d['reason'])}" for d in doc["decisions"]]
    if doc["duplicates"]:
        lines += ["", "POSSIBLE DUPLICATES"] + [f"  {_x(d['why'])}" for d in doc["duplicates"]]
    if not doc["findings"] and not doc["timeline"]:
        lines += ["", "no findings, now or before"]
    return "\n".join(lines)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _short_id(source: str) -> str:
    """A source's UUID cut to its first 8 digits, as git shows commits (--format json has it whole)."""
    return _UUID.sub(lambda m: m.group(0)[:8], source)


def _by_source(sources: Sequence[str]) -> str:
    """'<source>:<method>' entries as 'source (method, method), ...': one source id once."""
    methods: dict[str, list[str]] = {}
    for entry in sources:
        source, _, method = entry.rpartition(":")
        methods.setdefault(source or method, []).append(method if source else "")
    return ", ".join(f"{_short_id(source)} ({', '.join(m for m in ms if m)})" if any(ms) else _short_id(source)
                     for source, ms in methods.items()) or "-"


def _identifier_rows(identifiers: Sequence[Mapping[str, Any]]) -> list[dict[str, object]]:
    """One row per identifier and source (its methods together; the JSON keeps one per method)."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for i in identifiers:
        key = (i["kind"], i["value"], i["source"])
        row = rows.get(key)
        if row is None:
            rows[key] = {"kind": i["kind"], "value": i["value"], "methods": [i["method"]], "first": i["first_seen"],
                         "last": i["last_seen"], "n": i["sightings"], "source": i["source"]}
            continue
        row["methods"].append(i["method"])
        row["first"] = min(t for t in (row["first"], i["first_seen"]) if t) if row["first"] or i["first_seen"] else None
        row["last"] = max(t for t in (row["last"], i["last_seen"]) if t) if row["last"] or i["last_seen"] else None
        row["n"] += i["sightings"]
    return [{"kind": r["kind"], "value": r["value"], "first": _when(r["first"]), "last": _when(r["last"]),
             "n": str(r["n"]), "source": f"{_short_id(r['source'])} ({', '.join(sorted(set(r['methods'])))})"}
            for r in rows.values()]


def _software_section(doc: Doc, *, all_software: bool) -> list[str]:
    software = doc["software"]
    if not software:
        return ["", "SOFTWARE: none recorded for this asset (no agent inventory, no software seen over SNMP)"]
    findings = {f["finding_id"]: f for f in doc["findings"]}
    flagged = [s for s in software if s["findings"]]
    rest = [s for s in software if not s["findings"]]
    shown = flagged + (rest if all_software else rest[:SOFTWARE_SHOWN])
    rows = [{"name": s["name"], "version": s["version"], "source": s["source"],
             "installed": _when(s["installed_at"]), "first": _when(s["first_seen"]),
             "findings": "; ".join(f"{findings[f]['severity']} {findings[f]['kind']}"
                                   + (f" {findings[f]['rule_id']}" if findings[f].get("rule_id") else "")
                                   for f in s["findings"] if f in findings)} for s in shown]
    title = f"SOFTWARE ({len(software)} installed, {len(flagged)} with findings; INSTALLED is the package " \
            "database's date, FIRST SEEN netcensus's)"
    out = _section(title, rows, (("name", "NAME"), ("version", "VERSION"), ("source", "SOURCE"),
                                 ("installed", "INSTALLED"), ("first", "FIRST SEEN"), ("findings", "FINDINGS")))
    hidden = len(software) - len(shown)
    if hidden:
        out.append(f"  … and {hidden} more packages without findings (--all lists them; --format json has every one)")
    return out


# --- netcensus changes --since ------------------------------------------------------------------------

CHANGE_COLUMNS = ("section", "change", "at", "asset_id", "hostname", "ip", "mac", "name", "arch", "source",
                  "from_version", "to_version", "kind", "severity", "finding_id", "detail")


def changes_rows(doc: Doc) -> list[dict[str, object]]:
    """Every change as one flat row of CHANGE_COLUMNS (CSV for ticket systems and spreadsheets)."""
    rows: list[dict[str, object]] = []
    for c in doc["assets"]:
        rows.append({"section": "asset", "change": c["change"], "at": c["at"], "asset_id": c["asset_id"],
                     "hostname": c["hostname"], "ip": c["ip"], "mac": c["mac"], "detail": c["detail"]})
    for s in doc["software"]:
        rows.append({"section": "software", "change": s["change"], "at": s["at"], "asset_id": s["asset_id"],
                     "hostname": s["hostname"], "name": s["name"], "arch": s["arch"], "source": s["source"],
                     "from_version": s["from_version"], "to_version": s["to_version"]})
    for f in doc["findings"]:
        rows.append({"section": "finding", "change": f["event"], "at": f["at"], "asset_id": f["asset_id"],
                     "hostname": f["hostname"], "ip": f["ip"], "name": f["software_name"], "kind": f["kind"],
                     "severity": f["severity"], "finding_id": f["finding_id"],
                     "detail": f["suppression"] if f["event"] in ("suppressed", "unsuppressed") else f["summary"]})
    return rows


def changes_csv(doc: Doc) -> str:
    """`changes --format csv`: CHANGE_COLUMNS, one row per change, cells made safe for spreadsheets."""
    return to_csv(changes_rows(doc), CHANGE_COLUMNS)


def _first_of_each(rows: Sequence[Mapping[str, Any]], key: str, limit: int
                   ) -> tuple[list[Mapping[str, Any]], dict[str, int]]:
    """The first `limit` rows of each value of `key`, in their order, and how many of each were left out."""
    seen: dict[str, int] = {}
    shown: list[Mapping[str, Any]] = []
    for row in rows:
        n = seen[row[key]] = seen.get(row[key], 0) + 1
        if n <= limit:
            shown.append(row)
    return shown, {k: n - limit for k, n in seen.items() if n > limit}


def _count(n: int, what: str) -> str:
    return f"{n} {what}"


def changes_page(doc: Doc) -> str:
    """`changes` as sections: assets, software per asset (and the package changes), findings; then totals."""
    lines = [f"changes from {_when(doc['since'])} to {_when(doc['until'])} UTC"]
    shown_assets, hidden = _first_of_each(doc["assets"], "change", ASSET_CHANGES_SHOWN)
    lines += _section("ASSETS", [
        {"change": c["change"], "host": c["hostname"] or "-", "ip": c["ip"] or c["mac"] or "-",
         "at": _when(c["at"]), "detail": _short_id(c["detail"])} for c in shown_assets],
        (("change", "CHANGE"), ("host", "HOST"), ("ip", "IP/MAC"), ("at", "WHEN"), ("detail", "DETAIL")))
    lines.extend(f"  … and {n} more {change} (--format json|csv has every one)" for change, n in hidden.items())
    per_asset = doc["software_per_asset"]
    lines += _section("SOFTWARE PER ASSET", [
        {"host": c["hostname"] or c["asset_id"], "installed": str(c["installed"]), "removed": str(c["removed"]),
         "upgraded": str(c["upgraded"]), "downgraded": str(c["downgraded"]), "changed": str(c["changed"]),
         "first": str(c["first_inventory"])} for c in per_asset],
        (("host", "HOST"), ("installed", "INSTALLED"), ("removed", "REMOVED"), ("upgraded", "UPGRADED"),
         ("downgraded", "DOWNGRADED"), ("changed", "CHANGED"), ("first", "FIRST INVENTORY")))
    software = doc["software"]
    shown = software[:SOFTWARE_CHANGES_SHOWN]
    lines += _section("PACKAGE CHANGES", [
        {"change": s["change"], "host": s["hostname"] or s["asset_id"] or "-", "name": s["name"],
         "from": s["from_version"] or "-", "to": s["to_version"] or "-", "at": _when(s["at"])} for s in shown],
        (("change", "CHANGE"), ("host", "HOST"), ("at", "WHEN"), ("from", "FROM"), ("to", "TO"), ("name", "NAME")))
    if len(software) > len(shown):
        lines.append(f"  … and {len(software) - len(shown)} more package changes (--format json|csv has every one)")
    lines += _section("FINDINGS", [
        {"at": _when(f["at"]), "event": f["event"], "severity": f["severity"], "kind": f["kind"],
         "host": f["hostname"] or f["ip"] or "-",
         "summary": _gist(f["suppression"] if f["event"] in ("suppressed", "unsuppressed") and f["suppression"]
                          else f["summary"] or f["finding_id"])} for f in doc["findings"]],
        (("at", "WHEN"), ("event", "EVENT"), ("severity", "SEVERITY"), ("kind", "KIND"), ("host", "HOST"),
         ("summary", "SUMMARY")))
    lines += ["", _totals(doc)]
    return "\n".join(lines)


def _totals(doc: Doc) -> str:
    assets: dict[str, int] = {}
    for c in doc["assets"]:
        assets[c["change"]] = assets.get(c["change"], 0) + 1
    t = doc["software_totals"]
    events: dict[str, int] = {}
    for f in doc["findings"]:
        events[f["event"]] = events.get(f["event"], 0) + 1
    parts = [
        "assets: " + (", ".join(f"{n} {k}" for k, n in assets.items()) or "no change"),
        "software: " + (", ".join(_count(t[k], k.replace("_", " ")) for k in
                                  ("installed", "removed", "upgraded", "downgraded", "changed", "first_inventory")
                                  if t[k]) or "no change")
        + (f" on {len(doc['software_per_asset'])} assets" if doc["software_per_asset"] else ""),
        "findings: " + (", ".join(f"{n} {k}" for k, n in events.items()) or "no change"),
    ]
    return "; ".join(parts)
