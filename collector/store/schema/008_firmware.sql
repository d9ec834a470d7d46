-- netcensus store, migration 008: the OS or firmware version a device runs (issue #16).
-- A network device's firmware as its scanner read it (ENTITY-MIB, a vendor MIB, sysDescr); an
-- agent's OS version. NULL where unknown, and for every sighting stored before this migration.

ALTER TABLE sightings ADD COLUMN firmware VARCHAR;
ALTER TABLE assets ADD COLUMN firmware VARCHAR;
