-- netcensus store, migration 002: the documented read-only views (`netcensus sql`, README).
-- Tables assets, sightings, recorded_assets and findings are documented as they are.

-- Every identifier any subject ever carried, with when and by which source.
CREATE VIEW identifiers AS
WITH raw AS (
    SELECT subject, source_id, method, seen_at, 'hostname' AS kind, hostname AS value FROM sightings WHERE hostname IS NOT NULL AND hostname <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'fqdn', fqdn FROM sightings WHERE fqdn IS NOT NULL AND fqdn <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'serial', serial FROM sightings WHERE serial IS NOT NULL AND serial <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'uuid', system_uuid FROM sightings WHERE system_uuid IS NOT NULL AND system_uuid <> ''
    UNION ALL SELECT subject, source_id, method, seen_at, 'mac', unnest(macs) FROM sightings
    UNION ALL SELECT subject, source_id, method, seen_at, 'local-mac', unnest(local_macs) FROM sightings
    UNION ALL SELECT subject, source_id, method, seen_at, 'ip', unnest(ips) FROM sightings
)
SELECT m.asset_id, r.subject, r.kind, r.value, r.source_id, r.method,
       min(r.seen_at) AS first_seen, max(r.seen_at) AS last_seen, count(*) AS sightings
FROM raw r LEFT JOIN asset_members m USING (subject)
GROUP BY ALL;

-- Software currently installed, per asset; last_seen is the last complete collection of its source.
CREATE VIEW software AS
SELECT m.asset_id, s.subject, s.source_id, s.name, s.version, s.arch, s.pkg_source AS source,
       s.vendor, s.source_package, s.purl, s.installed_at, s.first_seen,
       coalesce(st.last_ok_at, s.first_seen) AS last_seen
FROM software_installs s
LEFT JOIN asset_members m USING (subject)
LEFT JOIN inventory_state st ON st.subject = s.subject AND st.pkg_source = s.pkg_source
WHERE s.removed_at IS NULL;

-- Every install ever seen, including removed ones (installed at / removed at).
CREATE VIEW software_history AS
SELECT m.asset_id, s.* FROM software_installs s LEFT JOIN asset_members m USING (subject);

-- The rule engine's inputs (collector/store/rules_sql.py).
CREATE VIEW software_scoped AS
SELECT a.asset_id, a.hostnames[1] AS hostname, a.os_family, a.device_type, a.ips,
       sw.name, sw.version, sw.vendor, sw.source, sw.first_seen, sw.last_seen
FROM software sw JOIN assets a USING (asset_id);

CREATE VIEW assets_scoped AS
SELECT asset_id, hostnames[1] AS hostname, os_family, device_type, ips,
       coalesce(has_software_inventory, false) AS has_software_inventory, first_seen, last_seen
FROM assets;
