-- marts.student_scores (CONFIDENTIAL): one row per pseudonymized student x subject x year.
-- z standardizes the scale score within test x subject x tested grade x spring year, statewide,
-- over every loaded (valid) score: scale scores are not comparable across tests or grades.
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.student_scores AS
SELECT
    student_key,
    school_year,
    try_cast(system_code AS INTEGER) * 10000 + try_cast(school_code AS INTEGER) AS school_id,
    system_code,
    school_code,
    enrolled_grade,
    grade,
    test,
    subject,
    scale_score,
    (scale_score - avg(scale_score) OVER cell) / nullif(stddev_samp(scale_score) OVER cell, 0)
        AS z,
    level,
    level_rank,
    proficient
FROM stg_assessments
WINDOW cell AS (PARTITION BY test, subject, grade, school_year)
ORDER BY school_year, subject, school_id, grade, student_key;
