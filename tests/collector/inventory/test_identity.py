"""Identity resolution, table-driven over the awkward cases (pure: no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.inventory.identity import IP_AT_TIME, SubjectFacts, resolve

T0 = datetime(2026, 11, 1, tzinfo=UTC)
H = timedelta(hours=1)


def subject(name: str, day: float = 0, days: float = 0, *, held: tuple[tuple[str, float, float], ...] = (),
            **kw: object) -> SubjectFacts:
    """A subject seen from day `day` for `days` days; `held`: (ip, from day, to day) address times."""
    lists = {k: tuple(v) if isinstance(v, (list, tuple)) else (v,) for k, v in kw.items()
             if k in ("hostnames", "ips", "macs", "serials", "uuids")}
    ip_seen = tuple((ip, T0 + timedelta(days=a), T0 + timedelta(days=b)) for ip, a, b in held)
    return SubjectFacts(subject=name, first_seen=T0 + timedelta(days=day), last_seen=T0 + timedelta(days=day + days),
                        ip_seen=ip_seen, **lists)  # type: ignore[arg-type]


def nmap(ip: str, at: timedelta) -> SubjectFacts:
    """An address-only sighting (nmap from another subnet) at T0 + at."""
    return SubjectFacts(subject=f"ip:{ip}", first_seen=T0 + at, last_seen=T0 + at, ips=(ip,))


def groups(facts: list[SubjectFacts]) -> list[list[str]]:
    return sorted(sorted(a.members) for a in resolve(facts))


CASES = {
    "laptop changes IP daily: agent plus ARP sightings by MAC are one asset": (
        [subject("agent:lt", 0, 30, macs="00:1b:21:00:00:01", hostnames="fin-lt-014", ips="192.0.2.10"),
         *[subject(f"mac:00:1b:21:00:00:01#{d}", d, 0, macs="00:1b:21:00:00:01", ips=f"192.0.2.{20 + d}")
           for d in range(5)]],
        [["agent:lt", *sorted(f"mac:00:1b:21:00:00:01#{d}" for d in range(5))]],
    ),
    "re-imaged machine: new agent, new host name, same serial": (
        [subject("agent:old", 0, 10, serials="5CG1234ABC", hostnames="fin-lt-014", macs="00:1b:21:00:00:01"),
         subject("agent:new", 11, 5, serials="5CG1234ABC", hostnames="fin-lt-099", macs="00:1b:21:00:00:01")],
        [["agent:new", "agent:old"]],
    ),
    "two VMs with a cloned UUID, alive together, different NICs": (
        [subject("agent:vm1", 0, 10, uuids="4c4c4544-0031-3510-8036-b4c04f4e4d32", macs="00:50:56:00:00:01",
                 hostnames="app-01"),
         subject("agent:vm2", 2, 10, uuids="4c4c4544-0031-3510-8036-b4c04f4e4d32", macs="00:50:56:00:00:02",
                 hostnames="app-02")],
        [["agent:vm1"], ["agent:vm2"]],
    ),
    "NIC swap: same serial, new MAC, ARP sees both MACs": (
        [subject("agent:pc", 0, 20, serials="7XK2QH2", macs=["00:1e:c9:00:00:03", "00:1e:c9:00:00:33"]),
         subject("mac:00:1e:c9:00:00:03", 0, 5, macs="00:1e:c9:00:00:03"),
         subject("mac:00:1e:c9:00:00:33", 10, 5, macs="00:1e:c9:00:00:33")],
        [["agent:pc", "mac:00:1e:c9:00:00:03", "mac:00:1e:c9:00:00:33"]],
    ),
    "a MAC moved into another machine does not merge two serials": (
        [subject("agent:a", 0, 5, serials="SN-A", macs="00:1b:21:00:00:09"),
         subject("agent:b", 10, 5, serials="SN-B", macs="00:1b:21:00:00:09")],
        [["agent:a"], ["agent:b"]],
    ),
    "IP alone never merges": (
        [subject("ip:192.0.2.50", 0, 1, ips="192.0.2.50"),
         subject("agent:x", 0, 1, ips="192.0.2.50", macs="00:1b:21:00:00:50")],
        [["agent:x"], ["ip:192.0.2.50"]],
    ),
    "IP-at-time: an address-only sighting attaches to the keyed asset holding the address then": (
        [subject("agent:x", 0, 1, macs="00:1b:21:00:00:50", ips="192.0.2.50", held=(("192.0.2.50", 0, 1),)),
         nmap("192.0.2.50", timedelta(days=1) + 30 * timedelta(minutes=1))],
        [["agent:x", "ip:192.0.2.50"]],
    ),
    "IP-at-time: sighting two hours after the holder was last seen (window 1 h): stays apart": (
        [subject("agent:x", 0, 1, macs="00:1b:21:00:00:50", ips="192.0.2.50", held=(("192.0.2.50", 0, 1),)),
         nmap("192.0.2.50", timedelta(days=1) + 2 * H)],
        [["agent:x"], ["ip:192.0.2.50"]],
    ),
    "IP-at-time: two keyed assets held the address then: ambiguous, attaches to neither": (
        [subject("agent:x", 0, 1, macs="00:1b:21:00:00:50", held=(("192.0.2.50", 0, 1),)),
         subject("mac:00:1b:21:00:00:51", 0, 1, macs="00:1b:21:00:00:51", held=(("192.0.2.50", 0.5, 1),)),
         nmap("192.0.2.50", 18 * H)],
        [["agent:x"], ["mac:00:1b:21:00:00:51"], ["ip:192.0.2.50"]],
    ),
    "IP-at-time: the address changed hands; the sighting goes to whoever held it then": (
        [subject("agent:old", 0, 10, macs="00:1b:21:00:00:50", held=(("192.0.2.50", 0, 3), ("192.0.2.99", 3, 10))),
         subject("agent:new", 4, 6, macs="00:1b:21:00:00:60", held=(("192.0.2.50", 4, 10),)),
         nmap("192.0.2.50", timedelta(days=5))],
        [["agent:new", "ip:192.0.2.50"], ["agent:old"]],
    ),
    "never IP alone: two keyed assets sharing an address at the same time stay two": (
        [subject("agent:a", 0, 1, macs="00:1b:21:00:00:70", ips="192.0.2.70", held=(("192.0.2.70", 0, 1),)),
         subject("agent:b", 0, 1, macs="00:1b:21:00:00:71", ips="192.0.2.70", held=(("192.0.2.70", 0, 1),))],
        [["agent:a"], ["agent:b"]],
    ),
    "host name joins a network sighting to its agent": (
        [subject("agent:srv", 0, 1, hostnames="db-01", macs="00:1b:21:00:01:01"),
         subject("ip:192.0.2.70", 0, 1, hostnames="db-01", ips="192.0.2.70")],
        [["agent:srv", "ip:192.0.2.70"]],
    ),
}


@pytest.mark.parametrize(("facts", "expected"), list(CASES.values()), ids=list(CASES))
def test_resolution(facts: list[SubjectFacts], expected: list[list[str]]) -> None:
    assert groups(facts) == sorted(expected)


def test_switch_with_hundreds_of_macs_on_one_port() -> None:
    switch = subject("serial:FOC1234X0AB", 0, 1, serials="FOC1234X0AB", hostnames="sw-core-1",
                     macs="00:1b:21:ff:00:00")
    macs = [f"00:1b:21:01:{i >> 8:02x}:{i & 255:02x}" for i in range(300)]
    behind = [subject(f"mac:{mac}", 0, 1, macs=mac) for mac in macs]
    assets = resolve([switch, *behind])
    assert len(assets) == 301
    assert next(a for a in assets if "serial:FOC1234X0AB" in a.members).members == ["serial:FOC1234X0AB"]


def test_template_serial_on_many_machines_is_junk() -> None:
    clones = [subject(f"agent:{i}", 0, 1, serials="CZC0000000", macs=f"00:1b:21:00:02:{i:02x}") for i in range(12)]
    assert len(resolve(clones)) == 12


def test_asset_ids_are_stable_and_values_ranked_by_recency() -> None:
    facts = [subject("agent:old", 0, 10, serials="5CG1", hostnames="fin-lt-014"),
             subject("agent:new", 11, 5, serials="5CG1", hostnames="fin-lt-099")]
    (a,) = resolve(facts)
    (b,) = resolve(list(reversed(facts)))
    assert a.asset_id == b.asset_id
    assert a.hostnames == ["fin-lt-099", "fin-lt-014"]
    assert a.matched_by == {"agent:old": "anchor", "agent:new": "serial"}


def test_ip_at_time_records_its_key_and_never_anchors() -> None:
    facts = [subject("agent:x", 1, 1, macs="00:1b:21:00:00:50", ips="192.0.2.50", held=(("192.0.2.50", 1, 2),)),
             nmap("192.0.2.50", timedelta(days=1) - 30 * timedelta(minutes=1))]  # seen before the agent started
    (a,) = resolve(facts)
    assert a.matched_by == {"agent:x": "anchor", "ip:192.0.2.50": IP_AT_TIME}
    (alone,) = resolve(facts[:1])
    assert a.asset_id == alone.asset_id  # an address sighting never renames the asset it joins


def test_ip_window_is_configurable() -> None:
    facts = [subject("agent:x", 0, 1, macs="00:1b:21:00:00:50", held=(("192.0.2.50", 0, 1),)),
             nmap("192.0.2.50", timedelta(days=1) + 2 * H)]
    assert len(resolve(facts)) == 2
    assert len(resolve(facts, ip_window=3 * H)) == 1


def test_cloned_uuid_on_concurrent_agents_is_an_identity_conflict() -> None:
    # A clone and an impostor that copied the UUID look the same from here: both are a conflict.
    uuid = "4c4c4544-0031-3510-8036-b4c04f4e4d32"
    vm1 = subject("agent:vm1", 0, 10, uuids=uuid, macs="00:50:56:00:00:01")
    vm2 = subject("agent:vm2", 2, 10, uuids=uuid, macs="00:50:56:00:00:02")
    a, b = resolve([vm1, vm2])
    assert a.shared == b.shared == []
    assert [(c.key, c.value, c.holder, c.claimant) for c in a.conflicts] == \
        [(c.key, c.value, c.holder, c.claimant) for c in b.conflicts] == [("uuid", uuid, "agent:vm1", "agent:vm2")]
    (merged,) = resolve([vm1, subject("agent:vm2", 11, 5, uuids=uuid, macs="00:50:56:00:00:01")])
    assert merged.shared == []  # re-imaged, not cloned: one asset, nothing shared


def test_template_serial_is_not_reported_as_shared() -> None:
    clones = [subject(f"agent:{i}", 0, 1, serials="CZC0000000", macs=f"00:1b:21:00:02:{i:02x}") for i in range(12)]
    assert all(a.shared == [] for a in resolve(clones))
