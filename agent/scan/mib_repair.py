"""Vendor MIB text that pysmi's strict SMI grammar rejects, made compilable without changing what it defines.

Why: many vendors ship MIBs that net-snmp reads but pysmi rejects, and their serial, model and firmware
objects and their product OIDs are lost with them (BAICELLS-MIB `SpecVersion`, GS-HT8XX-MIB `PartNo`,
ZMTEL-ODU-MIB's `ZMTEL MODULE-IDENTITY` and `{ Disabled(0), Enabled(1) }`, HIKVISION-MIB's
`SEQUENCE OF hikDiskEntry`). mib_build.py
compiles a module's text as written first; only a module no copy of which compiles is read again
through `repair`, so a module that compiles is never touched.

Five slips, each common across vendors and each repaired the way net-snmp reads it (all outside
strings and comments):

1. A value's descriptor starting with a capital (SMI wants a lowercase first letter): `PartNo
   OBJECT-TYPE`, `TL2000Id OBJECT IDENTIFIER ::= ...`, `Montclair MODULE-IDENTITY`. The descriptor's
   first letter is lowered wherever the module names it (a further "x" while that name is taken:
   BAICELLS-MIB has both `lteStatus` and `LteStatus`), and `restore_names` gives the compiled
   symbols their vendor's spelling back, so the registries still say BAICELLS-MIB::SpecVersion.
2. A table's row type written in lowercase (`SEQUENCE OF hikDiskEntry`, `SYNTAX pppoeEntry`,
   `regularStreamInfoTableEntry ::= SEQUENCE {`): types start with a capital; the type (not the row
   object of the same name) is capitalised. Types leave no symbol in the output; nothing to restore.
3. `enterprises` used but never imported (SMIv1 modules that relied on their compiler's defaults):
   the import is added.
4. An enumeration's label starting with a capital or a digit (`{ Disabled(0), Enabled(1) }`,
   `{ 10M(1), 100M(2) }`): lowered, or prefixed "n"; the DEFVAL naming it too. Labels are no symbols.
5. A comma closing a list (`OBJECTS { a, b, }`): dropped.
6. An enumeration of Integer32 (`Integer32 { disabled(0), enabled(1) }`; SMI enumerates INTEGER only):
   read as INTEGER.
7. A list missing a comma where a line ends: between two enumeration labels (`snmp(3)` and `web(4)` on
   two lines, IES5206-MIB; only inside INTEGER and BITS enumerations: an OID value's `iso(1) org(3)` is
   written without), between two columns of a row's SEQUENCE (`radiusServerStatus ValidStatus` and
   `radiusServerType EnabledStatus`, ECS4100-52T-MIB), between two imported symbols (`Integer32` and
   `enterprises`, GBOS-MIB): the comma is put in.
8. BITS without its list of named bits (BINTEC-MIB `BitField ::= BITS`, ZYXEL-IES5000-MIB `SYNTAX BITS`):
   read as OCTET STRING, which is how BITS travel.

And one repair pysmi asks for: a definition it cannot place (its "Unknown parents for symbols: ...",
most often an object whose SYNTAX names a type nobody defines, BAICELLS-MIB `upTime` of `Interger`)
fails the whole module; `without` cuts the definitions named so that the rest of the module counts
(`cut_symbols` reads the names from pysmi's message).

Pure: text in, text and the renames out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Macros and the OBJECT IDENTIFIER assignment that define a value, whose descriptor must start lowercase.
_VALUE_DEFINITION = re.compile(
    r"^[ \t]*([A-Z][\w-]*)\s+(?:OBJECT-TYPE|OBJECT-IDENTITY|MODULE-IDENTITY|NOTIFICATION-TYPE|TRAP-TYPE"
    r"|OBJECT-GROUP|NOTIFICATION-GROUP|MODULE-COMPLIANCE|AGENT-CAPABILITIES|OBJECT\s+IDENTIFIER\s*::=)",
    re.MULTILINE)
# ASN.1 keywords a line may start with before a macro name (`IMPORTS OBJECT-TYPE, ...`).
_KEYWORDS = frozenset({"IMPORTS", "EXPORTS", "FROM", "BEGIN", "END", "DEFINITIONS", "SYNTAX", "MACRO"})
_LOWER_SEQUENCE_OF = re.compile(r"\bSEQUENCE\s+OF\s+([a-z][\w-]*)")
_LOWER_SEQUENCE_TYPE = re.compile(r"^[ \t]*([a-z][\w-]*)\s*::=\s*SEQUENCE\s*\{", re.MULTILINE)
# An enumeration's label: after "{" or "," and before its number in parentheses.
_LABEL = re.compile(r"(?<=[{,])\s*([A-Z0-9][\w-]*)(?=\s*\(\s*-?\d+\s*\))")
_DEFVAL_LABEL = re.compile(r"\bDEFVAL\s*\{\s*([A-Z][\w-]*|\d[\w-]*[A-Za-z][\w-]*)(?=\s*\})")
_TRAILING_COMMA = re.compile(r",(?=\s*\})")
_INTEGER32_ENUMERATION = re.compile(r"\bInteger32(?=\s*\{)")
_BARE_BITS = re.compile(r"(?<![\w-])BITS(?![\w-])(?!\s*\{)")
_ENUMERATION = re.compile(r"\b(?:INTEGER|BITS)\s*\{[^{}]*\}")
_MISSING_COMMA = re.compile(r"(\(\s*-?\d+\s*\))\s+(?=[A-Za-z0-9][\w-]*\s*\(\s*-?\d+\s*\))")
_UNPLACED = re.compile(r"Unknown parents for symbols: ([\w\s,-]+?) at MIB ")
# What renaming must not touch: quoted strings and comments (to the line's end; an ASN.1 comment may also
# close with a second "--", which only makes this keep more text as it is).
_STRING_OR_COMMENT = r'"[^"]*"|--[^\n]*'
_ENTERPRISES_USED = re.compile(r"\{\s*enterprises\s+\d+\s*\}")
_ENTERPRISES_NAMED = re.compile(r"(?<![\w-])enterprises(?![\w-])")
_ENTERPRISES_DEFINED = re.compile(r"^[ \t]*enterprises\s+OBJECT\s+IDENTIFIER", re.MULTILINE)
_BEGIN = re.compile(r"\bDEFINITIONS\s*(?:IMPLICIT\s+TAGS\s*)?::=\s*BEGIN")


def repair(text: str) -> tuple[str, dict[str, str]]:
    """A module's text with the slips above repaired, and its renamed descriptors (new -> as written).

    The text comes back unchanged when it has none of them. Each slip is found in a copy of the text
    with its strings and comments blanked (`_blanked`: same length, so a match's offsets are the text's
    and a comment between two tokens hides neither from the other), and only the tokens it names are
    edited (`_edited`), so no comment is ever rewritten."""
    renames = _capital_descriptors(text)
    text = _rename_values(text, {old: new for new, old in renames.items()})
    text = _rename_types(text, _lowercase_row_types(text))
    text = _edited(text, [(m.start(), m.end(), "") for m in _TRAILING_COMMA.finditer(_blanked(text))])
    text = _edited(text, [(m.start(), m.end(), "INTEGER") for m in _INTEGER32_ENUMERATION.finditer(_blanked(text))])
    text = _without_bare_bits(text)
    text = _with_commas(text, _missing_label_commas(text) + _missing_row_commas(text) + _missing_import_commas(text))
    text = _lowered_labels(text)
    return _with_enterprises_import(text), renames


_ROW_SEQUENCE = re.compile(r"::=\s*SEQUENCE\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_ROW_LINE_END = re.compile(r"(?<=[\w)])(?=[ \t\r]*\n\s*[a-z][\w-]*\s+[A-Za-z])")
_IMPORTS_BODY = re.compile(r"(?<![\w-])IMPORTS(?![\w-])([^;]*);")
_TOKEN = re.compile(r"[\w-]+|,")


def _missing_label_commas(text: str) -> list[int]:
    """Where an INTEGER or BITS enumeration lacks a comma between two labels (slip 7)."""
    return [m.start() + gap.end(1) for m in _ENUMERATION.finditer(_blanked(text))
            for gap in _MISSING_COMMA.finditer(m.group(0))]


def _missing_row_commas(text: str) -> list[int]:
    """Where a row's SEQUENCE lacks a comma at a line's end (before the next column's name)."""
    return [m.start(1) + gap.start() for m in _ROW_SEQUENCE.finditer(_blanked(text))
            for gap in _ROW_LINE_END.finditer(m.group(1))]


def _missing_import_commas(text: str) -> list[int]:
    """Where IMPORTS lacks a comma between two symbols (a symbol after a symbol, not after FROM's module)."""
    found = _IMPORTS_BODY.search(_blanked(text))
    if not found:
        return []
    out: list[int] = []
    previous = ""  # the kind of the token before: "symbol", "comma", "from", "module"
    for token in _TOKEN.finditer(found.group(1)):
        kind = "comma" if token.group(0) == "," else "from" if token.group(0) == "FROM" else \
            "module" if previous == "from" else "symbol"
        if kind == "symbol" and previous == "symbol":
            out.append(found.start(1) + _last_token_end(found.group(1), token.start()))
        previous = kind
    return out


def _last_token_end(body: str, before: int) -> int:
    """Where the token before offset `before` of `body` ends."""
    return len(body[:before].rstrip())


def _without_bare_bits(text: str) -> str:
    """BITS without named bits read as OCTET STRING (slip 8); an import of BITS stays one."""
    bare = _blanked(text)
    imports = _IMPORTS_BODY.search(bare)
    skip = range(imports.start(), imports.end()) if imports else range(0)
    return _edited(text, [(m.start(), m.end(), "OCTET STRING") for m in _BARE_BITS.finditer(bare)
                          if m.start() not in skip])


def _with_commas(text: str, offsets: list[int]) -> str:
    """`text` with a comma put in at each offset."""
    return _edited(text, [(at, at, ",") for at in set(offsets)])


def _edited(text: str, spans: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end) span replaced by its text (spans found in `_blanked(text)`)."""
    for start, end, new in sorted(spans, reverse=True):
        text = f"{text[:start]}{new}{text[end:]}"
    return text


def _capital_descriptors(text: str) -> dict[str, str]:
    """Value descriptors starting with a capital -> a new name (first letter lowered, then an "x" more while
    the module names that already)."""
    bare = _blanked(text)
    names = {m.group(1) for m in _VALUE_DEFINITION.finditer(bare)} - _KEYWORDS
    taken = set(re.findall(r"[\w-]+", bare))
    out: dict[str, str] = {}
    for old in sorted(names):
        new = old[0].lower() + old[1:]
        while new in taken:
            new += "x"
        taken.add(new)
        out[new] = old
    return out


def _lowercase_row_types(text: str) -> dict[str, str]:
    """Row types written lowercase -> their capitalised name (those a SEQUENCE OF names, and those
    assigned a SEQUENCE)."""
    bare = _blanked(text)
    names = {m.group(1) for m in _LOWER_SEQUENCE_OF.finditer(bare)} | \
            {m.group(1) for m in _LOWER_SEQUENCE_TYPE.finditer(bare)}
    return {name: name[0].upper() + name[1:] for name in names}


def _rename_values(text: str, names: Mapping[str, str]) -> str:
    """`names` (as written -> new) renamed wherever the module names them."""
    if not names:
        return text
    words = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")
    return _edited(text, [(m.start(), m.end(), names[m.group(0)]) for m in pattern.finditer(_blanked(text))])


# Where a type stands: after SEQUENCE OF or SYNTAX, and as the name a SEQUENCE is assigned to.
_TYPE_PLACES = re.compile(r"(?:\bSEQUENCE\s+OF\s+|\bSYNTAX\s+)([a-z][\w-]*)(?![\w-])"
                          r"|^[ \t]*([a-z][\w-]*)(?=\s*::=\s*SEQUENCE\s*\{)", re.MULTILINE)


def _rename_types(text: str, types: Mapping[str, str]) -> str:
    """`types` renamed where a type stands (_TYPE_PLACES), not where the row object of the same name does."""
    if not types:
        return text
    places = [(m.start(g), m.end(g), types[name]) for m in _TYPE_PLACES.finditer(_blanked(text))
              for g in (1, 2) if (name := m.group(g)) in types]
    return _edited(text, places)


def _with_enterprises_import(text: str) -> str:
    """The text importing `enterprises` from SNMPv2-SMI where it uses it without importing or defining it."""
    bare = _blanked(text)
    imports = _IMPORTS_BODY.search(bare)
    if not _ENTERPRISES_USED.search(bare) or _ENTERPRISES_DEFINED.search(bare) \
            or (imports and _ENTERPRISES_NAMED.search(imports.group(1))):
        return text
    if imports:
        return _edited(text, [(imports.start(1), imports.start(1), " enterprises FROM SNMPv2-SMI")])
    begin = _BEGIN.search(bare)
    if not begin:
        return text
    return _edited(text, [(begin.end(), begin.end(), "\nIMPORTS enterprises FROM SNMPv2-SMI;")])


def _lowered_labels(text: str) -> str:
    """Enumeration labels starting with a capital or a digit lowered or prefixed (slip 4), in the lists and in
    the DEFVALs naming them."""
    found = list(_LABEL.finditer(_blanked(text)))
    labels = {m.group(1) for m in found}
    text = _edited(text, [(m.start(1), m.end(1), _label(m.group(1))) for m in found])
    # A DEFVAL naming a label starting with a capital is no valid value whatever the list says (BITSTORM's
    # `DEFVAL { GMT }`): lowered as the list's are; one starting with a digit only where the list had it.
    return _edited(text, [(m.start(1), m.end(1), _label(m.group(1))) for m in _DEFVAL_LABEL.finditer(_blanked(text))
                          if m.group(1)[0].isalpha() or m.group(1) in labels])


def _label(name: str) -> str:
    return f"n{name}" if name[0].isdigit() else name[0].lower() + name[1:]


def cut_symbols(message: str) -> tuple[str, ...]:
    """The definitions pysmi's error message says it cannot place ("Unknown parents for symbols: a, b at
    MIB M"), () for any other error."""
    m = _UNPLACED.search(message)
    return tuple(name.strip() for name in m.group(1).split(",") if name.strip()) if m else ()


def without(text: str, symbols: tuple[str, ...]) -> str:
    """`text` without the definitions of `symbols`: each from its descriptor to the `::= { ... }` closing it."""
    bare = _blanked(text)
    for symbol in symbols:
        start = re.search(rf"^[ \t]*{re.escape(symbol)}\s+[A-Z]", bare, re.MULTILINE)
        end = start and re.compile(r"::=\s*\{[^}]*\}").search(bare, start.end())
        if start and end:
            blank = re.sub(r"[^\n]", " ", text[start.start():end.end()])  # lines keep their numbers
            text = text[:start.start()] + blank + text[end.end():]
            bare = bare[:start.start()] + blank + bare[end.end():]
    return text


def _blanked(text: str) -> str:
    """`text` with its strings and comments blanked to spaces (same length, so offsets still point into it)."""
    return re.sub(_STRING_OR_COMMENT, lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def restore_names(document: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    """A compiled module's symbols under the names its vendor wrote (`renames`: new -> as written)."""
    out: dict[str, Any] = {}
    for key, symbol in document.items():
        if key in renames and isinstance(symbol, dict):
            out[renames[key]] = {**symbol, "name": renames[key]} if symbol.get("name") == key else symbol
        else:
            out[key] = symbol
    return out
