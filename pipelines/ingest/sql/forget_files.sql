-- Remove everything earlier versions of the files in $paths left in the warehouse, so that a
-- changed file replaces its rows instead of adding to them.
DELETE FROM stg_rosters WHERE path IN (SELECT unnest($paths::VARCHAR[]));
DELETE FROM stg_program WHERE path IN (SELECT unnest($paths::VARCHAR[]));
DELETE FROM stg_activity WHERE path IN (SELECT unnest($paths::VARCHAR[]));
DELETE FROM stg_assessment_records WHERE path IN (SELECT unnest($paths::VARCHAR[]));
DELETE FROM stg_assessments WHERE path IN (SELECT unnest($paths::VARCHAR[]));
DELETE FROM rejects WHERE path IN (SELECT unnest($paths::VARCHAR[]));
DELETE FROM ingest_ledger WHERE path IN (SELECT unnest($paths::VARCHAR[]));
