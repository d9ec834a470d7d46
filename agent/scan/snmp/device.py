"""SNMP inventory of devices: find a credential, ask which tables exist, walk them; many at once.

Per device: find a working credential (every community/user at once with a short timeout,
then again patiently — most devices answer the first try, silent addresses cost little, and an
ICMP port unreachable ends the search at once), read the system group with that same request,
ask once which tables exist (one GETNEXT naming every table), then walk each non-empty table
with one GETBULK stream that carries all wanted columns of a row per request (oids.py says
which tables, mib/ reads them, observations.py composes the result). Beside the walks, a few
GETNEXTs find whose MIBs it answers (maker_probe.py) and GETs ask the serial, model and version
objects of its maker and of those. Only a device that nothing it said types is asked one more
GETNEXT: whether it implements its maker's MIBs that speak of a kind.

That is the default depth, "inventory". SweepOptions.snmp_depth = "discovery" reads only what
identifies and classifies a device (oids.DISCOVERY_COLUMNS: the system group, the interfaces,
ipAddrTable, the ENTITY-MIB chassis), like FusionInventory's netdiscovery; its device observation
is the inventory's minus hrSystem attributes and software, and there are no ARP/FDB/LLDP
sightings.

Transports: SNMPv1/v2c through a connected UDP socket per device (channel.py, community.py);
SNMPv3 through pysnmp on the sweep's one engine (usm.py). Both sit behind `Connect`, the seam
read_device() takes, so tests read recorded devices without a socket.

A device that is silent, refuses every credential, or stalls gets TargetStatus(ok=False); a
table that loops (non-increasing OIDs) or never ends is cut and noted, the rest still counts.
Credentials never appear in a status or log line: they are named by position ("community #2").
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from agent.scan.base import Emit, Progress, ms_since
from agent.scan.model import Method, Observation, TargetStatus
from agent.scan.options import SweepOptions
from agent.scan.snmp.channel import Channel, socket_reason, v3_probe
from agent.scan.snmp.community import CommunitySession
from agent.scan.snmp.credentials import Credential, credentials
from agent.scan.snmp.maker_probe import first_objects, maker_enterprise
from agent.scan.snmp.mib import extend
from agent.scan.snmp.mib.entity import walk_entities
from agent.scan.snmp.mib.identity_objects import GET_BATCH, IdObject
from agent.scan.snmp.observations import build_observations, identity_requests, module_probes
from agent.scan.snmp.oids import (
    FIRST_ROWS,
    PRESENCE,
    SYS_DESCR,
    SYS_OBJECT_ID,
    TABLE_PREFIX,
    Oid,
    depth_plan,
    present_mibs,
    tables_to_walk,
)
from agent.scan.snmp.session import (
    WALKS_PER_DEVICE,
    AdaptiveLimit,
    Pacer,
    Session,
    SnmpError,
    SnmpUnreachable,
)
from agent.scan.snmp.usm import UsmSession
from agent.scan.snmp.values import WalkResult, dotted, oid_text, text
from agent.scan.targets import Target

FAST_TIMEOUT_S = 0.5  # the first pass over all credentials (most devices answer it)


@dataclass(slots=True)
class DeviceResult:
    """What one device yielded: its own observation, table sightings and a status."""

    observations: list[Observation]
    status: TargetStatus


@dataclass(slots=True)
class Opened:
    """A session whose credential the agent accepted, and the scalars that proved it."""

    session: Session
    scalars: dict[Oid, Any]


class Connect(Protocol):
    """Opens a session to one device with one credential (the transport seam)."""

    async def __call__(self, cred: Credential, *, timeout: float, retries: int, max_rows: int) -> Session:
        """A session speaking `cred`'s version; nothing is sent until it is used."""


@dataclass(frozen=True, slots=True)
class Device:
    """One device to read: its address, how to open sessions to it, and the SNMPv3 probe.

    `probe(timeout)`, when given, sends the credential-free SNMPv3 discovery probe; it raises
    SnmpUnreachable when ICMP says nothing listens, which ends a v3-only credential search early.
    """

    host: str
    connect: Connect
    probe: Callable[[float], Awaitable[None]] | None = None


def udp_connect(pacer: Pacer, channel: Channel, host: str, port: int) -> Connect:
    """The production transports: community sessions over `channel`, v3 sessions through pysnmp."""
    async def connect(cred: Credential, *, timeout: float, retries: int, max_rows: int) -> Session:
        if cred.version == "3":
            from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget

            transport = await UdpTransportTarget.create((host, port), timeout=timeout, retries=retries)
            return UsmSession(pacer, cred, transport, timeout=timeout, max_rows=max_rows)
        return CommunitySession(channel, cred, pacer, timeout=timeout, retries=retries, max_rows=max_rows)

    return connect


async def _try(device: Device, cred: Credential, *, timeout: float, retries: int, max_rows: int,
               scalars: Sequence[Oid]) -> Opened:
    """Prove one credential with the request we need anyway: GET of the system scalars."""
    session = await device.connect(cred, timeout=timeout, retries=retries, max_rows=max_rows)
    got = await session.get(scalars)
    # Every SNMP entity implements SNMPv2-MIB (RFC 3418); an answer without it usually means a
    # v3 view that excludes it. It still proves the credential.
    return Opened(session, got)


async def open_session(device: Device, options: SweepOptions) -> Opened:
    """Find a credential the agent accepts: a fast pass over all, then a patient pass.

    Within a pass every credential is tried at once and the first in configured order that
    works wins, so a silent address costs one fast timeout plus one patient timeout (with its
    retries), not their sum over all credentials. SNMPv1 is only tried in the patient pass: a
    v1-only agent silently drops v2c, so v1 is worth its packets only once v2c has failed.

    Raises:
        SnmpError: nothing worked; the message summarises why, naming credentials by label.
    """
    creds = credentials(options)
    if not creds:
        raise SnmpError("no SNMP credentials configured")
    reasons: dict[str, str] = {}
    fast = min(FAST_TIMEOUT_S, options.timeout_s)
    for patient in (False, True):
        batch = [c for c in creds if patient or c.version != "1"]
        tasks = [asyncio.ensure_future(_try(device, c,
                                            timeout=options.timeout_s if patient else fast,
                                            retries=options.retries if patient else 0,
                                            max_rows=options.snmp_max_rows,
                                            scalars=depth_plan(options.snmp_depth)[1])) for c in batch]
        probe = None
        if device.probe is not None and not patient and all(c.version == "3" for c in batch):
            probe = asyncio.ensure_future(device.probe(fast))
        try:
            for cred, task in zip(batch, tasks, strict=True):
                try:
                    opened = await _first_of(task, probe)
                except SnmpUnreachable:
                    raise
                except SnmpError as exc:
                    reasons[cred.label] = str(exc)
                    continue
                if not patient:
                    # Walks use the patient settings: the device has shown it is there.
                    _set_patience(opened.session, options)
                return opened
        finally:
            for t in (*tasks, probe):
                if t is not None and not t.done():
                    t.cancel()
            await asyncio.gather(*(t for t in (*tasks, probe) if t is not None), return_exceptions=True)
    if reasons and all("timeout" in r.lower() or "no snmp response" in r.lower() for r in reasons.values()):
        raise SnmpError(f"no SNMP response ({len(creds)} credentials tried, fast and patient)")
    detail = "; ".join(f"{k}: {v}" for k, v in reasons.items())
    raise SnmpError(f"no credential accepted ({detail})")


async def _first_of(task: asyncio.Future[Opened], probe: asyncio.Future[None] | None) -> Opened:
    """The task's result, unless the v3 probe learns first that nothing listens."""
    if probe is not None and not probe.done():
        pending: set[asyncio.Future[Any]] = {task, probe}
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if probe.done() and not probe.cancelled():
            exc = probe.exception()
            if isinstance(exc, SnmpUnreachable):
                raise exc
    return await task


def _set_patience(session: Session, options: SweepOptions) -> None:
    if isinstance(session, CommunitySession):
        session.timeout, session.retries = options.timeout_s, options.retries
    elif isinstance(session, UsmSession):
        session.timeout = options.timeout_s
        session.transport.timeout, session.transport.retries = options.timeout_s, options.retries


async def inventory_device(pacer: Pacer, host: str, options: SweepOptions, *, port: int = 161) -> DeviceResult:
    """Read one device at options.snmp_depth: everything we know how to read, or its identity."""
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    try:
        _tr, channel = await loop.create_datagram_endpoint(Channel, remote_addr=(host, port))
    except OSError as exc:  # e.g. no route: an immediate "nothing there"
        return DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                             reason=f"no SNMP response ({socket_reason(exc)})",
                                             duration_ms=ms_since(started)))
    try:
        device = Device(host, udp_connect(pacer, channel, host, port), probe=lambda t: v3_probe(channel, t))
        return await read_device(device, options, started=started)
    finally:
        channel.close()


def _batches(oids: list[Oid]) -> list[list[Oid]]:
    """`oids` in requests of GET_BATCH varbinds at most."""
    return [oids[i:i + GET_BATCH] for i in range(0, len(oids), GET_BATCH)]


async def read_device(device: Device, options: SweepOptions, *, started: float | None = None) -> DeviceResult:
    """Read one device at options.snmp_depth through `device.connect` (the seam tests use).

    `started` (a time.monotonic() reading, default now) is when the device's time began.
    """
    started = time.monotonic() if started is None else started
    host = device.host
    try:
        opened = await open_session(device, options)
        session, scalars = opened.session, opened.scalars
    except SnmpError as exc:
        return DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False, reason=str(exc),
                                             duration_ms=ms_since(started)))
    columns, _ = depth_plan(options.snmp_depth)
    try:
        values = await session.first_values([*(TABLE_PREFIX[k] for k in columns), *PRESENCE.values(),
                                             *(column for _, column, _ in FIRST_ROWS)])
        census = [v is not None for v in values]
        keys = tables_to_walk(dict(zip(columns, census, strict=False)))
    except SnmpError:
        # The one-request table census failed (a stalling agent, a response too big): walk every
        # table and let each succeed or fail on its own, as a partial inventory.
        values = [True] * len(columns) + [None] * (len(PRESENCE) + len(FIRST_ROWS))
        keys = list(columns)
    rows_at = len(columns) + len(PRESENCE)  # the census: tables, then PRESENCE, then FIRST_ROWS
    mibs = present_mibs(values[len(columns):rows_at])
    scalars.update({column: v for (_, column, _), v in zip(FIRST_ROWS, values[rows_at:], strict=True)
                    if v is not None})
    # Per-device back-off: after a timeout this device gets one table stream at a time.
    streams = AdaptiveLimit(WALKS_PER_DEVICE, floor=1, ceiling=WALKS_PER_DEVICE, cooldown_s=0.0)
    errors: list[str] = []

    async def walk(key: str) -> list[WalkResult]:
        await streams.acquire()
        try:
            if key == "ent":
                return await walk_entities(session)
            return await session.walk_table(columns[key])
        except SnmpError as exc:
            if "timeout" in str(exc).lower():
                streams.limit = 1.0
            errors.append(f"walk of {key} table ({dotted(TABLE_PREFIX[key])}) failed: {exc}")
            return [WalkResult() for _ in columns[key]]
        finally:
            streams.release()

    answering: tuple[Oid, ...] = ()
    object_id = oid_text(scalars[SYS_OBJECT_ID]) if SYS_OBJECT_ID in scalars else ""

    async def ask(hand: tuple[Oid, ...], chosen: tuple[IdObject, ...], published: list[Oid]) -> str:
        # One round: a GET of the hand-checked objects, GETs of the public MIBs' scalar candidates and of what
        # a net-snmp administrator publishes (mib/extend.py), and GETNEXTs of the columns whose first row is
        # the device (identity_objects.py; GET_BATCH at most each), all at once; a note when one failed.
        extra = [o.oid for o in chosen if not o.first_row]
        first_rows = [o.oid for o in chosen if o.first_row]
        gets = [b for b in (list(hand), *_batches(extra), *_batches(published)) if b]
        nexts = _batches(first_rows)
        # Some embedded agents register a vendor's scalar without its .0 instance (their walk shows
        # 1.3.6.1.4.1.43296.3.1.1, not ...3.1.1.0), so a GET of .0 finds nothing. The public MIBs'
        # scalars are asked without it too, in the same breath (a second round trip would cost every
        # device without vendor objects its latency); those answers count only where no .0 did, and
        # are kept under the name asked, as the agent should have given it.
        bare = _batches([o[:-1] for o in extra])
        got = await asyncio.gather(*(session.get(b) for b in (*gets, *bare)),
                                   *(session.first_values(b) for b in nexts), return_exceptions=True)
        for r in got:
            if not isinstance(r, (dict, list, SnmpError)):
                raise r
        n_gets, n_bare = len(gets), len(bare)
        got_gets, got_bare, got_nexts = got[:n_gets], got[n_gets:n_gets + n_bare], got[n_gets + n_bare:]
        for r in got_gets:
            if isinstance(r, dict):
                scalars.update(r)
        if not any(o in scalars for o in extra):
            scalars.update({(*o, 0): v for r in got_bare if isinstance(r, dict) for o, v in r.items()})
        for b, r in zip(nexts, got_nexts, strict=True):
            if isinstance(r, list):  # a column's first row is kept under the column's OID
                scalars.update({column: v for column, v in zip(b, r, strict=True) if v is not None})
        failed = [(len(b), r) for b, r in (*zip(gets, got_gets, strict=True), *zip(nexts, got_nexts, strict=True))
                  if isinstance(r, SnmpError)]
        return f"request of {failed[0][0]} serial/model/version objects failed: {failed[0][1]}" if failed else ""

    async def identity_objects() -> str:
        # The vendor's and standard MIBs' serial/model/version objects, beside the walks. A device that
        # refuses one just has fewer answers (noted); noSuchObject is the common answer and costs nothing.
        # Meanwhile a few GETNEXTs find whose MIBs the device answers (maker_probe.py); the objects of the
        # makers they name follow in a round of their own: the maker's where sysObjectID names none, else
        # those of other makers whose MIBs it answers (observations._identity_sources).
        nonlocal answering
        notes: list[str] = []
        probe = asyncio.ensure_future(first_objects(session))
        try:
            hand, chosen, note = identity_requests(object_id, mibs)
            published = list(extend.request(object_id, text(scalars.get(SYS_DESCR, b""))))
            notes += [note, await ask(hand, chosen, published)]
        except BaseException:
            probe.cancel()
            raise
        try:
            answering = await probe
        except SnmpError as exc:
            notes.append(f"enterprise probe failed: {exc}")
        asked = {*hand, *(o.oid for o in chosen)}
        more_hand, more_chosen, _ = identity_requests(object_id, mibs, answering)
        more_hand = tuple(o for o in more_hand if o not in asked)
        more_chosen = tuple(o for o in more_chosen if o.oid not in asked)
        if more_hand or more_chosen:
            notes.append(await ask(more_hand, more_chosen, []))
        return "; ".join(n for n in notes if n)

    identity_get = asyncio.ensure_future(identity_objects())
    walked = await asyncio.gather(*(walk(k) for k in keys))
    id_note = await identity_get
    tables = dict(zip(keys, walked, strict=True))
    notes = [w.note for group in walked for w in group if w.note] + ([id_note] if id_note else [])
    obs = build_observations(host, scalars, tables, seen_at=datetime.now(UTC), mibs=mibs, answering=answering)
    # Nothing the device said types it: ask, in one GETNEXT, whether it implements its maker's MIBs whose
    # objects speak of a kind (observations.module_probes); an answer within a subtree is kept under the
    # subtree's OID, and the observations are composed again.
    if obs and obs[0].device_type == "unknown" and (probes := list(module_probes(object_id,
                                                                                maker_enterprise(answering)))):
        try:
            found = await session.first_values(probes)
        except SnmpError as exc:
            notes.append(f"module probe failed: {exc}")
        else:
            scalars.update({p: v for p, v in zip(probes, found, strict=True) if v is not None})
            obs = build_observations(host, scalars, tables, seen_at=obs[0].seen_at, mibs=mibs, answering=answering)
    skipped = len(columns) - len(keys)
    reason = (f"{session.cred.label}; {options.snmp_depth}; {session.varbinds} varbinds; {len(keys)} tables walked, "
              f"{skipped} empty or not needed")
    resent = int(getattr(session, "retransmissions", 0))
    if resent:
        reason += f"; {resent} retransmissions"
    if notes:
        reason += "; " + "; ".join(notes)
    if errors:
        # A device that answers its system group but stalls its tables is half-inventoried:
        # say so (ok=False) while still reporting what it did answer.
        reason = (f"partial {options.snmp_depth}: {len(errors)} of {len(keys)} table walks failed "
                  f"(first: {errors[0]}); {reason}")
    return DeviceResult(obs, TargetStatus(target=host, method=Method.SNMP, ok=not errors, reason=reason,
                                          duration_ms=ms_since(started)))



async def inventory_many(
    hosts: Sequence[str],
    options: SweepOptions,
    on_result: Callable[[DeviceResult], None],
    *,
    deadline: float,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
    port: int = 161,
    pacer: Pacer | None = None,
) -> None:
    """Inventory many devices concurrently (at most options.snmp_concurrency at a time).

    All devices share one Pacer: one adaptive in-flight limit and one SNMPv3 engine. Devices
    still unfinished at the deadline (or on stop) get a not-ok status; nothing raises.
    """
    own = pacer is None
    pacer = pacer or Pacer(options)
    sem = asyncio.Semaphore(options.snmp_concurrency)
    done = 0

    async def one(host: str) -> None:
        nonlocal done
        async with sem:
            started = time.monotonic()
            try:
                remaining = max(0.001, deadline - time.monotonic())
                result = await asyncio.wait_for(inventory_device(pacer, host, options, port=port), remaining)
            except TimeoutError:
                result = DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                                       reason="time budget exhausted before the device finished",
                                                       duration_ms=ms_since(started)))
            except Exception as exc:  # noqa: BLE001 - pysnmp internals must not end the sweep
                result = DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                                       reason=f"SNMP failed: {type(exc).__name__}: {exc}",
                                                       duration_ms=ms_since(started)))
            on_result(result)
            done += 1
            if progress is not None and (done % 16 == 0 or done == len(hosts)):
                progress(f"snmp: {done}/{len(hosts)} devices done (in-flight limit {int(pacer.limit.limit)})")

    tasks = [asyncio.ensure_future(one(h)) for h in hosts]

    async def watch() -> None:
        if stop is None:
            return
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        watcher.cancel()
        if own:
            pacer.close()
    for host, res in zip(hosts, results, strict=True):
        if isinstance(res, asyncio.CancelledError):
            on_result(DeviceResult([], TargetStatus(target=host, method=Method.SNMP, ok=False,
                                                    reason="interrupted")))


def run_snmp(
    targets: Sequence[Target],
    options: SweepOptions,
    emit: Emit,
    *,
    stop: threading.Event,
    deadline: float,
    progress: Progress | None = None,
) -> None:
    """The SNMP scanner as sweep() calls it: each target here is one device address."""
    hosts = [a for t in targets for a in t.addresses]
    if not hosts:
        return

    def on_result(res: DeviceResult) -> None:
        for o in res.observations:
            emit(o)
        emit(res.status)

    asyncio.run(inventory_many(hosts, options, on_result, deadline=deadline, stop=stop, progress=progress))

