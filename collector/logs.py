"""Log set-up for the collector CLI: plain text for people, one JSON object per line for machines.

Secrets are kept out of logs at the source (node keys, enrolment secrets and admin tokens are
never passed to a logger); the JSON form adds nothing but structure: time, level, logger, message.

Log messages carry values from the network (an enrolling host's name, a device's sysName), so both
forms escape them: the text form writes control characters visibly (a newline in a host name cannot
start a forged line), the JSON form stays one object per line with C1, bidi and separator characters
as \\uXXXX. A traceback in the text form keeps its lines, each indented, so none can pass for a record.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from collector.escaping import escape_text, json_safe

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the exception (if any) as one string field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json_safe(json.dumps(entry, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """One line per record: the rendered message escaped; a traceback follows, every line indented."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape_text(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: logging._SysExcInfoType) -> str:  # noqa: N802 - logging's name
        return "\n".join("    " + escape_text(line) for line in super().formatException(ei).splitlines())

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return "\n".join("    " + escape_text(line) for line in stack_info.splitlines())


def configure_logging(level: str, fmt: str = "text") -> None:
    """Root logging to stderr at `level` in `fmt` ("text" or "json")."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
