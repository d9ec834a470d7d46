"""Compiling a folder of vendor MIBs with pysmi, and writing a registry derived from them.

Why one module: the scanner ships two registries regenerated from the same public MIBs (a checkout
of netdisco-mibs and LibreNMS's MIB folder) — the products sysObjectID names (classify/product_mibs.py) and the
vendor objects that hold a serial, model or firmware release (snmp/identity_mibs.py). Both need the
same compile: every module of the folder through pysmi's JSON code generator, imports resolved from
the same folder, and the same accommodations of those collections:

* pysmi indexes MIBs by file name, and netdisco-mibs names some files differently from the module
  they define, or puts several modules in one file; pysmi reads one module per text. So modules are
  served by the name in their `DEFINITIONS ::= BEGIN` line, each its own span of its file (one
  regular expression per file: the only MIB text read here, not a parser).
* pysmi rejects a module that defines a symbol twice (HUAWEI-MIB does, and about 160 Huawei modules
  import it). The symbol-table and JSON generators are subclassed so that the first definition wins;
  this touches pysmi's private `_symbolgen`, `_out`, `_postponedSyms`, `_seenSyms` and `_importMap`.
* The two collections hold many of the same modules, in different revisions: the latest copy is read
  (module_copies), with what an earlier copy defines and the latest dropped (compile_folder).

pysmi ships no type information (pyproject lists it with the untyped imports).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agent.scan import mib_repair

# A module's header: its name, then DEFINITIONS ::= BEGIN; comments may stand between them, as whitespace
# does (ADIC-INTELLIGENT-STORAGE-MIB keeps its revision history there; SONICWALL-SMI a banner).
_DEFINITIONS = re.compile(rb"^\s*([A-Za-z][\w-]*)(?:\s|--[^\n]*\n)+DEFINITIONS\s*(?:IMPLICIT\s+TAGS\s*)?::=\s*BEGIN",
                          re.MULTILINE)
# Files that are not MIB modules (netdisco-mibs keeps notes and scripts beside them).
_NOT_MIBS = frozenset({".md", ".orig", ".pl", ".sh", ".py", ".json", ".yml", ".yaml", ".html", ".gz", ".zip"})


_CUT_ROUNDS = 3  # rounds of cutting the definitions pysmi cannot place (mib_repair.without)


class BuildError(ValueError):
    """The MIB folder cannot be read, pysmi is missing, nothing was found, or the output cannot be written
    (one line, starting with what was being built)."""


Span = tuple[Path, int, int]  # a module's text: its file, and where in the file it starts and ends
# MODULE-IDENTITY's LAST-UPDATED: "YYYYMMDDHHMMZ", or "YYMMDDHHMMZ" (RFC 2578 allows it for 19YY only;
# vendors write it for 20YY too: "0704030000Z").
_LAST_UPDATED = re.compile(rb'LAST-UPDATED\s+"(\d{10}|\d{12})Z"')


def _revision(text: bytes) -> str:
    """When a module's text says it was last updated, as YYYYMMDDHHMM ("" for none: SMIv1, or no identity)."""
    m = _LAST_UPDATED.search(text)
    if not m:
        return ""
    stamp = m.group(1).decode("ascii")
    return stamp if len(stamp) == 12 else ("19" if stamp[:2] >= "50" else "20") + stamp


def module_copies(folder: Path, what: str, fallback: Path | None = None) -> dict[str, list[Span]]:
    """MIB module name -> every copy of its text under `folder`, the latest revision first (MODULE-IDENTITY's
    LAST-UPDATED; among equals, or without one, in file order); a module no file under `folder` defines is
    read from `fallback`, when given, the same way.

    Why: two collections hold many of the same modules, and one may carry a vendor's newer revision (more
    products, newer objects) than the other; where the newer one does not compile, the next copy serves. A
    larger but older collection (the pysnmp project's) serves only what the current ones lack: its copies of
    their modules are older revisions, which would only add an older copy's symbols (compile_folder).
    """
    copies = _copies_in(folder, what)
    if fallback is not None:
        for name, spans in _copies_in(fallback, what).items():
            copies.setdefault(name, spans)
    return copies


def _copies_in(folder: Path, what: str) -> dict[str, list[Span]]:
    """module_copies of one folder."""
    if not folder.is_dir():
        raise BuildError(f"{what}: {folder} is not a folder of MIBs (such as a checkout of netdisco-mibs)")
    found: dict[str, list[tuple[str, int, Span]]] = {}
    order = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() in _NOT_MIBS or any(p.startswith(".") for p in path.parts):
            continue
        try:
            head = path.read_bytes()
        except OSError:
            continue
        starts = list(_DEFINITIONS.finditer(head))
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(head)
            order += 1
            found.setdefault(m.group(1).decode("ascii"), []).append(
                (_revision(head[m.start():end]), -order, (path, m.start(), end)))
    return {name: [span for _, _, span in sorted(copies, reverse=True)] for name, copies in found.items()}


def module_spans(folder: Path, what: str, fallback: Path | None = None) -> dict[str, Span]:
    """MIB module name -> (file, start, end) of its latest copy under `folder` (module_copies)."""
    return {name: copies[0] for name, copies in module_copies(folder, what, fallback).items()}


def index_modules(folder: Path, what: str, fallback: Path | None = None) -> dict[str, Path]:
    """MIB module name -> the file defining it."""
    return {name: path for name, (path, _, _) in module_spans(folder, what, fallback).items()}


def compile_folder(folder: Path, what: str, *, texts: bool,
                   fallback: Path | None = None) -> dict[str, dict[str, Any]]:
    """pysmi's JSON document of every module in `folder` that compiles, by module name (`texts`: keep
    DESCRIPTION and ORGANIZATION clauses); `fallback` serves the modules `folder` lacks, and those none of
    whose copies under `folder` compiles.

    Raises:
        BuildError: pysmi is not installed or the folder holds no MIB module.
    """
    try:
        from pysmi.codegen import JsonCodeGen
        from pysmi.codegen.symtable import SymtableCodeGen
        from pysmi.compiler import MibCompiler
        from pysmi.parser import SmiStarParser
        from pysmi.reader import CallbackReader
        from pysmi.searcher import StubSearcher
        from pysmi.writer import CallbackWriter
    except ImportError as exc:  # the agent's light install has no MIB compiler
        raise BuildError(f"{what}: pysmi is needed to compile MIBs ({exc}); pip install pysmi") from exc
    copies = module_copies(folder, what)
    spare = _copies_in(fallback, what) if fallback is not None else {}
    for name, spans in spare.items():
        copies.setdefault(name, spans)
    if not copies:
        raise BuildError(f"{what}: no MIB module (no 'DEFINITIONS ::= BEGIN') under {folder}")
    modules = {name: spans[0] for name, spans in copies.items()}
    compiled: dict[str, dict[str, Any]] = {}
    sink = compiled  # where the compiler's documents go: the latest copies', then an earlier revision's
    repaired: dict[Span, str] = {}  # a module's text with the grammar pysmi rejects repaired (mib_repair)

    def read(name: str, _ctx: object) -> str:
        if name not in modules:
            return ""
        if modules[name] in repaired:
            return repaired[modules[name]]
        path, start, end = modules[name]
        return path.read_bytes()[start:end].decode("utf-8", errors="replace")

    def write(name: str, data: str, _ctx: object) -> None:
        sink[name] = json.loads(data)

    def compile_these(names: Iterable[str]) -> dict[str, Any]:
        symbols_gen, json_gen = _lenient_codegens(SymtableCodeGen, JsonCodeGen)
        compiler = MibCompiler(SmiStarParser(), json_gen(), CallbackWriter(write))
        compiler._symbolgen = symbols_gen()
        compiler.add_sources(CallbackReader(read))
        compiler.add_searchers(StubSearcher(*JsonCodeGen.baseMibs))
        # ignoreErrors: a module that fails (a vendor's syntax pysmi rejects, an import nobody ships) is
        # left out, the rest still count; rebuild: nothing is cached between runs.
        return dict(compiler.compile(*sorted(names), genTexts=texts, ignoreErrors=True, rebuild=True))

    compile_these(modules)
    # A module whose latest copy did not compile is read from its next copy, once, with whatever failed
    # beside it (a module importing it may have failed for its sake).
    retry = {name: spans[1] for name, spans in copies.items() if name not in compiled and len(spans) > 1}
    if retry:
        modules.update(retry)
        compile_these(name for name in modules if name not in compiled)
    # The fallback collection's copy of a module whose every copy under `folder` failed (often the same module
    # fixed to parse), with whatever failed beside it.
    last = {name: spans[0] for name, spans in spare.items() if name not in compiled and modules[name] != spans[0]}
    if last:
        modules.update(last)
        compile_these(name for name in modules if name not in compiled)
    # What still fails, read once more with the slips pysmi's grammar rejects and net-snmp accepts repaired
    # (mib_repair.py), the descriptors renamed for the compile given their vendor's spelling back.
    # (Its latest copy: the one the collections' maintainers last touched, whatever failed after it.)
    renamed: dict[str, dict[str, str]] = {}
    broken = [name for name in modules if name not in compiled]
    for name in broken:
        modules[name] = copies[name][0]
        original = read(name, None)
        text, renamed[name] = mib_repair.repair(original)
        if text != original:
            repaired[modules[name]] = text
    statuses = compile_these(broken) if broken else {}
    # A definition pysmi cannot place fails its whole module: cut, the rest counts (a few rounds, as cutting
    # one may strand a group or a notification that names it).
    for _ in range(_CUT_ROUNDS):
        cuts = {name: symbols for name, status in statuses.items() if name in modules and name not in compiled
                and (symbols := mib_repair.cut_symbols(str(getattr(status, "error", ""))))}
        if not cuts:
            break
        for name, symbols in cuts.items():
            repaired[modules[name]] = mib_repair.without(read(name, None), symbols)
        statuses = compile_these(name for name in modules if name not in compiled)
    for name, renames in renamed.items():
        if name in compiled and renames:
            compiled[name] = mib_repair.restore_names(compiled[name], renames)
    # A newer revision may drop what an earlier one defined (a retired product, whose devices still answer
    # its sysObjectID; an object an older firmware still serves), and two vendors may name a module alike
    # (Eaton's and Raritan's PDU-MIB): the other copy's symbols the read one lacks are kept too.
    earlier = {name: spans[1] for name, spans in copies.items() if len(spans) > 1 and modules[name] != spans[1]}
    if earlier:
        sink = {}
        latest = dict(modules)
        modules.update(earlier)
        compile_these(earlier)
        modules.update(latest)
        for name, document in sink.items():
            if name in earlier and name in compiled:
                compiled[name] = _with_earlier(compiled[name], document)
    # The folder's modules first: where a fallback module defines the same OID under another module name
    # (POWERNET-MIB beside PowerNet-MIB), the registries keep the first definition they meet.
    spared = {name for name, spans in spare.items() if modules[name] == spans[0]}
    return {**{n: d for n, d in compiled.items() if n not in spared},
            **{n: d for n, d in compiled.items() if n in spared}}


def _with_earlier(latest: dict[str, Any], earlier: dict[str, Any]) -> dict[str, Any]:
    """A module's latest document with the symbols an earlier copy defined where the latest defines none: a
    name it lacks, or a name it places elsewhere (PDU-MIB's serialNumber: Eaton's under 534, Raritan's under
    13742); the latest wins where both define the same, and one placed elsewhere is kept under
    "<name>@earlier" (its own "name" and OID unchanged: the registries read both from the symbol)."""
    merged = dict(latest)
    for key, symbol in earlier.items():
        if key not in merged:
            merged[key] = symbol
        elif isinstance(symbol, dict) and isinstance(merged[key], dict) and symbol.get("oid") \
                and symbol.get("oid") != merged[key].get("oid"):
            merged.setdefault(f"{key}@earlier", symbol)
    return merged


def _lenient_codegens(symtable: Any, jsondoc: Any) -> tuple[Any, Any]:
    """pysmi's symbol-table and JSON code generators, with a repeated definition skipped instead of
    failing the module (see the module docstring)."""

    class Symbols(symtable):  # type: ignore[misc]
        def gen_code(self, ast: Any, symbolTable: Any, **kwargs: Any) -> Any:  # noqa: N803 - pysmi's name
            return _as_pysmi_error(super().gen_code, ast, symbolTable, **kwargs)

        def reg_sym(self, symbol: str, sym_props: Any, parents: Any = ()) -> None:
            if symbol in self._out or symbol in self._postponedSyms:
                return
            super().reg_sym(symbol, sym_props, parents)

    class Json(jsondoc):  # type: ignore[misc]
        def gen_code(self, ast: Any, symbolTable: Any, **kwargs: Any) -> Any:  # noqa: N803 - pysmi's name
            return _as_pysmi_error(super().gen_code, ast, symbolTable, **kwargs)

        def reg_sym(self, symbol: str, out: Any, parent_oid: Any = None, moduleIdentity: bool = False,  # noqa: N803
                    moduleCompliance: bool = False) -> None:  # noqa: N803 - pysmi calls them by these names
            if symbol in self._seenSyms and symbol not in self._importMap:
                return
            super().reg_sym(symbol, out, parent_oid, moduleIdentity=moduleIdentity,
                            moduleCompliance=moduleCompliance)

    return Symbols, Json


def _as_pysmi_error(gen_code: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a code generator; a Python error becomes pysmi's own, so `ignoreErrors` leaves that module out.

    pysmi 1.6 lets a Python error out of a few malformed modules (an INDEX that names a number ends
    in AttributeError) and would stop the whole compile; the other modules must still count."""
    from pysmi.error import PySmiCodegenError
    try:
        return gen_code(*args, **kwargs)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise PySmiCodegenError(f"code generation failed: {type(exc).__name__}: {exc}") from exc


def write_registry(out: Path, lines: Iterable[str], what: str) -> None:
    """Write `lines` to `out` gzip'd, replacing it atomically; the same lines give the same bytes (no
    name, mtime 0), so a regenerated file shows no spurious diff."""
    tmp = out.with_name(out.name + ".tmp")
    try:
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
            for line in lines:
                gz.write(line.encode("utf-8"))
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BuildError(f"{what} {out}: {exc.strerror or exc}") from exc
