-- Every staged result is in student_scores once, and every score of a cell with two or more
-- students has a z-score.
WITH counts AS (
    SELECT
        (SELECT count(*) FROM stg_assessments) AS staged,
        (SELECT count(*) FROM marts.student_scores) AS published,
        (
            SELECT count(*)
            FROM (
                SELECT z, count(*) OVER (PARTITION BY test, subject, grade, school_year) AS n,
                    stddev_samp(scale_score) OVER (PARTITION BY test, subject, grade, school_year)
                        AS sd
                FROM marts.student_scores
            )
            WHERE z IS NULL AND n >= 2 AND sd > 0
        ) AS missing_z
)
SELECT
    (staged <> published)::INTEGER + (missing_z > 0)::INTEGER AS failures,
    [
        'staged results: ' || staged || ', student_scores rows: ' || published,
        'scores without z: ' || missing_z
    ] AS examples
FROM counts;
