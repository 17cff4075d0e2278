-- marts.school_outcomes: one row per school x subject x tested grade x year.
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.school_outcomes AS
SELECT
    school_id,
    system_code,
    school_code,
    school_year,
    subject,
    grade,
    test,
    count(*) AS n_tested,
    avg(z) AS mean_z,
    avg(scale_score) AS mean_scale_score,
    avg(proficient::INTEGER) AS share_proficient
FROM marts.student_scores
GROUP BY ALL
ORDER BY school_id, subject, school_year, grade;
