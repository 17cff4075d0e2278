-- marts.schools: one row per school x spring year, from the rosters (system totals dropped).
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.schools AS
SELECT
    try_cast(system_code AS INTEGER) * 10000 + try_cast(school_code AS INTEGER) AS school_id,
    school_year,
    system_code,
    school_code,
    ncessch,
    leaid,
    school_name,
    system_name,
    level,
    gslo,
    gshi,
    school_type,
    charter,
    locale,
    enrollment,
    free_lunch,
    reduced_lunch,
    CASE
        WHEN enrollment > 0 THEN (free_lunch + reduced_lunch)::DOUBLE / enrollment
    END AS frl_share
FROM stg_rosters
WHERE NOT is_system_total
ORDER BY school_id, school_year;
