"""Run snmpsim-command-responder-lite under pysnmp 7 (lab use only; never imported by the agent).

snmpsim 1.2's lite responder (SNMPv1/v2c over pysnmp's v1arch, several times cheaper per request
than its full responder) still calls a few camelCase names that pysnmp 7 renamed; alias them,
then hand over to its main(). Usage: python -m agent.scan._simlite <responder-lite arguments>.
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> int:
    """Alias the renamed pysnmp names and run the lite responder with our argv."""
    from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher
    from pysnmp.proto import api
    from pysnmp.proto.api import v1, v2c

    AsyncioDispatcher.registerRecvCbFun = AsyncioDispatcher.register_recv_callback  # type: ignore[attr-defined]
    if not hasattr(api, "protoModules"):
        api.protoModules = api.PROTOCOL_MODULES  # type: ignore[attr-defined]
    for mod in (v1, v2c):
        pdu_api = type(mod.apiPDU)
        pdu_api.setErrorStatus = pdu_api.set_error_status  # type: ignore[attr-defined]
        pdu_api.setErrorIndex = pdu_api.set_error_index  # type: ignore[attr-defined]
    from snmpsim import controller
    from snmpsim.commands import responder_lite

    # The lite responder passes a list of varbinds and no engine; snmpsim's data-file controller
    # now expects *args plus the v3arch engine's execution context. Give it what its own
    # "no context" branch meant to: just the next/set flags.
    def _vars(next_flag: bool, set_flag: bool) -> Any:
        def call(self: Any, var_binds: Any, **_context: Any) -> Any:
            return self._data_file.process_var_binds(var_binds, nextFlag=next_flag, setFlag=set_flag)
        return call

    controller.MibInstrumController.readVars = _vars(False, False)  # type: ignore[attr-defined]
    controller.MibInstrumController.readNextVars = _vars(True, False)  # type: ignore[attr-defined]
    controller.MibInstrumController.writeVars = _vars(False, True)  # type: ignore[attr-defined]
    index = controller.DataIndexInstrumController
    index.readVars = index.read_variables  # type: ignore[attr-defined]
    index.readNextVars = index.read_next_variables  # type: ignore[attr-defined]
    index.writeVars = index.write_variables  # type: ignore[attr-defined]

    sys.argv[0] = "snmpsim-command-responder-lite"
    return int(responder_lite.main() or 0)


if __name__ == "__main__":
    sys.exit(main())
