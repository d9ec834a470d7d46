"""Making values from the network safe to show: control and format characters written out visibly.

Why: a device on a swept subnet chooses its own sysName and sysDescr, and an agent its host and
software names. Raw, an ESC sequence in one of them clears a terminal, retitles its window or hides
text; a newline forges a log line; a bidi override reorders what a reader sees. Every human or
spreadsheet output (tables, CSV, text logs, one-line errors) goes through `escape_text`; JSON keeps
its own escapes and `json_safe` adds the ones json.dumps leaves raw. Parquet stays raw data.

The agent has the same function in agent/escaping.py (the agent never imports the collector); both
are held equal by tests/test_escaping.py and its vectors in tests/data/escaping/vectors.json.

What is escaped: every character Unicode calls a control (Cc: C0, DEL, C1), a format character (Cf:
zero-width characters, bidi embeddings, overrides and isolates, soft hyphen, BOM, tag characters) or a
line or paragraph separator (Zl, Zp). Newline, carriage return and tab read as \\n, \\r and \\t, the rest
as \\xNN, \\uNNNN or \\UNNNNNNNN. A backslash already in the value is left alone: the result is for
reading, not for decoding back.
"""

from __future__ import annotations

import re

from wcwidth import wcswidth

# Beyond C0: DEL and C1 (Cc), format characters (Cf) and the line and paragraph separators (Zl, Zp), as
# of Unicode 14 (Python 3.11); tests/test_escaping.py checks them against the running unicodedata, so a
# newer Unicode that adds a format character shows there.
_BEYOND_C0 = ("\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
              "\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
              "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
              "\U000e0000-\U000e007f")
UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# Without C0: json.dumps escapes C0 inside strings itself, and outside them C0 is the document's layout.
JSON_UNSAFE = re.compile(f"[{_BEYOND_C0}]")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# One visible escape as escape_text writes it, or any single character: the units a truncation may
# not split (a literal backslash followed by n in the raw value is also kept whole, which is harmless).
TOKEN = re.compile(r"\\(?:[nrt]|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})|.", re.DOTALL)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_text(text: str) -> str:
    """`text` with every control, format and separator character written out visibly (see module doc)."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(_visible, text)


def cells(text: str) -> int:
    """How many terminal cells `text` takes: East Asian wide characters two, combining marks none.

    Why not len(): a table padded by code points misaligns on every CJK host name and on every name
    spelt with combining accents. `wcwidth` (Unicode's East Asian Width and general categories, the
    tables terminals themselves follow) answers it. Meant for escaped text: a control character,
    which wcwidth cannot size, counts one cell.
    """
    if text.isascii():  # printable ASCII after escaping: one cell a character, and most text is
        return len(text)
    width = wcswidth(text)
    return width if width >= 0 else len(text)


def _units(text: str) -> list[tuple[str, int]]:
    """Escaped `text` as (unit, cells): an escape or one character, a zero-width character (a combining
    mark) kept with the character before it, so no cut separates an accent from its letter."""
    if text.isascii():
        return [(token, len(token)) for token in TOKEN.findall(text)]
    units: list[tuple[str, int]] = []
    for token in TOKEN.findall(text):
        width = cells(token)
        if width == 0 and units:
            units[-1] = (units[-1][0] + token, units[-1][1])
        else:
            units.append((token, width))
    return units


def clip(text: str, width: int, ellipsis: str = "…") -> str:
    """Escaped `text` cut to at most `width` terminal cells, ending in `ellipsis` when cut.

    Cuts only between escapes: half an escape ("\\x1" of "\\x1b") would misreport the value.
    """
    if cells(text) <= width:
        return text
    room = width - cells(ellipsis)
    kept: list[str] = []
    used = 0
    for unit, size in _units(text):
        if used + size > room:
            break
        kept.append(unit)
        used += size
    return "".join(kept) + ellipsis


def split_tokens(text: str, width: int) -> list[str]:
    """Escaped `text` in pieces of at most `width` cells, never splitting an escape (for wrapping)."""
    pieces: list[str] = []
    current = ""
    used = 0
    for unit, size in _units(text):
        if current and used + size > width:
            pieces.append(current)
            current, used = "", 0
        current += unit
        used += size
    if current or not pieces:
        pieces.append(current)
    return pieces


def wrap(text: str, width: int) -> list[str]:
    """Escaped `text` as lines of at most `width` cells, broken at spaces; a word longer than a line
    is split between escapes. Escapes hold no spaces, so a break never falls inside one."""
    lines: list[str] = []
    line, used = "", 0
    for word in text.split(" "):
        if not word:
            continue
        size = cells(word)
        if line and used + 1 + size <= width:
            line, used = f"{line} {word}", used + 1 + size
            continue
        if line:
            lines.append(line)
        if size <= width:
            line, used = word, size
            continue
        *whole, line = split_tokens(word, width)
        lines.extend(whole)
        used = cells(line)
    if line or not lines:
        lines.append(line)
    return lines


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells characters beyond the BMP as a UTF-16 surrogate pair (RFC 8259 section 7)
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_safe(document: str) -> str:
    """A JSON document from json.dumps(ensure_ascii=False) with DEL, C1, format and separator characters
    escaped as \\uXXXX too (json.dumps escapes only C0).

    Safe on the whole document: JSON's own syntax is ASCII, so these characters can only sit inside strings.
    """
    if JSON_UNSAFE.search(document) is None:
        return document
    return JSON_UNSAFE.sub(_json_escape, document)


# OWASP CSV injection guidance: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """One CSV text cell: controls escaped, and a leading formula character defused with a single quote.

    The check looks at the raw value (a leading tab or CR counts even though it is escaped after).
    """
    safe = escape_text(text)
    return "'" + safe if text.startswith(FORMULA_START) else safe
