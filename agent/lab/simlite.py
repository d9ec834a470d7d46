"""Run snmpsim-command-responder-lite under pysnmp 7 (lab use only; never imported by the agent).

snmpsim 1.2's lite responder (SNMPv1/v2c over pysnmp's v1arch, several times cheaper per request
than its full responder) still calls a few camelCase names that pysnmp 7 renamed; alias them,
then hand over to its main(). Usage: python -m agent.lab.simlite <responder-lite arguments>.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any


class _SqliteIndex:
    """A dbm-like OID index in one SQLite file (keys str, values returned as bytes, as dbm does)."""

    def __init__(self, path: str, flag: str) -> None:
        if "n" in flag and os.path.exists(path):
            os.remove(path)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
        self._writing = False

    def __setitem__(self, key: str, value: str) -> None:
        if not self._writing:
            self._db.execute("BEGIN")
            self._writing = True
        self._db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, value.encode()))

    def __getitem__(self, key: str) -> bytes:
        row = self._db.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return bytes(row[0])

    def close(self) -> None:
        if self._writing:
            self._db.execute("COMMIT")
            self._writing = False
        self._db.close()


class _SqliteDbm:
    """Stands in for the `dbm` module snmpsim indexes its data files with.

    Without the C dbm modules (this interpreter has neither gdbm nor ndbm), dbm falls back to
    dbm.dumb, which opens its directory file once per new key: indexing a 240 MB recording took
    many minutes of CPU. SQLite (standard library) does the same job in seconds.
    """

    @staticmethod
    def open(path: str, flag: str = "r", *_mode: Any) -> _SqliteIndex:
        return _SqliteIndex(path, flag)

    @staticmethod
    def whichdb(path: str) -> str:
        try:
            with open(path, "rb") as fh:
                return "sqlite3" if fh.read(16) == b"SQLite format 3\x00" else ""
        except OSError:
            return ""


def main() -> int:
    """Alias the renamed pysnmp names and run the lite responder with our argv."""
    from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher
    from pysnmp.proto import api
    from pysnmp.proto.api import v1, v2c

    aliases: list[tuple[Any, str, Any]] = [
        (AsyncioDispatcher, "registerRecvCbFun", AsyncioDispatcher.register_recv_callback)]
    if not hasattr(api, "protoModules"):
        aliases.append((api, "protoModules", api.PROTOCOL_MODULES))
    for mod in (v1, v2c):
        pdu_api = type(mod.apiPDU)
        aliases += [(pdu_api, "setErrorStatus", pdu_api.set_error_status),
                    (pdu_api, "setErrorIndex", pdu_api.set_error_index)]
    from snmpsim import controller  # type: ignore[import-untyped]
    from snmpsim.record.search import database  # type: ignore[import-untyped]

    database.dbm = database.whichdb = _SqliteDbm
    from snmpsim.commands import responder_lite  # type: ignore[import-untyped]

    # The lite responder passes a list of varbinds and no engine; snmpsim's data-file controller
    # now expects *args plus the v3arch engine's execution context. Give it what its own
    # "no context" branch meant to: just the next/set flags.
    def _vars(next_flag: bool, set_flag: bool) -> Any:
        def call(self: Any, var_binds: Any, **_context: Any) -> Any:
            return self._data_file.process_var_binds(var_binds, nextFlag=next_flag, setFlag=set_flag)
        return call

    data, index = controller.MibInstrumController, controller.DataIndexInstrumController
    aliases += [(data, "readVars", _vars(False, False)), (data, "readNextVars", _vars(True, False)),
                (data, "writeVars", _vars(False, True)), (index, "readVars", index.read_variables),
                (index, "readNextVars", index.read_next_variables), (index, "writeVars", index.write_variables)]
    for owner, name, value in aliases:
        setattr(owner, name, value)

    sys.argv[0] = "snmpsim-command-responder-lite"
    return int(responder_lite.main() or 0)


if __name__ == "__main__":
    sys.exit(main())
