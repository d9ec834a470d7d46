"""Pure encoding of the agent's domain objects into netcensus.v1 messages (no I/O, no gRPC)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.protobuf.timestamp_pb2 import Timestamp
from netcensus.v1 import report_pb2

from agent import __version__
from agent.facts.model import (
    CollectorState,
    HostFacts,
    Inventory,
    NetworkInterface,
    SecurityFacts,
    SoftwareItem,
)
from agent.scan.model import Method, Observation, ScanBatch
from agent.transport.delta import Delta, checksum, complete_sources
from agent.transport.spool import Backlog

_STATES = {
    CollectorState.OK: report_pb2.COLLECTOR_STATE_OK,
    CollectorState.FAILED: report_pb2.COLLECTOR_STATE_FAILED,
    CollectorState.TIMED_OUT: report_pb2.COLLECTOR_STATE_TIMED_OUT,
    CollectorState.SKIPPED: report_pb2.COLLECTOR_STATE_SKIPPED,
}
METHODS = {m: getattr(report_pb2, f"METHOD_{m.name}") for m in Method}


def _ts(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC))
    return ts


def _interface(msg: report_pb2.NetworkInterface, iface: NetworkInterface) -> None:
    msg.name = iface.name
    msg.mac = iface.mac
    msg.addresses.extend(iface.addresses)
    msg.is_virtual = iface.is_virtual
    msg.speed_mbps = max(0, iface.speed_mbps)
    msg.is_up = iface.is_up


def _software(target: RepeatedCompositeFieldContainer[report_pb2.SoftwareItem], items: Iterable[SoftwareItem]) -> None:
    """Append the items to a repeated SoftwareItem field (the one wire form of a software list)."""
    target.extend(
        report_pb2.SoftwareItem(name=item.name, version=item.version, vendor=item.vendor, arch=item.arch,
                                source=item.source, source_package=item.source_package, purl=item.purl,
                                installed_at=None if item.installed_at is None else _ts(item.installed_at))
        for item in items)


def encode_facts(facts: HostFacts) -> report_pb2.HostFacts:
    """HostFacts → message."""
    msg = report_pb2.HostFacts(hostname=facts.hostname, fqdn=facts.fqdn, memory_bytes=facts.memory_bytes,
                               virtualization=facts.virtualization)
    o = facts.os
    msg.os.CopyFrom(report_pb2.OsInfo(family=o.family, name=o.name, version=o.version, kernel=o.kernel, arch=o.arch,
                                      id=o.id))
    h = facts.hardware
    msg.hardware.CopyFrom(report_pb2.Hardware(
        vendor=h.vendor, model=h.model, serial=h.serial, system_uuid=h.system_uuid, bios_version=h.bios_version,
        bios_date=h.bios_date, chassis_type=h.chassis_type))
    msg.cpu.CopyFrom(report_pb2.Cpu(model=facts.cpu.model, cores=facts.cpu.cores, threads=facts.cpu.threads))
    for iface in facts.interfaces:
        _interface(msg.interfaces.add(), iface)
    for disk in facts.disks:
        msg.disks.add(name=disk.name, model=disk.model, serial=disk.serial, size_bytes=disk.size_bytes)
    if facts.boot_time is not None:
        msg.boot_time.CopyFrom(_ts(facts.boot_time))
    msg.timezone = facts.timezone
    for user in facts.users:
        u = msg.users.add(name=user.name, terminal=user.terminal, host=user.host)
        if user.started is not None:
            u.started.CopyFrom(_ts(user.started))
    _security(msg.security, facts.security)
    return msg


def _security(msg: report_pb2.SecurityFacts, sec: SecurityFacts) -> None:
    """SecurityFacts → message (listening ports, protection, encryption, firewalls, updates)."""
    for p in sec.listening:
        msg.listening.add(protocol=p.protocol, address=p.address, port=p.port, pid=max(0, p.pid), process=p.process)
    for e in sec.endpoint_protection:
        msg.endpoint_protection.add(product=e.product, vendor=e.vendor, running=e.running, evidence=list(e.evidence))
    for v in sec.disk_encryption.volumes:
        msg.encrypted_volumes.add(name=v.name, kind=v.kind, backing=list(v.backing), active=v.active,
                                  configured=v.configured)
    msg.root_encrypted = sec.disk_encryption.root_encrypted
    for f in sec.firewalls:
        msg.firewalls.add(name=f.name, enabled=f.enabled, active=f.active, rules=max(0, f.rules), detail=f.detail)
    for u in sec.pending_security_updates:
        msg.pending_security_updates.add(name=u.name, arch=u.arch, installed_version=u.installed_version,
                                         available_version=u.available_version, suite=u.suite)
    if sec.security_lists_date is not None:
        msg.security_lists_date.CopyFrom(_ts(sec.security_lists_date))
    msg.security_suites.extend(sec.security_suites)


def new_report(source_id: str, seq: int, now: datetime) -> report_pb2.Report:
    """An empty report with identity, sequence and time filled in."""
    return report_pb2.Report(report_id=str(uuid.uuid4()), source_id=source_id, seq=seq, created_at=_ts(now),
                             software_version=__version__)


MAX_ERROR_CHARS = 300  # report.proto SenderState.last_error: one line, at most this long


def one_line(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`text` as one line of at most `limit` characters: every run of whitespace (newlines included) is one
    space, and a cut is marked with an ellipsis, so the collector shows a short line, not a traceback."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "\u2026"


def encode_sender_state(backlog: Backlog, now: datetime) -> bytes:
    """A Report holding only sender_state, serialized: the bytes to append to a spooled report as it is sent.

    Protobuf parses concatenated messages as one merged message, so appending these bytes sets the
    field on the spooled report without decoding and re-encoding it (a scan batch can be megabytes).
    """
    state = report_pb2.SenderState(queued_reports=min(backlog.reports, 2**32 - 1), queued_bytes=backlog.bytes,
                                   sent_at=_ts(now))
    if backlog.oldest_at is not None:
        state.oldest_queued_at.CopyFrom(_ts(backlog.oldest_at))
    if backlog.last_error is not None and backlog.last_error.detail.strip():
        state.last_error = one_line(backlog.last_error.detail)
        state.last_error_at.CopyFrom(_ts(backlog.last_error.at))
    return report_pb2.Report(sender_state=state).SerializeToString()


def _host_parts(msg: report_pb2.HostSnapshot | report_pb2.HostDelta, inventory: Inventory) -> None:
    """What snapshots and deltas both carry: facts, collector states, neighbours and the checksum."""
    msg.facts.CopyFrom(encode_facts(inventory.facts))
    for status in inventory.collectors:
        msg.collectors.add(name=status.name, state=_STATES[status.state], duration_ms=max(0, status.duration_ms),
                           items=max(0, status.items), reason=status.reason)
    for nb in inventory.neighbours:
        msg.neighbours.add(ip=nb.ip, mac=nb.mac, interface=nb.interface, state=nb.state)
    msg.software_checksum = checksum(inventory.software, complete_sources(inventory))


def encode_snapshot(inventory: Inventory, *, source_id: str, seq: int, now: datetime) -> report_pb2.Report:
    """A full HostSnapshot report."""
    report = new_report(source_id, seq, now)
    _host_parts(report.host_snapshot, inventory)
    _software(report.host_snapshot.software, inventory.software)
    return report


def encode_delta(inventory: Inventory, delta: Delta, *, base_report_id: str, source_id: str, seq: int,
                 now: datetime) -> report_pb2.Report:
    """A HostDelta report: full facts, changed software only, checksum of the resulting list."""
    report = new_report(source_id, seq, now)
    msg = report.host_delta
    msg.base_report_id = base_report_id
    _host_parts(msg, inventory)
    _software(msg.added, delta.added)
    _software(msg.removed, delta.removed)
    _software(msg.changed, delta.changed)
    return report


def _observation(msg: report_pb2.Observation, obs: Observation) -> None:
    msg.ip = obs.ip
    msg.mac = obs.mac
    msg.method = METHODS[obs.method]
    msg.seen_at.CopyFrom(_ts(obs.seen_at))
    msg.hostname = obs.hostname
    msg.vendor = obs.vendor
    msg.device_type = obs.device_type
    msg.os_family = obs.os_family
    if obs.snmp is not None:
        s = obs.snmp
        msg.snmp.CopyFrom(report_pb2.SnmpSystem(descr=s.descr, object_id=s.object_id, uptime_ticks=s.uptime_ticks,
                                                contact=s.contact, name=s.name, location=s.location))
    for port in obs.open_ports:
        msg.open_ports.add(port=port.port, protocol=port.protocol, service=port.service, product=port.product)
    _software(msg.software, obs.software)
    if obs.seen_via is not None:
        v = obs.seen_via
        msg.seen_via.CopyFrom(report_pb2.SeenVia(device_ip=v.device_ip, device_name=v.device_name,
                                                 if_index=v.if_index, port_name=v.port_name, vlan=v.vlan))
    msg.serial = obs.serial
    msg.model = obs.model
    msg.firmware = obs.firmware
    for iface in obs.interfaces:
        _interface(msg.interfaces.add(), iface)
    msg.mac_is_local = obs.mac_is_local
    for name, value in obs.attributes:
        msg.attributes[name] = value
    if obs.l2_binding is not None:
        b = obs.l2_binding
        msg.l2_binding.CopyFrom(report_pb2.L2Binding(mac=b.mac, learnt_by=b.learnt_by, seen_at=_ts(b.seen_at)))


def encode_scan(batch: ScanBatch, *, source_id: str, seq: int, now: datetime) -> report_pb2.Report:
    """A ScanResult report for one batch of a sweep."""
    report = new_report(source_id, seq, now)
    scan = report.scan
    scan.scan_id = batch.scan_id
    scan.targets.extend(batch.targets)
    scan.methods.extend(METHODS[m] for m in batch.methods)
    scan.started_at.CopyFrom(_ts(batch.started_at))
    scan.finished_at.CopyFrom(_ts(batch.finished_at))
    for obs in batch.observations:
        _observation(scan.observations.add(), obs)
    for st in batch.statuses:
        scan.statuses.add(target=st.target, method=METHODS[st.method], ok=st.ok, reason=st.reason,
                          duration_ms=max(0, st.duration_ms))
    scan.complete = batch.complete
    for sk in batch.skipped:
        scan.skipped.add(reason=sk.reason, count=sk.count, examples=sk.examples)
    return report
