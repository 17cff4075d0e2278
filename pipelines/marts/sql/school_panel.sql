-- marts.school_panel: one row per school x subject x year with students tested: the main
-- outcome panel. mean_z weights every tested student equally (over grades); covariates come from
-- that year's roster; pre_mean_z is the school's mean z over the years before the program's
-- first cohort (the same pre-period for every school, so treated and comparison schools compare).
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.school_panel AS
WITH program_start AS (
    SELECT min(cohort) FILTER (WHERE cohort > 0) AS first_cohort FROM marts.treatment
),
outcomes AS (
    SELECT
        school_id,
        system_code,
        school_code,
        subject,
        school_year,
        count(*) AS n_tested,
        avg(z) AS mean_z
    FROM marts.student_scores
    GROUP BY ALL
),
pre_program AS (
    SELECT s.school_id, s.subject, avg(s.z) AS pre_mean_z
    FROM marts.student_scores AS s, program_start AS p
    WHERE s.school_year < p.first_cohort
    GROUP BY ALL
)
SELECT
    o.school_id,
    o.system_code,
    o.school_code,
    o.subject,
    o.school_year,
    o.n_tested,
    o.mean_z,
    c.enrollment,
    c.frl_share,
    c.level,
    c.locale,
    pre.pre_mean_z,
    t.cohort
FROM outcomes AS o
LEFT JOIN marts.schools AS c USING (school_id, school_year)
LEFT JOIN pre_program AS pre USING (school_id, subject)
LEFT JOIN marts.treatment AS t USING (school_id)
ORDER BY o.school_id, o.subject, o.school_year;
