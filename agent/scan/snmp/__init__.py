"""The SNMP scanner, split by job.

    oids.py          what to read: OIDs, per-table columns, walk plans per depth (pure data)
    credentials.py   which credentials to try, named by position only
    values.py        plain SNMP values -> text, ints, dates; rows of a walk by index (pure)
    session.py       Session (GET, census, lockstep walks), SnmpError, pacing (AdaptiveLimit, Pacer)
    channel.py       a connected UDP socket per device, request-ids, the SNMPv3 discovery probe
    ber.py           the BER codec of community messages (v1/v2c)
    community.py     v1/v2c sessions over channel.py and ber.py
    usm.py           v3 sessions through pysnmp (the only module importing it)
    mib/             one module per MIB area: system, interfaces, entity, host resources,
                     ARP cache, bridge forwarding tables, LLDP (pure readers of walked tables); the
                     vendor and public-MIB serial/model/version objects (vendor_ids, identity_objects)
    observations.py  one device's answers -> its Observations (composes mib/)
    identity_mibs.py regenerates mib/registry/identity_objects.tsv.gz from vendor MIBs with pysmi
                     (`netcensus-agent identity-objects`; never imported by a scan)
    device.py        credential search, census, walks; many devices at once; run_snmp

Import rules: the pure layer (oids, values, mib/, observations) never imports a transport;
only usm.py imports pysnmp, and only inside functions, so importing this package costs no
pysnmp start-up. Nothing outside agent/scan/snmp imports its modules except through this
package's public entry, run_snmp (the Scanner the registry names), the OID plan in oids.py
(benchmarks compare walks of the same subtrees), and identity_mibs for the CLI's regeneration.
"""

from __future__ import annotations

from agent.scan.snmp.device import run_snmp

__all__ = ["run_snmp"]
