"""Rule files: loading, strict validation with file:line errors, and the rule model.

The format is documented in ``rules/README.md`` (and sketched in DESIGN.md, "Rule format").
Files are read with PyYAML's *composer* rather than ``safe_load`` so that every node keeps its
position: an unknown key, a bad glob or a duplicate id is reported as ``file:line: ...``, the one
line a user needs to fix it. Validation collects every error of every file instead of stopping at
the first, so ``netcensus rules check`` can list them all.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Final

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from collector.errors import RuleError
from collector.rules.globs import GlobError, compile_glob
from collector.rules.versions import VersionConstraint, VersionSyntaxError, parse_constraint
from collector.safeyaml import YamlLimitError, compose

__all__ = [
    "DEVICE_TYPES",
    "POSTURE_CHECKS",
    "RULE_TYPES",
    "SEVERITIES",
    "SOURCES",
    "Exemption",
    "Match",
    "PortRange",
    "Rule",
    "RuleSet",
    "Scope",
    "check_rules",
    "load_rules",
    "parse_rules_text",
    "rule_files",
]

SEVERITIES: Final = ("info", "low", "medium", "high", "critical")
RULE_TYPES: Final = ("deny", "allow", "require", "licence", "posture")
#: What a `posture` rule checks in the facts an agent reports about its machine; each is also the
#: kind of its findings (collector/rules/posture.py says what each means).
POSTURE_CHECKS: Final = ("unpatched", "disk-unencrypted", "firewall-off", "endpoint-protection-missing",
                         "remote-access-port-open")
#: Package sources the agents and scanners report (proto SoftwareItem.source), plus the
#: catch-alls the issue names. A typo such as "dep" must fail, not silently match nothing.
SOURCES: Final = frozenset(
    {"deb", "rpm", "pip", "npm", "snap", "flatpak", "msi", "windows", "macos", "macos-app", "pkgutil", "snmp", "other"}
)
#: The documented device-type vocabulary (proto Observation.device_type).
DEVICE_TYPES: Final = frozenset(
    {
        "workstation", "laptop", "server", "router", "switch", "firewall", "wireless", "printer", "ups",
        "storage", "camera", "phone", "iot", "bmc", "virtual", "unknown",
    }
)

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_OS = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_FILE_KEYS = ("rules", "description")
_RULE_KEYS = ("id", "title", "severity", "type", "description", "references", "match", "scope", "exceptions", "seats",
              "check", "ports")
_PORT = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?(?:/(tcp|udp))?$")
_MATCH_KEYS = ("name", "vendor", "version", "source")
_SCOPE_KEYS = ("os", "hostname", "subnet", "device_type")
_EXCEPTION_KEYS = ("hostname", "asset_id", "reason", "until")
_STR_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_MAX_LIST = 10_000


@dataclass(frozen=True, slots=True)
class Match:
    """What installed software a rule is about; every given condition must hold.

    Attributes:
        names: case-insensitive globs on the normalised product name or the raw name.
        vendors: case-insensitive globs on the normalised or the raw vendor.
        versions: constraints of which at least one must hold (empty: any version).
        sources: package sources the item must come from (empty: any).
    """

    names: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    versions: tuple[VersionConstraint, ...] = ()
    sources: frozenset[str] = frozenset()

    def matches_vendor(self, vendor: str, raw_vendor: str) -> bool:
        """Whether a vendor glob matches the normalised or case-folded raw vendor (True if none given)."""
        return not self.vendors or any(
            (p := compile_glob(g)).fullmatch(vendor) is not None or p.fullmatch(raw_vendor) is not None
            for g in self.vendors
        )

    def matches_version(self, version: str, scheme: str) -> bool:
        """Whether any constraint holds for ``version`` in ``scheme`` (True if none given)."""
        return not self.versions or any(c.contains(version, scheme) for c in self.versions)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which assets a rule applies to; every given dimension must hold, any value within one.

    Attributes:
        os: os_family values (lower case).
        hostnames: case-insensitive hostname globs.
        subnets: networks, normalised ("10.1.0.0/16"); an asset is in scope if any IP is inside.
        device_types: device types from the documented vocabulary.
    """

    os: tuple[str, ...] = ()
    hostnames: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    device_types: tuple[str, ...] = ()

    @property
    def is_everything(self) -> bool:
        """True when the rule applies to every asset."""
        return not (self.os or self.hostnames or self.subnets or self.device_types)


@dataclass(frozen=True, slots=True)
class Exemption:
    """An exception to a rule: a reason, an expiry, and the assets it covers.

    Attributes:
        reason: why the exception was granted; shown on the suppressed finding.
        until: last day (inclusive, UTC) on which the exception suppresses findings.
        hostname: hostname glob, or None.
        asset_id: exact asset id, or None. When both are given, both must hold.
        line: line in the rule file, for messages.
    """

    reason: str
    until: date
    hostname: str | None = None
    asset_id: str | None = None
    line: int = 0

    def covers(self, asset_id: str | None, hostname: str | None) -> bool:
        """Whether the exception names this asset (ignoring expiry)."""
        if self.asset_id is not None and asset_id != self.asset_id:
            return False
        return self.hostname is None or compile_glob(self.hostname).fullmatch((hostname or "").casefold()) is not None

    def active(self, today: date) -> bool:
        """Whether the exception still suppresses findings on ``today``."""
        return today <= self.until

    def describe(self) -> str:
        """Short text for RuleFinding.suppression, e.g. "approved bastion (until 2027-06-30)"."""
        return f"{self.reason} (until {self.until.isoformat()})"


@dataclass(frozen=True, slots=True)
class PortRange:
    """Ports of one transport protocol, for remote-access-port-open: `low`..`high` inclusive."""

    protocol: str  # "tcp" | "udp"
    low: int
    high: int

    def holds(self, protocol: str, port: int) -> bool:
        """Whether a socket of `protocol` on `port` is one of these."""
        return protocol == self.protocol and self.low <= port <= self.high

    def __str__(self) -> str:
        return (f"{self.low}" if self.low == self.high else f"{self.low}-{self.high}") + f"/{self.protocol}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated rule.

    Attributes:
        id: unique id across every loaded file.
        title: one-line human title.
        severity: info | low | medium | high | critical.
        type: deny | allow | require | licence.
        match: what software the rule is about.
        scope: which assets it applies to.
        exceptions: exemptions, in file order.
        seats: licensed seats (licence rules only).
        check: what a posture rule checks (POSTURE_CHECKS; posture rules only).
        ports: the listening ports remote-access-port-open flags (that check only).
        description: optional longer text.
        references: optional URLs (advisories, CVEs).
        file: file the rule came from.
        line: line of the rule's first key.
    """

    id: str
    title: str
    severity: str
    type: str
    match: Match
    scope: Scope = field(default_factory=Scope)
    exceptions: tuple[Exemption, ...] = ()
    seats: int | None = None
    description: str = ""
    references: tuple[str, ...] = ()
    check: str = ""
    ports: tuple[PortRange, ...] = ()
    file: str = ""
    line: int = 0

    @property
    def where(self) -> str:
        """``file:line`` of the rule."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Rules loaded from one or more files, in load order (files sorted by name per directory).

    Attributes:
        rules: the rules.
        files: the files they came from.
    """

    rules: tuple[Rule, ...] = ()
    files: tuple[Path, ...] = ()

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        """Return the rule with ``rule_id``, or None."""
        return next((r for r in self.rules if r.id == rule_id), None)


class _Missing:
    """Sentinel for "no valid value"; the error has already been recorded."""


_BAD: Final = _Missing()


class _Checker:
    """Walks composed YAML nodes of one file, converting values and collecting errors."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[str] = []
        self._loader = yaml.SafeLoader("")

    def error(self, node: Node | None, message: str) -> _Missing:
        line = node.start_mark.line + 1 if node is not None else 1
        self.errors.append(f"{self.filename}:{line}: {message}")
        return _BAD

    def mapping(
        self, node: Node, what: str, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> dict[str, tuple[Node, Node]] | _Missing:
        """Check that ``node`` is a mapping with known string keys; return key -> (key node, value node)."""
        if not isinstance(node, MappingNode):
            return self.error(node, f"{what} must be a mapping (key: value), not {_kind(node)}")
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                self.error(key_node, f"{what}: keys must be plain words, not {_kind(key_node)}")
                continue
            key = key_node.value
            if key in out:
                self.error(key_node, f"{what}: duplicate key {key!r}")
                continue
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f"did you mean {hint[0]!r}?" if hint else "expected one of: " + ", ".join(allowed)
                self.error(key_node, f"{what}: unknown key {key!r} ({suggestion})")
                continue
            out[key] = (key_node, value_node)
        for key in required:
            if key not in out:
                self.error(node, f"{what}: missing required key {key!r}")
        return out

    def string(self, node: Node, what: str) -> str | _Missing:
        """A non-empty scalar; numbers are taken as written ("1.0" stays "1.0", not 1.0)."""
        if not isinstance(node, ScalarNode):
            return self.error(node, f"{what} must be a string, not {_kind(node)}")
        if node.tag == "tag:yaml.org,2002:null":
            return self.error(node, f"{what} is empty")
        if node.tag not in _STR_TAGS:
            return self.error(node, f"{what} must be a string, not {_kind(node)} (quote it)")
        text = str(node.value).strip()
        if not text:
            return self.error(node, f"{what} is empty")
        return text

    def string_list(self, node: Node, what: str) -> list[tuple[str, Node]] | _Missing:
        """A string or a non-empty list of strings; returns (value, node) pairs."""
        items = node.value if isinstance(node, SequenceNode) else [node]
        if isinstance(node, SequenceNode) and not items:
            return self.error(node, f"{what} is an empty list")
        if len(items) > _MAX_LIST:
            return self.error(node, f"{what} has more than {_MAX_LIST} entries")
        out: list[tuple[str, Node]] = []
        ok = True
        for item in items:
            value = self.string(item, what)
            if isinstance(value, _Missing):
                ok = False
            else:
                out.append((value, item))
        return out if ok else _BAD

    def scalar_value(self, node: ScalarNode) -> object:
        """Construct a scalar with YAML's safe types (int, date, bool...)."""
        return self._loader.construct_object(node)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    tag = str(node.tag).rsplit(":", 1)[-1]
    names = {"null": "empty", "bool": "a boolean", "int": "a number", "float": "a number", "timestamp": "a date"}
    return names.get(tag, f"tagged {tag}")


def _globs(ck: _Checker, node: Node, what: str) -> tuple[str, ...] | _Missing:
    values = ck.string_list(node, what)
    if isinstance(values, _Missing):
        return _BAD
    ok = True
    for value, item in values:
        try:
            compile_glob(value)
        except GlobError as exc:
            ck.error(item, f"{what}: bad glob: {exc}")
            ok = False
    return tuple(v for v, _ in values) if ok else _BAD


def _choices(ck: _Checker, node: Node, what: str, allowed: Iterable[str]) -> tuple[str, ...] | _Missing:
    values = ck.string_list(node, what)
    if isinstance(values, _Missing):
        return _BAD
    allowed = sorted(allowed)
    ok = True
    for value, item in values:
        if value.lower() not in allowed:
            hint = difflib.get_close_matches(value.lower(), allowed, n=1)
            tail = f"did you mean {hint[0]!r}?" if hint else "expected one of: " + ", ".join(allowed)
            ck.error(item, f"{what}: unknown value {value!r} ({tail})")
            ok = False
    return tuple(v.lower() for v, _ in values) if ok else _BAD


def _match(ck: _Checker, node: Node, rid: str) -> Match | _Missing:
    what = f"rule {rid!r}: match"
    keys = ck.mapping(node, what, _MATCH_KEYS)
    if isinstance(keys, _Missing):
        return _BAD
    if "name" not in keys and "vendor" not in keys:
        ck.error(node, f"{what}: needs 'name' or 'vendor'")
        return _BAD
    names = _globs(ck, keys["name"][1], f"{what}.name") if "name" in keys else ()
    vendors = _globs(ck, keys["vendor"][1], f"{what}.vendor") if "vendor" in keys else ()
    versions: list[VersionConstraint] | _Missing = []
    if "version" in keys:
        values = ck.string_list(keys["version"][1], f"{what}.version")
        parsed: list[VersionConstraint] = []
        for value, item in [] if isinstance(values, _Missing) else values:
            try:
                parsed.append(parse_constraint(value))
            except VersionSyntaxError as exc:
                ck.error(item, f"{what}.version: {exc}")
        versions = _BAD if isinstance(values, _Missing) or len(parsed) < len(values) else parsed
    sources = _choices(ck, keys["source"][1], f"{what}.source", SOURCES) if "source" in keys else ()
    if any(isinstance(v, _Missing) for v in (names, vendors, versions, sources)):
        return _BAD
    assert isinstance(names, tuple)
    assert isinstance(vendors, tuple)
    assert isinstance(versions, list)
    assert isinstance(sources, tuple)
    return Match(names, vendors, tuple(versions), frozenset(sources))


def _scope(ck: _Checker, node: Node, rid: str) -> Scope | _Missing:
    what = f"rule {rid!r}: scope"
    keys = ck.mapping(node, what, _SCOPE_KEYS)
    if isinstance(keys, _Missing):
        return _BAD
    os_values: tuple[str, ...] | _Missing = ()
    if "os" in keys:
        values = ck.string_list(keys["os"][1], f"{what}.os")
        if isinstance(values, _Missing):
            os_values = _BAD
        else:
            bad = [(v, n) for v, n in values if not _OS.match(v.lower())]
            for value, item in bad:
                ck.error(item, f"{what}.os: {value!r} is not an OS family (e.g. windows, linux, macos)")
            os_values = _BAD if bad else tuple(v.lower() for v, _ in values)
    hostnames = _globs(ck, keys["hostname"][1], f"{what}.hostname") if "hostname" in keys else ()
    subnets: list[str] | _Missing = []
    if "subnet" in keys:
        cidrs = ck.string_list(keys["subnet"][1], f"{what}.subnet")
        networks: list[str] = []
        for value, item in [] if isinstance(cidrs, _Missing) else cidrs:
            try:
                networks.append(str(ipaddress.ip_network(value, strict=True)))
            except ValueError as exc:
                ck.error(item, f"{what}.subnet: {value!r} is not a CIDR network ({exc})")
        subnets = _BAD if isinstance(cidrs, _Missing) or len(networks) < len(cidrs) else networks
    device_types = (
        _choices(ck, keys["device_type"][1], f"{what}.device_type", DEVICE_TYPES) if "device_type" in keys else ()
    )
    if any(isinstance(v, _Missing) for v in (os_values, hostnames, subnets, device_types)):
        return _BAD
    assert isinstance(os_values, tuple)
    assert isinstance(hostnames, tuple)
    assert isinstance(subnets, list)
    assert isinstance(device_types, tuple)
    return Scope(os_values, hostnames, tuple(subnets), device_types)


def _until(ck: _Checker, node: Node, what: str) -> date | _Missing:
    if isinstance(node, ScalarNode):
        try:
            value = ck.scalar_value(node)
        except (ValueError, OverflowError, yaml.YAMLError):
            value = None
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
    return ck.error(node, f"{what} must be a date written YYYY-MM-DD")


def _exceptions(ck: _Checker, node: Node, rid: str) -> tuple[Exemption, ...] | _Missing:
    what = f"rule {rid!r}: exceptions"
    if not isinstance(node, SequenceNode):
        return ck.error(node, f"{what} must be a list, not {_kind(node)}")
    out: list[Exemption] = []
    ok = True
    for index, item in enumerate(node.value[:_MAX_LIST], start=1):
        label = f"{what}[{index}]"
        keys = ck.mapping(item, label, _EXCEPTION_KEYS, required=("reason", "until"))
        if isinstance(keys, _Missing):
            ok = False
            continue
        if "hostname" not in keys and "asset_id" not in keys:
            ck.error(item, f"{label}: needs 'hostname' and/or 'asset_id' (which assets it covers)")
            ok = False
        hostname: str | _Missing | None = None
        if "hostname" in keys:
            hostname = ck.string(keys["hostname"][1], f"{label}.hostname")
            if isinstance(hostname, str):
                try:
                    compile_glob(hostname)
                except GlobError as exc:
                    hostname = ck.error(keys["hostname"][1], f"{label}.hostname: bad glob: {exc}")
        asset_id = ck.string(keys["asset_id"][1], f"{label}.asset_id") if "asset_id" in keys else None
        reason = ck.string(keys["reason"][1], f"{label}.reason") if "reason" in keys else _BAD
        until = _until(ck, keys["until"][1], f"{label}.until") if "until" in keys else _BAD
        if not (
            isinstance(reason, str)
            and isinstance(until, date)
            and not isinstance(hostname, _Missing)
            and not isinstance(asset_id, _Missing)
        ):
            ok = False
            continue
        out.append(Exemption(reason, until, hostname, asset_id, item.start_mark.line + 1))
    return tuple(out) if ok else _BAD


def _rule(ck: _Checker, node: Node) -> Rule | _Missing:
    if not isinstance(node, MappingNode):
        return ck.error(node, f"each rule must be a mapping, not {_kind(node)}")
    # Name the rule in messages as soon as its id is known.
    rid = "?"
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == "id" and isinstance(value_node, ScalarNode):
            rid = str(value_node.value)
    what = f"rule {rid!r}"
    errors_before = len(ck.errors)
    posture = any(isinstance(k, ScalarNode) and k.value == "type" and isinstance(v, ScalarNode)
                  and v.value == "posture" for k, v in node.value)
    keys = ck.mapping(node, what, _RULE_KEYS,
                      required=("id", "title", "severity", "type", "check" if posture else "match"))
    if isinstance(keys, _Missing):
        return _BAD

    def text(key: str) -> str | _Missing:
        return ck.string(keys[key][1], f"{what}.{key}") if key in keys else _BAD

    rule_id = text("id")
    if isinstance(rule_id, str) and not _ID.match(rule_id):
        rule_id = ck.error(keys["id"][1], f"{what}: id must be lower-case letters, digits, '.', '_' or '-'")
    title = text("title")
    severity = text("severity")
    if isinstance(severity, str) and severity not in SEVERITIES:
        severity = ck.error(
            keys["severity"][1], f"{what}: unknown severity {severity!r} (expected one of: {', '.join(SEVERITIES)})"
        )
    rtype = text("type")
    if isinstance(rtype, str) and rtype not in RULE_TYPES:
        hint = "did you mean 'licence'?" if rtype == "license" else "expected one of: " + ", ".join(RULE_TYPES)
        rtype = ck.error(keys["type"][1], f"{what}: unknown type {rtype!r} ({hint})")
    description = text("description") if "description" in keys else ""
    references: tuple[str, ...] | _Missing = ()
    if "references" in keys:
        refs = ck.string_list(keys["references"][1], f"{what}.references")
        references = _BAD if isinstance(refs, _Missing) else tuple(v for v, _ in refs)
    check, ports = _posture(ck, keys, what, rtype)
    match: Match | _Missing = _match(ck, keys["match"][1], rid) if "match" in keys else Match() if posture else _BAD
    if posture and "match" in keys and check != "endpoint-protection-missing":
        match = ck.error(keys["match"][0], f"{what}: 'match' only applies to check: endpoint-protection-missing "
                                           "(the software that counts as protection)")
    scope = _scope(ck, keys["scope"][1], rid) if "scope" in keys else Scope()
    exceptions = _exceptions(ck, keys["exceptions"][1], rid) if "exceptions" in keys else ()
    seats: int | _Missing | None = None
    if "seats" in keys:
        seats_node = keys["seats"][1]
        if rtype != "licence":
            seats = ck.error(keys["seats"][0], f"{what}: 'seats' only applies to type: licence")
        elif (
            isinstance(seats_node, ScalarNode)
            and seats_node.tag == "tag:yaml.org,2002:int"
            and isinstance(value := ck.scalar_value(seats_node), int)
            and value >= 0
        ):
            seats = value
        else:
            seats = ck.error(seats_node, f"{what}: seats must be a whole number >= 0")
    elif rtype == "licence":
        seats = ck.error(node, f"{what}: licence rules need 'seats: N'")
    if len(ck.errors) > errors_before:
        return _BAD
    assert isinstance(rule_id, str)
    assert isinstance(title, str)
    assert isinstance(severity, str)
    assert isinstance(rtype, str)
    assert isinstance(description, str)
    assert isinstance(references, tuple)
    assert isinstance(match, Match)
    assert isinstance(scope, Scope)
    assert isinstance(exceptions, tuple)
    assert not isinstance(seats, _Missing)
    assert isinstance(check, str)
    assert isinstance(ports, tuple)
    return Rule(
        id=rule_id,
        title=title,
        severity=severity,
        type=rtype,
        match=match,
        scope=scope,
        exceptions=exceptions,
        seats=seats,
        description=description,
        references=references,
        check=check,
        ports=ports,
        file=ck.filename,
        line=node.start_mark.line + 1,
    )


def _posture(ck: _Checker, keys: dict[str, tuple[Node, Node]], what: str,
             rtype: str | _Missing) -> tuple[str | _Missing, tuple[PortRange, ...] | _Missing]:
    """`check` and `ports` of a posture rule (errors where they do not apply)."""
    check: str | _Missing = ""
    if "check" in keys:
        if rtype != "posture":
            check = ck.error(keys["check"][0], f"{what}: 'check' only applies to type: posture")
        else:
            check = ck.string(keys["check"][1], f"{what}.check")
            if isinstance(check, str) and check not in POSTURE_CHECKS:
                hint = difflib.get_close_matches(check, POSTURE_CHECKS, n=1)
                check = ck.error(keys["check"][1], f"{what}: unknown check {check!r} (" + (
                    f"did you mean {hint[0]!r}?" if hint else "expected one of: " + ", ".join(POSTURE_CHECKS)) + ")")
    ports: tuple[PortRange, ...] | _Missing = ()
    if "ports" in keys:
        if check != "remote-access-port-open":
            ports = ck.error(keys["ports"][0], f"{what}: 'ports' only applies to check: remote-access-port-open")
        else:
            ports = _ports(ck, keys["ports"][1], f"{what}.ports")
    elif check == "remote-access-port-open":
        ports = ck.error(keys["check"][1],
                         f"{what}: remote-access-port-open needs 'ports' (e.g. [3389/tcp, 5900-5909/tcp])")
    return check, ports


def _ports(ck: _Checker, node: Node, what: str) -> tuple[PortRange, ...] | _Missing:
    """`3389/tcp`, `5900-5909/tcp`, `161/udp`, or a bare number (TCP)."""
    values = ck.string_list(node, what)
    if isinstance(values, _Missing):
        return _BAD
    out: list[PortRange] = []
    for value, item in values:
        m = _PORT.match(value.strip().lower())
        low = int(m.group(1)) if m else 0
        high = int(m.group(2) or low) if m else 0
        if m is None or not 1 <= low <= high <= 65535:
            ck.error(item, f"{what}: bad port {value!r} (use PORT/tcp or LOW-HIGH/udp with ports 1-65535, "
                           "e.g. 3389/tcp or 5900-5909/tcp)")
            continue
        out.append(PortRange(m.group(3) or "tcp", low, high))
    return tuple(out) if len(out) == len(values) else _BAD


def _yaml_error_line(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """Line (1-based) and one-line description of a PyYAML error."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and "end of stream" in (exc.problem or ""):
            # An unterminated quote or bracket is noticed only at the end of the file; the line
            # where it was opened is the one to fix.
            mark = exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}, {exc.problem}"
        return (mark.line + 1 if mark is not None else 1), " ".join(problem.split())
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        return text.count("\n", 0, exc.position) + 1, f"character U+{char:04X} is not allowed in YAML"
    return 1, " ".join(str(exc).split())


def parse_rules_text(text: str, filename: str) -> tuple[list[Rule], list[str]]:
    """Validate the text of one rule file.

    Args:
        text: the file's content.
        filename: name used in messages.

    Returns:
        (valid rules, errors); errors are one-line ``file:line: message`` strings. A rule with
        any error is left out of the valid rules.
    """
    try:
        root = compose(text)
    except YamlLimitError as exc:
        return [], [f"{filename}:{exc.line}: {exc.problem}"]
    except yaml.YAMLError as exc:
        line, problem = _yaml_error_line(exc, text)
        return [], [f"{filename}:{line}: YAML syntax error: {problem}"]
    except RecursionError:
        return [], [f"{filename}:1: YAML nesting too deep"]
    ck = _Checker(filename)
    if root is None:
        return [], [f"{filename}:1: empty rule file (expected 'rules:' with a list of rules)"]
    keys = ck.mapping(root, "rule file", _FILE_KEYS, required=("rules",))
    if isinstance(keys, _Missing):
        return [], ck.errors
    if "description" in keys:
        ck.string(keys["description"][1], "rule file description")
    rules: list[Rule] = []
    if "rules" in keys:
        rules_node = keys["rules"][1]
        if not isinstance(rules_node, SequenceNode):
            ck.error(rules_node, f"'rules' must be a list of rules, not {_kind(rules_node)}")
        else:
            for item in rules_node.value[:_MAX_LIST]:
                rule = _rule(ck, item)
                if isinstance(rule, Rule):
                    rules.append(rule)
    return rules, ck.errors


def rule_files(paths: Sequence[Path | str]) -> tuple[list[Path], list[str]]:
    """Expand directories into their ``*.yaml`` / ``*.yml`` files (sorted); keep files as given.

    Returns:
        (files, errors); a missing path or a directory with no rule file is an error.
    """
    files: list[Path] = []
    errors: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                errors.append(f"{path}: no rule files (*.yaml) in this directory")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            errors.append(f"{path}: no such file or directory")
    return files, errors


def _load(paths: Sequence[Path | str]) -> tuple[list[Rule], list[Path], list[str]]:
    files, errors = rule_files(paths)
    rules: list[Rule] = []
    first_seen: dict[str, Rule] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            line = path.read_bytes().count(b"\n", 0, exc.start) + 1
            errors.append(f"{path}:{line}: not UTF-8 text ({exc.reason})")
            continue
        except OSError as exc:
            errors.append(f"{path}: cannot read ({exc.strerror or exc})")
            continue
        file_rules, file_errors = parse_rules_text(text, str(path))
        errors.extend(file_errors)
        for rule in file_rules:
            if (other := first_seen.get(rule.id)) is not None:
                errors.append(f"{rule.where}: duplicate rule id {rule.id!r} (first defined at {other.where})")
                continue
            first_seen[rule.id] = rule
            rules.append(rule)
    return rules, files, errors


def check_rules(paths: Sequence[Path | str]) -> list[str]:
    """Validate rule files and directories; never raises for bad content.

    This is what ``netcensus rules check [DIR]`` prints (and exits 1 when it is not empty).

    Args:
        paths: rule files and/or directories of ``*.yaml`` files.

    Returns:
        Every error, one line each, ``file:line: message``; empty when all rules are valid.
    """
    return _load(paths)[2]


def load_rules(dirs: Sequence[Path | str]) -> RuleSet:
    """Load and validate rules from directories (or files).

    Args:
        dirs: rule directories and/or files, loaded in order; ids must be unique across all.

    Returns:
        The rules, in load order.

    Raises:
        RuleError: any file has any error; the message is the first error's line (run
            ``netcensus rules check`` for the full list).
    """
    rules, files, errors = _load(dirs)
    if errors:
        more = f" (and {len(errors) - 1} more; run 'netcensus rules check')" if len(errors) > 1 else ""
        raise RuleError(errors[0] + more)
    return RuleSet(tuple(rules), tuple(files))
