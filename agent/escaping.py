"""Making values from the network safe to show: control and format characters written out visibly.

Why: the scanner prints what devices say about themselves (sysName, sysDescr, host names, software
names) and logs it; raw, an ESC sequence clears the terminal or retitles its window, a newline forges
a log line, a bidi override reorders what a reader sees. The `facts` summary, scan messages, errors
and text logs go through `escape_text`; JSON output through `json_safe`.

The collector has the same functions in collector/escaping.py (the agent never imports the
collector); tests/test_escaping.py holds both to the vectors in tests/data/escaping/vectors.json.
Newline, carriage return and tab read as \\n, \\r and \\t; other controls (Unicode Cc), format
characters (Cf: zero-width, bidi, soft hyphen, BOM, tags) and line/paragraph separators (Zl, Zp) as
\\xNN, \\uNNNN or \\UNNNNNNNN. A backslash already in the value is left alone: the result is for reading.
"""

from __future__ import annotations

import logging
import re

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


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class EscapingFormatter(logging.Formatter):
    """Text log lines whose rendered message is escaped; a traceback follows, every line indented."""

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape_text(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: logging._SysExcInfoType) -> str:  # noqa: N802 - logging's name
        return "\n".join("    " + escape_text(line) for line in super().formatException(ei).splitlines())

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return "\n".join("    " + escape_text(line) for line in stack_info.splitlines())
