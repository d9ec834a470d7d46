"""Run snmpsim-command-responder-lite under pysnmp 7 (lab use only; never imported by the agent).

snmpsim 1.2's lite responder (SNMPv1/v2c over pysnmp's v1arch, several times cheaper per request
than its full responder) still calls a few camelCase names that pysnmp 7 renamed; alias them,
then hand over to its main(). Usage: python -m agent.lab.simlite <responder-lite arguments>.
"""

from __future__ import annotations

import sys
from typing import Any


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
