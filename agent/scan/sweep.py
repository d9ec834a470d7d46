"""sweep(): one network sweep over several methods, streamed as ScanBatch values.

Methods come from registry.SCANNERS. Discovering methods (ARP, nmap) run in parallel threads
first; per-host methods (SNMP) then query the hosts they found plus every single-host target (or
every address when no discovering method runs). Results travel
through a queue and are cut into batches, so a consumer that stops early (Ctrl-C, a full
spool) still holds everything seen so far. The last batch has complete=True and carries the
statuses of anything the time budget cut short.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

from agent.scan.base import Emit, Progress
from agent.scan.binding import BINDABLE, Answer, answer_of, bind, bindings
from agent.scan.model import L2Binding, Method, Observation, ScanBatch, SkippedAddresses, TargetStatus
from agent.scan.neighbours import NeighbourWatch, read_table
from agent.scan.options import SweepOptions
from agent.scan.registry import SCANNERS, ScannerEntry
from agent.scan.targets import LocalAddresses, Target, parse_targets, without_special

# How many skipped addresses a sweep names per reason (the count is always complete).
SKIPPED_EXAMPLES = 8

# A batch is cut at this many items or after this long, whichever comes first: small enough to
# stream, large enough that a /16 does not become 65,000 one-observation reports.
BATCH_ITEMS = 256
BATCH_SECONDS = 1.0
# After the budget expires, scanners get this long to notice the deadline and report.
GRACE_S = 5.0

_DONE = object()


def host_targets(targets: Sequence[Target], live: set[str], *, all_addresses: bool) -> tuple[Target, ...]:
    """One target per host for the per-host methods: live hosts and single-host targets, or everything."""
    out: list[Target] = []
    for tgt in targets:
        for addr in tgt.addresses:
            if all_addresses or tgt.is_single_host or addr in live:
                out.append(Target(spec=addr, network=tgt.network, addresses=(addr,)))
    return tuple(out)


def _run(
    targets: tuple[Target, ...],
    methods: tuple[Method, ...],
    options: SweepOptions,
    emit: Emit,
    *,
    stop: threading.Event,
    deadline: float,
    progress: Progress | None,
    scanners: Mapping[Method, ScannerEntry],
    neighbour_table: Callable[[], str] | None = None,
) -> None:
    live: set[str] = set()
    lock = threading.Lock()
    answers: list[Answer] = []        # L2 answers of the discovery phase (ARP, nmap's ARP)
    unbound_nmap: list[Observation] = []  # nmap sightings without a MAC, held until bindings are known
    bound: dict[str, L2Binding] = {}
    discovering_now = True
    held: list[Observation] = []  # per-host sightings waiting for the neighbour table (no L2 answer yet)
    holding = False

    def emit_and_track(item: Observation | TargetStatus) -> None:
        if isinstance(item, Observation):
            with lock:
                if item.ip:
                    live.add(item.ip)
                if discovering_now:
                    answer = answer_of(item)
                    if answer is not None:
                        answers.append(answer)
                    elif item.method in BINDABLE and item.seen_via is None and not item.mac and item.ip:
                        unbound_nmap.append(item)
                        return
                elif holding and item.method in BINDABLE and item.seen_via is None and item.ip:
                    held.append(item)
                    return
            item = bind(item, bound)
        emit(item)

    def guarded(method: Method, tgts: Sequence[Target]) -> None:
        try:
            # load() imports the scanner's module now: a sweep pays only for the libraries it uses.
            scanners[method].load()(tgts, options, emit_and_track, stop=stop, deadline=deadline, progress=progress)
        except Exception as exc:  # noqa: BLE001 — a scanner bug must become a status, not a dead sweep
            for tgt in tgts:
                emit(TargetStatus(target=tgt.spec, method=method, ok=False,
                                  reason=f"{method.value} scanner failed: {type(exc).__name__}: {exc}"))

    def in_parallel(which: Sequence[Method], tgts: Sequence[Target]) -> None:
        threads = [threading.Thread(target=guarded, args=(m, tgts), name=f"scan-{m.value}", daemon=True)
                   for m in which]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    discovering = [m for m in methods if scanners[m].discovers]
    per_host = [m for m in methods if not scanners[m].discovers]
    in_parallel(discovering, targets)
    with lock:
        discovering_now = False
        made, refused = bindings(answers, max_addresses_per_mac=options.max_addresses_per_mac)
        bound.update(made)
    if progress is not None and (made or refused):
        progress(f"l2 bindings: {len(made)} addresses bound to the MAC that answered for them"
                 + (f", {len(refused)} refused ({next(iter(refused.values()))}, ...)" if refused else ""))
    for waiting in unbound_nmap:
        emit(bind(waiting, bound))
    if per_host and not stop.is_set():
        all_addrs = options.snmp_all_addresses or not discovering
        hosts = host_targets(targets, live, all_addresses=all_addrs)
        if answers or neighbour_table is None:
            in_parallel(per_host, hosts)
            return
        # No L2 answer in this sweep (no ARP, no nmap on the segment): the kernel resolved the on-link
        # hosts while we talked to them, and its neighbour table says which MAC answered (neighbours.py).
        # The hosts' own sightings wait for the table so that proxy ARP can be told before any binding.
        with lock:
            holding = True
        try:
            with NeighbourWatch((a for t in hosts for a in t.addresses), neighbour_table) as watch:
                in_parallel(per_host, hosts)
            made, refused = bindings(watch.answers(), max_addresses_per_mac=options.max_addresses_per_mac)
            bound.update(made)
            if progress is not None and (made or refused):
                progress(f"l2 bindings from the neighbour table: {len(made)} addresses bound"
                         + (f", {len(refused)} refused" if refused else ""))
        finally:
            with lock:
                holding = False
            for obs in held:
                emit(bind(obs, bound))


def sweep(
    targets: Sequence[str],
    *,
    methods: Sequence[Method],
    options: SweepOptions,
    progress: Callable[[str], None] | None = None,
    scanners: Mapping[Method, ScannerEntry] = SCANNERS,
    local: LocalAddresses | None = None,
    neighbour_table: Callable[[], str] | None = read_table,
) -> Iterator[ScanBatch]:
    """Sweep targets with the given methods, yielding batches as results arrive.

    Args:
        targets: CIDRs, addresses, dash ranges or host names (see targets.parse_target).
        methods: methods of `scanners` (ARP, nmap, SNMP).
        options: rates, credentials, budget and exclusions.
        progress: called with one-line human progress messages (from worker threads).
        scanners: the methods that can run (registry.SCANNERS; tests pass their own).
        local: the scanner host's own addresses and networks (default: read from its interfaces).
            Loopback, link-local, multicast, broadcast, unspecified and own addresses are never
            probed; the complete batch says how many were skipped and why (targets.special_reason).
        neighbour_table: reads the kernel's neighbour table (`ip -json neigh` text) for L2 bindings in
            a sweep without ARP (neighbours.py); None makes no such bindings (tests pass their own).

    Yields:
        ScanBatch values sharing one scan_id; the last one has complete=True. If the consumer
        stops iterating, the scanners are told to stop and the sweep ends promptly.

    Raises:
        ConfigError: a target, exclusion or method is invalid (before anything is sent).
    """
    from agent.errors import ConfigError

    wanted = tuple(dict.fromkeys(methods))
    if not wanted:
        raise ConfigError(f"scan: no methods given (use {_names(scanners)})")
    for m in wanted:
        if m not in scanners:
            raise ConfigError(f"scan: method {m.value!r} cannot be swept (use {_names(scanners)})")
    parsed, skipped = without_special(parse_targets(targets, options.exclude),
                                      local if local is not None else LocalAddresses.of_this_host())
    summary = tuple(SkippedAddresses(reason=why, count=len(addrs), examples=tuple(addrs[:SKIPPED_EXAMPLES]))
                    for why, addrs in sorted(skipped.items()))
    if progress is not None and summary:
        progress("skipped " + "; ".join(f"{s.count} {s.reason}" for s in summary))
    return _stream(parsed, wanted, options, progress, scanners, summary, neighbour_table)


def _names(scanners: Mapping[Method, ScannerEntry]) -> str:
    return ", ".join(m.value for m in scanners)


def _stream(
    parsed: tuple[Target, ...],
    methods: tuple[Method, ...],
    options: SweepOptions,
    progress: Progress | None,
    scanners: Mapping[Method, ScannerEntry],
    skipped: tuple[SkippedAddresses, ...] = (),
    neighbour_table: Callable[[], str] | None = None,
) -> Iterator[ScanBatch]:
    scan_id = str(uuid.uuid4())
    started_at = datetime.now(UTC)
    deadline = time.monotonic() + options.time_budget_s
    events: queue.Queue[object] = queue.Queue()
    stop = threading.Event()
    specs = tuple(t.spec for t in parsed)

    def runner() -> None:
        try:
            _run(parsed, methods, options, events.put, stop=stop, deadline=deadline, progress=progress,
                 scanners=scanners, neighbour_table=neighbour_table)
        finally:
            events.put(_DONE)

    worker = threading.Thread(target=runner, name="scan-sweep", daemon=True)
    worker.start()

    def batch(obs: list[Observation], sts: list[TargetStatus], *, complete: bool) -> ScanBatch:
        return ScanBatch(scan_id=scan_id, targets=specs, methods=methods, started_at=started_at,
                         finished_at=datetime.now(UTC), observations=tuple(obs), statuses=tuple(sts),
                         complete=complete, skipped=skipped if complete else ())

    obs: list[Observation] = []
    sts: list[TargetStatus] = []
    last_cut = time.monotonic()
    done = False
    try:
        while not done:
            hard_stop = deadline + GRACE_S
            wait = max(0.0, min(BATCH_SECONDS - (time.monotonic() - last_cut), hard_stop - time.monotonic()))
            try:
                item = events.get(timeout=wait)
            except queue.Empty:
                item = None
            if item is _DONE:
                done = True
            elif isinstance(item, Observation):
                obs.append(item)
            elif isinstance(item, TargetStatus):
                sts.append(item)
            if not done and time.monotonic() >= hard_stop:
                # Scanners overran the budget: give up on them and say so, keeping what arrived.
                stop.set()
                while True:
                    try:
                        late = events.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(late, Observation):
                        obs.append(late)
                    elif isinstance(late, TargetStatus):
                        sts.append(late)
                reported = {(s.target, s.method) for s in sts}
                for m in methods:
                    for spec in specs:
                        if (spec, m) not in reported:
                            sts.append(TargetStatus(target=spec, method=m, ok=False,
                                                    reason="time budget exhausted before this target finished"))
                done = True
            if done or len(obs) + len(sts) >= BATCH_ITEMS or time.monotonic() - last_cut >= BATCH_SECONDS:
                if done or obs or sts:
                    yield batch(obs, sts, complete=done)
                obs, sts = [], []
                last_cut = time.monotonic()
    finally:
        stop.set()
        with contextlib.suppress(RuntimeError):
            worker.join(timeout=2.0)
