"""netcensus endpoint agent and network scanner (the light part: no DuckDB, no collector code).

Layout: cli.py/config.py/errors.py are the edge (argv, environment and file resolved once in config.py);
report.py is the main use case (collect -> snapshot or delta -> deliver); daemon.py its cadence;
facts/ reads the machine, scan/ reads the network, transport/ speaks the wire contract, lab/ builds
network-namespace hosts for tests and the demo. May import only itself and the generated netcensus.v1.
"""

__version__ = "0.1.0"
