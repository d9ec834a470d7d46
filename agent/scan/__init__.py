"""What is on the wire: network sweeps by ARP (scapy), nmap (python-nmap) and SNMP (pysnmp, snmp/).

One scanner per method behind the `base.Scanner` Protocol, listed once in `registry.py` (imported
lazily, so an SNMP-only sweep never loads scapy); `sweep.py` composes them, `classify.py` names
vendors and device types, `schedule.py` runs sweeps from a config file, `secrets.py` says where SNMP
secrets come from (a private file or the environment, never argv). May import agent.facts.model
(values), agent.config, agent.errors and itself; never agent.transport or grpc — the CLI hands results
to transport.
"""
