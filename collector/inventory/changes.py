"""`netcensus changes --since`: what changed inside a window, from what the store kept (pure).

* **Assets.** `appeared`: first seen inside the window. `disappeared`: seen before the window, not
  inside it, and found missing inside it: a sweep that covers it (one of its addresses is inside
  the sweep's targets, or the same scanner re-ran the job whose report last saw it) started after
  its last sighting and did not see it, and the first such sweep finished inside the window; or it
  carries an agent that reported in the period of the same length just before the window and has
  been silent since. Only sweeps by a scanner that has seen the asset count as a look (another
  scanner's method may not see it at all). An asset that appeared inside the window and was then
  found missing is listed both ways. `came back`: seen inside the window after having been found missing the same
  way (a covering sweep between its previous sighting and its return, or an agent silent for longer
  than the window). An asset seen before only by sweeps that have not run again is not called gone:
  absence without a look is not evidence. `identity`: an asset seen before the window that carried
  a new host name, serial, MAC or IP inside it (with the values it no longer carried).
* **Software.** Per asset and package (name, architecture, source): the versions present when the
  window opened against the versions present now (software_installs keeps every install's
  first_seen and removed_at). None then, some now: installed; some then, none now: removed;
  different: upgraded, downgraded or changed, in the package's own version order. Packages of a
  source reported for the first time (a new agent, a new package manager) are counted as its first
  inventory, not as installs.
* **Findings.** Every opened, reopened, resolved, suppressed and unsuppressed event (finding_events),
  of any kind.
"""

from __future__ import annotations

import bisect
import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from collector.domain.history import AssetChange, Changes, FindingChange, SoftwareChange, SoftwareCounts
from collector.inventory.identity import ResolvedAsset
from collector.inventory.refresh import Snapshot

Rows = list[dict[str, Any]]
#: -1, 0 or 1 as the first version sorts before, equal to or after the second, in a package source's order.
VersionOrder = Callable[[str, str, str], int]

_IDENTITY_KINDS = ("hostname", "serial", "mac", "ip")
_SHOWN = 3  # values per identifier kind in a sentence


class ChangeStore(Protocol):
    """What `changes` needs from storage (collector/store/duckdb.py's Store is one)."""

    def change_history(self, members: Mapping[str, str], since: datetime) -> Mapping[str, Rows]:
        """Rows 'presence', 'jobs', 'sweeps', 'identity', 'software', 'findings' (collector/store/history.py)."""


def changes(snapshot: Snapshot, store: ChangeStore, *, since: datetime, now: datetime,
            order: VersionOrder) -> Changes:
    """What changed from `since` to `now`."""
    members = {s: a.asset_id for a in snapshot.assets for s in a.members}
    kept = store.change_history(members, since)
    by_id = {a.asset_id: a for a in snapshot.assets}
    assets = _asset_changes(kept, by_id, since=since, now=now)
    software, per_asset = _software_changes(kept["software"], by_id, order=order)
    totals = SoftwareCounts(None, None, *(sum(getattr(c, f) for c in per_asset) for f in
                                           ("installed", "removed", "upgraded", "downgraded", "changed",
                                            "first_inventory")))
    findings = tuple(FindingChange(r["at"], r["event"], r["finding_id"], r["kind"], r["severity"], r["asset_id"],
                                   r["hostname"], r["ip"], r["software_name"], r["summary"], r["suppression"])
                     for r in kept["findings"])
    return Changes(since=since, until=now, assets=assets, software=software, software_per_asset=per_asset,
                   software_totals=totals, findings=findings)


# --- assets -------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Run:
    started: datetime
    finished: datetime
    what: str
    source: str
    scan_id: str


@dataclass
class _Sweeps:
    """Sweeps by start time, indexed by target network and by (scanner, target): "did anything look for it?"."""

    by_net: dict[tuple[int, int], dict[int, list[_Run]]] = field(default_factory=dict)
    by_job: dict[tuple[str, str], list[_Run]] = field(default_factory=dict)
    latest: datetime | None = None  # the start of the newest sweep

    @classmethod
    def of(cls, rows: Rows) -> _Sweeps:
        sweeps = cls()
        for r in rows:  # by start, oldest first: every list below stays sorted
            targets = list(r["targets"] or ())
            run = _Run(r["started_at"], r["finished_at"],
                       f"a sweep of {', '.join(targets[:2])}{' …' if len(targets) > 2 else ''} by {r['source_id']}",
                       r["source_id"], r["scan_id"])
            sweeps.latest = run.started if sweeps.latest is None else max(sweeps.latest, run.started)
            for target in targets:
                sweeps.by_job.setdefault((run.source, target), []).append(run)
                try:
                    net = ipaddress.ip_network(target, strict=False)
                except ValueError:
                    continue
                base = int(net.network_address) >> (net.max_prefixlen - net.prefixlen)
                sweeps.by_net.setdefault((net.version, net.prefixlen), {}).setdefault(base, []).append(run)
        return sweeps

    def first_after(self, after: datetime, ips: Sequence[str], jobs: Sequence[tuple[str, str]],
                    scanners: set[str], saw: set[str]) -> _Run | None:
        """The first sweep started after `after` by one of `scanners` (those that saw the asset), over one
        of `ips` or re-running one of `jobs` (scanner, target), that is not one of the sweeps that `saw` it:
        a look that would have seen it and did not."""
        if self.latest is None or after >= self.latest:
            return None  # no sweep started after it (the common case: the newest sweep saw it)
        lists = [self.by_job.get(job, []) for job in jobs]
        for text in ips:
            parsed = _address_bits(text)
            if parsed is None:
                continue
            version, value, bits = parsed
            for (net_version, prefixlen), nets in self.by_net.items():
                if net_version == version:
                    lists.append(nets.get(value >> (bits - prefixlen), []))
        best: _Run | None = None
        for runs in lists:
            i = bisect.bisect_right(runs, after, key=lambda run: run.started)
            while i < len(runs) and (runs[i].source not in scanners or runs[i].scan_id in saw):
                i += 1
            if i < len(runs) and (best is None or runs[i].started < best.started):
                best = runs[i]
        return best


def _address_bits(text: str) -> tuple[int, int, int] | None:
    """(version, integer value, bit length) of an IP address; None when it is not one.

    socket.inet_pton, not ipaddress.ip_address: at 100,000 assets the latter's octet parsing cost seconds.
    """
    family, version, bits = (socket.AF_INET6, 6, 128) if ":" in text else (socket.AF_INET, 4, 32)
    try:
        return version, int.from_bytes(socket.inet_pton(family, text.split("%", 1)[0]), "big"), bits
    except (OSError, ValueError):
        return None


def _names(a: ResolvedAsset | None) -> tuple[str | None, str | None, str | None]:
    if a is None:
        return None, None, None
    return (a.hostnames[0] if a.hostnames else None, a.ips[0] if a.ips else None, a.macs[0] if a.macs else None)


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _asset_changes(kept: Mapping[str, Rows], by_id: Mapping[str, ResolvedAsset], *, since: datetime,
                   now: datetime) -> tuple[AssetChange, ...]:
    window = now - since
    sweeps = _Sweeps.of(kept["sweeps"])
    jobs: dict[tuple[str, str], list[tuple[str, str]]] = {}
    saw: dict[str, set[str]] = {}
    for r in kept["jobs"]:
        jobs.setdefault((r["asset_id"], r["moment"]), []).extend((r["source_id"], t) for t in r["targets"] or ())
        saw.setdefault(r["asset_id"], set()).add(r["scan_id"])
    out: list[AssetChange] = []
    for r in kept["presence"]:
        asset_id = r["asset_id"]
        a = by_id.get(asset_id)
        host, ip, mac = _names(a)
        first, last, before, back = r["first_seen"], r["last_seen"], r["last_before"], r["first_since"]
        has_agent = a is not None and any(m.startswith("agent:") for m in a.members)
        ips = a.ips if a else []
        scanners = {s.rsplit(":", 1)[0] for s in a.sources} if a else set()
        seen_by = saw.get(asset_id, set())
        if before is None:
            sources = ", ".join(a.sources[:3]) if a else "-"
            out.append(AssetChange("appeared", asset_id, host, ip, mac, first, last,
                                   f"first seen {_t(first)} by {sources}"))
        elif back is not None:
            look = sweeps.first_after(before, ips, jobs.get((asset_id, "before"), []), scanners, seen_by)
            if look is not None and look.started < back:
                out.append(AssetChange("came back", asset_id, host, ip, mac, back, before,
                                       f"unseen from {_t(before)} ({look.what} at {_t(look.finished)} did not see "
                                       f"it); seen again {_t(back)}"))
            elif has_agent and back - before > window:
                out.append(AssetChange("came back", asset_id, host, ip, mac, back, before,
                                       f"its agent was silent from {_t(before)} to {_t(back)}"))
        # Gone now: a look that started after its last sighting (and finished inside the window) missed it.
        gone = sweeps.first_after(last, ips, jobs.get((asset_id, "last"), []), scanners, seen_by)
        if gone is not None and gone.finished >= since:
            out.append(AssetChange("disappeared", asset_id, host, ip, mac, gone.finished, last,
                                   f"last seen {_t(last)}; {gone.what} at {_t(gone.finished)} did not see it"))
        elif gone is None and back is None and before is not None and has_agent and before >= since - window:
            out.append(AssetChange("disappeared", asset_id, host, ip, mac, None, before,
                                   f"its agent last reported {_t(before)} and has been silent since"))
    out.extend(_identity_changes(kept["identity"], by_id, since))
    order = {"appeared": 0, "came back": 1, "identity": 2, "disappeared": 3}
    out.sort(key=lambda c: (order[c.change], c.hostname or "~", c.asset_id))
    return tuple(out)


def _identity_changes(rows: Rows, by_id: Mapping[str, ResolvedAsset], since: datetime) -> list[AssetChange]:
    # A value first seen inside the window is new; one last seen before it is one the asset no longer carries.
    per: dict[str, dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]] = {}
    for r in rows:
        new, old = per.setdefault(r["asset_id"], {}).setdefault(r["kind"], ([], []))
        (new if r["first_seen"] >= since else old).append(r)
    out = []
    for asset_id, kinds in per.items():
        parts, at = [], None
        for kind in _IDENTITY_KINDS:
            new, old = kinds.get(kind, ([], []))
            if not new:
                continue
            first = min(r["first_seen"] for r in new)
            at = first if at is None else min(at, first)
            shown = _few([r["value"] for r in new])
            was = _few([r["value"] for r in sorted(old, key=lambda r: r["last_seen"], reverse=True)])
            parts.append(f"new {kind} {shown}" + (f" (was {was})" if was else ""))
        if parts:
            a = by_id.get(asset_id)
            host, ip, mac = _names(a)
            out.append(AssetChange("identity", asset_id, host, ip, mac, at, a.last_seen if a else None,
                                   "; ".join(parts)))
    return out


def _few(values: Sequence[str]) -> str:
    """The first few values, and how many more."""
    more = f" +{len(values) - _SHOWN}" if len(values) > _SHOWN else ""
    return ", ".join(values[:_SHOWN]) + more


# --- software -----------------------------------------------------------------------------------------

def _software_changes(rows: Rows, by_id: Mapping[str, ResolvedAsset], *, order: VersionOrder
                      ) -> tuple[tuple[SoftwareChange, ...], tuple[SoftwareCounts, ...]]:
    out: list[SoftwareChange] = []
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        asset_id, name, arch, source = r["asset_id"] or r["subject"], r["name"], r["arch"], r["source"]
        tally = counts.get(asset_id)
        if tally is None:
            tally = counts[asset_id] = dict.fromkeys(
                ("installed", "removed", "upgraded", "downgraded", "changed", "first_inventory"), 0)
        current = set(r["now_versions"] or ())
        if r["first_time"]:
            tally["first_inventory"] += len(current)
            continue
        then = set(r["then_versions"] or ())
        added, gone = current - then, then - current
        if not added and not gone:
            continue  # the same versions then and now (reinstalled inside the window)
        host = _host(by_id, asset_id)
        if added and gone:
            to, frm = _highest(added, source, order), _highest(gone, source, order)
            cmp = order(to, frm, source)
            change = "upgraded" if cmp > 0 else "downgraded" if cmp < 0 else "changed"
            out.append(SoftwareChange(change, asset_id, host, name, arch, source, frm, to, r["newest"],
                                      r["installed_at"]))
        elif added:
            change = "installed"
            out.append(SoftwareChange(change, asset_id, host, name, arch, source, None,
                                      _highest(added, source, order), r["newest"], r["installed_at"]))
        else:
            change = "removed"
            out.append(SoftwareChange(change, asset_id, host, name, arch, source, _highest(gone, source, order), None,
                                      r["removed_at"], None))
        tally[change] += 1
    per_asset = tuple(sorted(
        (SoftwareCounts(asset_id, _host(by_id, asset_id), *t.values()) for asset_id, t in counts.items()
         if any(t.values())),
        key=lambda c: (c.hostname or "~", c.asset_id or "")))
    out.sort(key=lambda c: (c.hostname or "~", c.asset_id or "", c.name.lower(), c.arch, c.source))
    return tuple(out), per_asset


def _host(by_id: Mapping[str, ResolvedAsset], asset_id: str) -> str | None:
    a = by_id.get(asset_id)
    return a.hostnames[0] if a and a.hostnames else None


def _highest(versions: set[str], source: str, order: VersionOrder) -> str:
    best = ""
    for v in sorted(versions):
        if not best or order(v, best, source) > 0:
            best = v
    return best

