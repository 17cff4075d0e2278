-- marts.student_scores (CONFIDENTIAL): one row per pseudonymized student x subject x year.
-- z standardizes the scale score within test x subject x tested grade x spring year, statewide,
-- over every loaded (valid) score: scale scores are not comparable across tests or grades.
-- Cell statistics come from one aggregation joined back (cheaper than a window over millions of
-- rows); the table is not sorted, for the same reason.
-- Student flags come from the student's record in the export (standard coding: docs/marts.md,
-- "Student flags"). English learner and disability status are not in every era's export: a
-- year without them takes the student's earliest recorded value.
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.student_scores AS
WITH cells AS (
    SELECT
        test,
        subject,
        grade,
        school_year,
        avg(scale_score) AS cell_mean,
        stddev_samp(scale_score) AS cell_sd
    FROM stg_assessments
    GROUP BY ALL
),
records AS (
    SELECT
        path,
        line,
        gender,
        race_ethnicity,
        economically_disadvantaged,
        coalesce(
            english_learner,
            first_value(english_learner IGNORE NULLS) OVER earliest
        ) AS english_learner,
        coalesce(disability, first_value(disability IGNORE NULLS) OVER earliest) AS disability,
        section_504,
        migrant
    FROM stg_assessment_records
    WINDOW earliest AS (
        PARTITION BY student_key ORDER BY school_year, path, line
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    )
),
scored AS (
    SELECT
        s.student_key,
        s.school_year,
        try_cast(s.system_code AS INTEGER) * 10000 + try_cast(s.school_code AS INTEGER)
            AS school_id,
        s.system_code,
        s.school_code,
        s.enrolled_grade,
        s.grade,
        s.test,
        s.subject,
        s.scale_score,
        (s.scale_score - c.cell_mean) / nullif(c.cell_sd, 0) AS z,
        s.level,
        s.level_rank,
        s.proficient,
        r.gender,
        r.race_ethnicity,
        r.economically_disadvantaged,
        r.english_learner,
        r.disability,
        r.section_504,
        r.migrant
    FROM stg_assessments AS s
    JOIN cells AS c USING (test, subject, grade, school_year)
    LEFT JOIN records AS r USING (path, line)
)
SELECT * FROM scored;
