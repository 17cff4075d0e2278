-- The schools each year's roster lists (system totals excluded): what school codes in the
-- program, activity and assessment files are checked against.
CREATE OR REPLACE TEMP TABLE roster_schools AS
SELECT DISTINCT school_year, system_code, school_code
FROM stg_rosters
WHERE NOT is_system_total;
