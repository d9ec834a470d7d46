"""The IANA Private Enterprise Number registry: PEN -> organisation, read lazily once per process.

Why a file and not a table in code: the registry has over 60,000 entries and grows every week; a
hand list of a few dozen vendors left most devices without a vendor (issue 16). The maintained copy
we read by default is the one Debian's libwireshark-data package installs (its upstream regenerates it
from IANA's file for every release; `make install` installs the package). Another file can be named
with NETCENSUS_ENTERPRISES (agent/config.py reads it; `use_file` applies it), and `convert` turns
IANA's own `enterprise-numbers` text file into our format, for machines that want a newer copy than
their distribution's (`netcensus-agent enterprises --from FILE --out FILE`, see README).

Two formats are read, told apart by their content:
* TSV as the Debian package ships it: `<number><spaces or tab><name>`, `#` starts a comment (whole-line or
  trailing, as in `1991\tBrocade ...\t# formerly 'Foundry Networks, Inc.'`);
* IANA's `enterprise-numbers`: a number alone on a line, the organisation on the next, indented
  (then contact and e-mail lines, also indented, which are ignored).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

# Where Debian's libwireshark-data puts the registry (the package's only copy of it).
DEFAULT_FILES: tuple[Path, ...] = (Path("/usr/share/wireshark/enterprises.tsv"),)

_ENTERPRISES = "1.3.6.1.4.1."
_TRAILING_COMMENT = re.compile(r"\s+#")
_LOCK = threading.Lock()
_state: dict[str, object] = {"file": None, "table": None}


class RegistryError(ValueError):
    """A registry file that cannot be read or holds no entries (named in the message)."""


def enterprise_number(sys_object_id: str) -> int:
    """IANA Private Enterprise Number of a sysObjectID (1.3.6.1.4.1.<PEN>...), or 0 when outside it."""
    oid = sys_object_id.strip().lstrip(".")
    if not oid.startswith(_ENTERPRISES):
        return 0
    head = oid[len(_ENTERPRISES):].split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def parse(lines: Iterable[str]) -> dict[int, str]:
    """PEN -> organisation from either format (see the module docstring); unnamed entries are left out.

    IANA marks returned or unassigned numbers "Reserved" or "Unassigned"; they name no maker. Plain
    string operations, no regex per line: the registry has 60,000+ lines and is read on the first
    device of a sweep.
    """
    table: dict[int, str] = {}
    pending: int | None = None  # IANA format: a number waiting for its organisation line
    for line in lines:
        if not line or line[0] == "#":
            continue
        if line[0] in " \t":
            if pending is not None and line.strip():
                _put(table, pending, line.strip())
                pending = None
            continue
        head, _, rest = line.partition("\t") if "\t" in line else line.partition(" ")
        if not head.isdigit():
            head = head.strip()
            if not head.isdigit():
                pending = None
                continue
        if not rest.strip():
            pending = int(head)  # IANA format: the organisation follows on the next, indented line
            continue
        pending = None
        if "#" in rest:
            rest = _TRAILING_COMMENT.split(rest, maxsplit=1)[0]
        _put(table, int(head), rest)
    return table


def _put(table: dict[int, str], number: int, name: str) -> None:
    name = name.strip()
    if name and name.lower() not in ("reserved", "unassigned", "---none---"):
        table[number] = name


def convert(lines: Iterable[str]) -> Iterator[str]:
    """IANA's `enterprise-numbers` (or our TSV) as our TSV: a header line, then `number<TAB>name` lines."""
    table = parse(lines)
    yield "# IANA Private Enterprise Numbers (from https://www.iana.org/assignments/enterprise-numbers)\n"
    for number in sorted(table):
        yield f"{number}\t{table[number]}\n"


def write_registry(source: Path, out: Path) -> int:
    """Read `source` (IANA's file or our TSV), write it to `out` as our TSV; the number of entries.

    Written to a temporary file beside `out` and renamed, so a scanner never reads half a registry.

    Raises:
        RegistryError: `source` cannot be read or holds no entry, or `out` cannot be written.
    """
    table = load(source)
    tmp = out.with_name(out.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fout:
            fout.writelines(convert(f"{n}\t{name}\n" for n, name in table.items()))
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RegistryError(f"enterprise registry {out}: {exc.strerror or exc}") from exc
    return len(table)


def use_file(path: Path | None) -> None:
    """Read the registry from `path` from now on (None: the default files); the next lookup loads it."""
    with _LOCK:
        _state["file"], _state["table"] = path, None


def load(path: Path) -> dict[int, str]:
    """One registry file as a table.

    Raises:
        RegistryError: the file cannot be read or holds no entry.
    """
    try:
        with path.open(encoding="utf-8", errors="replace") as fin:
            table = parse(fin)
    except OSError as exc:
        raise RegistryError(f"enterprise registry {path}: {exc.strerror or exc}") from exc
    if not table:
        raise RegistryError(f"enterprise registry {path}: no entries (expected 'number<TAB>name' lines "
                            "or IANA's enterprise-numbers format)")
    return table


def _table() -> dict[int, str]:
    """The registry, loaded on first use: the configured file, else the first default that exists.

    With no registry at all, vendors from sysObjectID are simply unknown (the ENTITY-MIB and the
    OUI still answer); a configured file that cannot be read is an error the caller sees once.
    """
    with _LOCK:
        table = _state["table"]
        if isinstance(table, dict):
            return table
        configured = _state["file"]
        loaded: dict[int, str] = {}
        if isinstance(configured, Path):
            loaded = load(configured)
        else:
            for candidate in DEFAULT_FILES:
                if candidate.is_file():
                    loaded = load(candidate)
                    break
        _state["table"] = loaded
        return loaded


def organisation(pen: int) -> str:
    """The organisation IANA registered `pen` to, verbatim ("ciscoSystems"), or "" when unknown."""
    return _table().get(pen, "") if pen > 0 else ""


def available() -> bool:
    """True when a registry with entries is loaded (tests and `make` check the installation)."""
    return bool(_table())
