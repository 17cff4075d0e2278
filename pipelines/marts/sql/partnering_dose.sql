-- marts.partnering_dose: one row per school x year with logged partnering or in the program.
-- teachers_reached counts distinct (pseudonymized) teachers, or the largest teacher count of a
-- single contact when logs give counts without ids; minutes_per_teacher = minutes / that.
-- The share_columns placeholder is filled from the declared activity and record types.
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.partnering_dose AS
WITH program_years AS (
    -- Partnered years run from the cohort to last_year, or to the last roster year.
    SELECT t.school_id, t.system_code, t.school_code, y.school_year
    FROM marts.treatment AS t
    JOIN (SELECT DISTINCT school_year FROM marts.schools) AS y
        ON y.school_year BETWEEN t.cohort AND coalesce(t.last_year, 9999)
    WHERE t.cohort > 0
),
contacts AS (
    SELECT
        try_cast(system_code AS INTEGER) * 10000 + try_cast(school_code AS INTEGER)
            AS school_id,
        *
    FROM stg_activity
),
teachers AS (
    SELECT school_id, school_year, count(DISTINCT teacher_key) AS distinct_teachers
    FROM (SELECT school_id, school_year, unnest(teacher_keys) AS teacher_key FROM contacts)
    GROUP BY ALL
),
per_year AS (
    SELECT
        c.school_id,
        c.system_code,
        c.school_code,
        c.school_year,
        count(*) AS contacts,
        sum(c.minutes)::BIGINT AS minutes,
        greatest(any_value(coalesce(t.distinct_teachers, 0)), max(c.teacher_count))
            AS teachers_reached,
        {share_columns}
    FROM contacts AS c
    LEFT JOIN teachers AS t USING (school_id, school_year)
    GROUP BY ALL
)
SELECT
    school_id,
    coalesce(a.system_code, p.system_code) AS system_code,
    coalesce(a.school_code, p.school_code) AS school_code,
    school_year,
    p.school_id IS NOT NULL AS partnered,
    coalesce(a.contacts, 0) AS contacts,
    coalesce(a.minutes, 0) AS minutes,
    coalesce(a.teachers_reached, 0) AS teachers_reached,
    a.minutes / nullif(a.teachers_reached, 0) AS minutes_per_teacher,
    a.* EXCLUDE (
        school_id, system_code, school_code, school_year, contacts, minutes, teachers_reached
    )
FROM per_year AS a
FULL JOIN program_years AS p USING (school_id, school_year)
ORDER BY school_id, school_year;
