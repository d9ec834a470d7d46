-- netcensus store, migration 006: L2 bindings (issue #15, "a responder is one asset").

-- The MAC the scanner bound an SNMP/nmap observation's address to in the same sweep (the MAC that
-- answered ARP for it on the scanner's segment); how and when it was learnt is in `detail`
-- ($.l2_binding). Identity resolution joins the sighting to that MAC's asset (match key
-- 'l2-binding'). NULL: no binding (routed device, proxy ARP, virtual-router MAC, older scanner).
ALTER TABLE sightings ADD COLUMN bound_mac VARCHAR;
