-- Every staged result is in student_scores once, and every score of a cell whose scores vary
-- has a z-score.
WITH cells AS (
    SELECT test, subject, grade, school_year
    FROM marts.student_scores
    GROUP BY ALL
    HAVING stddev_samp(scale_score) > 0
),
counts AS (
    SELECT
        (SELECT count(*) FROM stg_assessments) AS staged,
        (SELECT count(*) FROM marts.student_scores) AS published,
        (
            SELECT count(*)
            FROM marts.student_scores
            SEMI JOIN cells USING (test, subject, grade, school_year)
            WHERE z IS NULL
        ) AS missing_z
)
SELECT
    (staged <> published)::INTEGER + (missing_z > 0)::INTEGER AS failures,
    [
        'staged results: ' || staged || ', student_scores rows: ' || published,
        'scores without z: ' || missing_z
    ] AS examples
FROM counts;
