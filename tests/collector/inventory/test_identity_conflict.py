"""Identity conflicts (issue #14): an agent claiming a live agent's serial/UUID is kept apart and reported.

"Live together" is precise: both agents' reporting periods (first to last report) overlap. A machine
re-enrolled under a new source id after a reinstall has its old agent fall silent first, and still merges.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.inventory.identity import IdentityConflict, SubjectFacts, resolve
from collector.inventory.reconcile import Coverage, reconcile

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DAY = timedelta(days=1)
SERIAL = "5CG1234ABC"
UUID = "4c4c4544-0031-3510-8036-b4c04f4e4d32"
MAC = "00:1b:21:0a:00:01"


def agent(source: str, first: float, last: float, **kw: object) -> SubjectFacts:
    """An agent subject reporting from NOW - first days to NOW - last days."""
    lists = {k: tuple(v) if isinstance(v, list) else (v,) for k, v in kw.items()
             if k in ("hostnames", "ips", "macs", "serials", "uuids")}
    return SubjectFacts(subject=f"agent:{source}", first_seen=NOW - first * DAY, last_seen=NOW - last * DAY,
                        sources=(f"{source}:agent",), has_software=True,
                        evidence=((source, "agent", NOW - last * DAY, f"{source} reported"),),
                        **lists)  # type: ignore[arg-type]


def arp(mac: str, ago: float) -> SubjectFacts:
    return SubjectFacts(subject=f"mac:{mac}", first_seen=NOW - ago * DAY, last_seen=NOW - ago * DAY, macs=(mac,),
                        sources=("scanner-1:arp",))


def by_member(facts: list[SubjectFacts]) -> dict[str, list[str]]:
    return {m: sorted(a.members) for a in resolve(facts) for m in a.members}


VICTIM = agent("victim", 30, 0, serials=SERIAL, uuids=UUID, macs=MAC, hostnames="fin-lt-014")
# The attacker copies serial, UUID *and* MAC (and host name): before issue #14 this merged silently.
IMPOSTOR = agent("impostor", 2, 0, serials=SERIAL, uuids=UUID, macs=MAC, hostnames="fin-lt-014")


def test_impostor_claiming_serial_uuid_and_mac_is_kept_apart_and_named() -> None:
    groups = by_member([VICTIM, IMPOSTOR, arp(MAC, 1)])
    assert groups["agent:victim"] == ["agent:victim", f"mac:{MAC}"]  # the network sighting stays with the holder
    assert groups["agent:impostor"] == ["agent:impostor"]
    victim, impostor = sorted(resolve([VICTIM, IMPOSTOR]), key=lambda a: a.members[0] != "agent:victim")
    (conflict,) = victim.conflicts
    assert impostor.conflicts == [conflict]
    assert conflict == IdentityConflict("serial", SERIAL, "agent:victim", "agent:impostor", NOW - 2 * DAY,
                                        ("victim:agent",), ("impostor:agent",), (NOW - 30 * DAY, NOW),
                                        (NOW - 2 * DAY, NOW), (victim.asset_id, impostor.asset_id))
    assert victim.shared == impostor.shared == []  # a conflict, not also a duplicate


def test_claiming_only_the_uuid_conflicts_on_the_uuid() -> None:
    impostor = agent("impostor", 2, 0, uuids=UUID, macs=MAC)
    (a, b) = resolve([VICTIM, impostor])
    assert [(c.key, c.value) for c in a.conflicts] == [("uuid", UUID)] == [(c.key, c.value) for c in b.conflicts]


def test_reenrolled_after_reinstall_still_merges() -> None:
    old = agent("old", 30, 10, serials=SERIAL, uuids=UUID, macs=MAC, hostnames="fin-lt-014")
    new = agent("new", 9, 0, serials=SERIAL, uuids=UUID, macs=MAC, hostnames="fin-lt-014")
    (asset,) = resolve([old, new])
    assert sorted(asset.members) == ["agent:new", "agent:old"] and asset.conflicts == []


def test_periods_touching_at_one_instant_are_live_together() -> None:
    old = agent("old", 30, 10, serials=SERIAL, macs=MAC)
    new = agent("new", 10, 0, serials=SERIAL, macs=MAC)  # first report at the old agent's last
    assert len(resolve([old, new])) == 2


def test_junk_serials_never_conflict() -> None:
    # A template serial on many machines alive together is junk (find_junk): no conflict, no join by it.
    template = [agent(f"pc{i}", 5, 0, serials="CZC0000000", macs=f"00:1b:21:00:02:{i:02x}") for i in range(12)]
    assets = resolve(template)
    assert len(assets) == 12 and all(a.conflicts == [] for a in assets)


def test_a_scanner_sighting_with_the_serial_is_no_conflict() -> None:
    snmp = SubjectFacts(subject=f"mac:{MAC}", first_seen=NOW - DAY, last_seen=NOW, macs=(MAC,), serials=(SERIAL,))
    (asset,) = resolve([VICTIM, snmp])
    assert asset.conflicts == [] and len(asset.members) == 2


def test_reconcile_reports_one_identity_conflict_naming_both_sources() -> None:
    assets = resolve([VICTIM, IMPOSTOR])
    coverage = [Coverage("victim", "agent", NOW, (), "agent run")]
    findings, _ = reconcile(assets, [], coverage, now=NOW, ghost_after=14 * DAY)
    (finding,) = [f for f in findings if f.kind == "identity-conflict"]
    assert finding.severity == "high"
    assert finding.asset is not None and finding.asset.members == ["agent:impostor"]
    assert "Agent source impostor has claimed serial number 5CG1234ABC since 2026-11-23 12:00 UTC" in finding.summary
    assert "agent source victim (holding it since 2026-10-26 12:00 UTC)" in finding.summary
    assert [(e.source, e.method) for e in finding.evidence] == [("victim", "agent"), ("impostor", "agent")]
    assert finding.first_seen == NOW - 2 * DAY and finding.last_seen == NOW
    assert not [f for f in findings if f.kind == "possible-duplicate"]
    again, _ = reconcile(resolve([VICTIM, IMPOSTOR]), [], coverage, now=NOW + DAY, ghost_after=14 * DAY)
    assert [f.finding_id for f in again if f.kind == "identity-conflict"] == [finding.finding_id]


def test_no_finding_once_both_agents_are_outside_the_window() -> None:
    victim = agent("victim", 60, 40, serials=SERIAL, macs=MAC)
    impostor = agent("impostor", 45, 41, serials=SERIAL, macs=MAC)
    assets = resolve([victim, impostor])
    assert len(assets) == 2  # still kept apart: what they reported stays each one's own
    findings, _ = reconcile(assets, [], [], now=NOW, ghost_after=14 * DAY)
    assert [f for f in findings if f.kind == "identity-conflict"] == []
