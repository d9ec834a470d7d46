"""Mapping files for the generic CSV/JSON register format: load and validate, with file:line errors.

A mapping file says which column holds which field and what each status label means:

    columns:                      # field: column header (or a list of headers)
      serial: SN
      hostname: Computer
      mac: [NIC MAC, WiFi MAC]    # mac and ip combine every listed column
      status: State
      asset_tag: Tag
    status_map:                   # label as written in the register: in-use | in-stock | retired | lost
      In Service: in-use
      Spare: in-stock
      Scrapped: retired
      Missing: lost
    defaults:                     # field: value used when the row leaves it empty
      category: Laptop

YAML or JSON (JSON is YAML, but a .json file that PyYAML refuses is retried with the json module).
Values are taken as the text written — `Off: retired` maps the label "Off", not YAML 1.1's false.
Unknown keys and class names are errors, never ignored: a typo in a mapping file would otherwise
silently import nothing into a field. Anchors and aliases are refused and size, depth and node count are
capped (collector.safeyaml): a mapping file arrives over Admin.ImportRegister too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.domain.model import StatusClass
from collector.errors import RegisterError
from collector.register._common import CLASS_NAMES, FIELDS, class_from_name
from collector.register._table import quote

if TYPE_CHECKING:
    import yaml

__all__ = ["RegisterMapping", "load_mapping", "parse_mapping"]

_TOP_KEYS = ("columns", "status_map", "defaults")
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True, slots=True)
class RegisterMapping:
    """A validated mapping for the generic format.

    Attributes:
        columns: field (one of FIELDS) -> column headers, in priority order.
        status_map: status label as written -> class.
        defaults: field -> value used when a row's cell is empty.
        source: the mapping file's name, for messages.
        lines: "columns.FIELD" / "status_map.LABEL" / "defaults.FIELD" -> line in the mapping file.
    """

    columns: Mapping[str, tuple[str, ...]]
    status_map: Mapping[str, StatusClass] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    source: str = "<mapping>"
    lines: Mapping[str, int] = field(default_factory=dict)

    def where(self, path: str) -> str:
        """ "FILE:LINE" of an entry, for messages that point into the mapping file."""
        return f"{self.source}:{self.lines.get(path, 1)}"


@dataclass(frozen=True, slots=True)
class _Node:
    """A YAML/JSON value with the line it starts on; scalars are kept as their text."""

    value: str | list[_Node] | dict[str, _Node]
    line: int


def _from_yaml(node: yaml.Node, source: str) -> _Node:
    import yaml

    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        return _Node("" if node.tag == _NULL_TAG else str(node.value), line)
    if isinstance(node, yaml.SequenceNode):
        return _Node([_from_yaml(item, source) for item in node.value], line)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise RegisterError(f"{source}:{key_node.start_mark.line + 1}: a key must be plain text")
            key = str(key_node.value)
            if key in out:
                raise RegisterError(f"{source}:{key_node.start_mark.line + 1}: duplicate key {quote(key)} "
                                    f"(first on line {out[key].line}; keep one)")
            child = _from_yaml(value_node, source)
            out[key] = _Node(child.value, key_node.start_mark.line + 1)
        return _Node(out, line)
    raise RegisterError(f"{source}:{line}: unsupported YAML node")


def _from_json(value: Any) -> _Node:
    if isinstance(value, dict):
        return _Node({str(k): _from_json(v) for k, v in value.items()}, 1)
    if isinstance(value, list):
        return _Node([_from_json(v) for v in value], 1)
    if value is None:
        return _Node("", 1)
    if isinstance(value, bool):
        return _Node("true" if value else "false", 1)
    return _Node(str(value), 1)


def _load_tree(text: str, source: str) -> _Node:
    # PyYAML is imported here, not at the top: it is about half the import time of this package, and
    # every `netcensus` command imports the package to list the register formats in its help.
    import yaml

    from collector.safeyaml import YamlLimitError, compose

    try:
        root = compose(text)
        return _Node({}, 1) if root is None else _from_yaml(root, source)
    except YamlLimitError as exc:
        raise RegisterError(f"{source}:{exc.line}: {exc.problem}") from exc
    except yaml.MarkedYAMLError as exc:
        if source.lower().endswith(".json"):
            try:
                return _from_json(json.loads(text))
            except json.JSONDecodeError as jexc:
                raise RegisterError(f"{source}:{jexc.lineno}: not valid JSON ({jexc.msg})") from jexc
            except RecursionError as jexc:  # (the handlers below do not cover this one's body)
                raise RegisterError(f"{source}:1: JSON nested too deeply for a mapping file") from jexc
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise RegisterError(f"{source}:{line}: not valid YAML ({exc.problem or exc.context})") from exc
    except yaml.YAMLError as exc:
        raise RegisterError(f"{source}:1: not valid YAML ({exc})") from exc
    except RecursionError as exc:
        raise RegisterError(f"{source}:1: mapping file is nested too deeply (recursive alias?)") from exc


def _text(node: _Node, source: str, what: str) -> str:
    if not isinstance(node.value, str) or not node.value.strip():
        raise RegisterError(f"{source}:{node.line}: {what} must be non-empty text")
    return node.value.strip()


def _section(root: dict[str, _Node], name: str, source: str) -> dict[str, _Node]:
    node = root.get(name)
    if node is None:
        return {}
    if node.value == "":
        return {}
    if not isinstance(node.value, dict):
        raise RegisterError(f"{source}:{node.line}: {name} must be a mapping of key: value lines")
    return node.value


def parse_mapping(text: str, source: str = "<mapping>") -> RegisterMapping:
    """Validate mapping-file text (YAML or JSON) into a `RegisterMapping`.

    Args:
        text: the file's content.
        source: the file's name, used in messages.

    Raises:
        RegisterError: "FILE:LINE: what (what to do)" for syntax errors, unknown keys, unknown fields,
            unknown status classes, or a missing `columns` section.
    """
    tree = _load_tree(text, source)
    if not isinstance(tree.value, dict):
        raise RegisterError(f"{source}:{tree.line}: a mapping file must be a mapping with a 'columns' section")
    root = tree.value
    for key, node in root.items():
        if key not in _TOP_KEYS:
            raise RegisterError(f"{source}:{node.line}: unknown key {quote(key)} (allowed: {', '.join(_TOP_KEYS)})")
    if not _section(root, "columns", source):
        raise RegisterError(f"{source}:{tree.line}: no 'columns' section (say which column holds which field, "
                            "e.g. columns: {serial: SN, status: State})")
    lines: dict[str, int] = {}
    columns: dict[str, tuple[str, ...]] = {}
    for name, node in _section(root, "columns", source).items():
        if name not in FIELDS:
            raise RegisterError(f"{source}:{node.line}: unknown field {quote(name)} under columns "
                                f"(allowed: {', '.join(FIELDS)})")
        items = node.value if isinstance(node.value, list) else [node]
        if not items:
            raise RegisterError(f"{source}:{node.line}: columns.{name} lists no column")
        columns[name] = tuple(_text(item, source, f"columns.{name}") for item in items)
        lines[f"columns.{name}"] = node.line
    status_map: dict[str, StatusClass] = {}
    for label, node in _section(root, "status_map", source).items():
        value = _text(node, source, f"status_map.{label}")
        cls = class_from_name(value)
        if cls is None:
            raise RegisterError(f"{source}:{node.line}: unknown status class {quote(value)} for {quote(label)} "
                                f"(use one of: {', '.join(CLASS_NAMES)})")
        status_map[label] = cls
        lines[f"status_map.{label}"] = node.line
    defaults: dict[str, str] = {}
    for name, node in _section(root, "defaults", source).items():
        if name not in FIELDS:
            raise RegisterError(f"{source}:{node.line}: unknown field {quote(name)} under defaults "
                                f"(allowed: {', '.join(FIELDS)})")
        defaults[name] = _text(node, source, f"defaults.{name}")
        lines[f"defaults.{name}"] = node.line
    return RegisterMapping(columns, status_map, defaults, source, lines)


def load_mapping(path: Path) -> RegisterMapping:
    """Read and validate a mapping file.

    Raises:
        RegisterError: unreadable file, or anything `parse_mapping` refuses.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegisterError(f"{path}:1: cannot read mapping file ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RegisterError(f"{path}:{line}: mapping file is not UTF-8 text") from exc
    return parse_mapping(text, str(path))
