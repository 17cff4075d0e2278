-- Empty a warehouse built with another schema: everything in it derives from data/raw/, and the
-- next ingest rebuilds it from there.
DROP SCHEMA IF EXISTS marts CASCADE;
DROP TABLE IF EXISTS ingest_ledger;
DROP TABLE IF EXISTS rejects;
DROP TABLE IF EXISTS ingest_history;
DROP TABLE IF EXISTS stg_rosters;
DROP TABLE IF EXISTS stg_program;
DROP TABLE IF EXISTS stg_activity;
DROP TABLE IF EXISTS stg_assessment_records;
DROP TABLE IF EXISTS stg_assessments;
DROP TABLE IF EXISTS asset_versions;
DROP TABLE IF EXISTS check_outcomes;
DELETE FROM warehouse_schema;
INSERT INTO warehouse_schema VALUES ($version);
