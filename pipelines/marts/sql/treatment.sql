-- marts.treatment: one row per school that any roster lists. cohort = first partnered spring
-- year (0 = never partnered), last_year = last partnered year (NULL = still partnered or never),
-- first_activity_year = first year with logged partnering (cross-check of the cohort).
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.treatment AS
WITH roster AS (
    SELECT
        school_id,
        system_code,
        school_code,
        arg_max(school_name, school_year) AS school_name,
        arg_max(system_name, school_year) AS system_name
    FROM marts.schools
    GROUP BY ALL
),
activity AS (
    SELECT system_code, school_code, min(school_year) AS first_activity_year
    FROM stg_activity
    GROUP BY ALL
)
SELECT
    r.school_id,
    r.system_code,
    r.school_code,
    r.school_name,
    r.system_name,
    coalesce(p.cohort, 0) AS cohort,
    p.last_year,
    p.partner_id,
    a.first_activity_year
FROM roster AS r
LEFT JOIN stg_program AS p USING (system_code, school_code)
LEFT JOIN activity AS a USING (system_code, school_code)
ORDER BY r.school_id;
