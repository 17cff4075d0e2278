-- The valid result of subject block {n}, one row per valid record that took it (a branch of
-- the file_results view in assessments.sql).
SELECT
    path,
    line,
    student_key,
    system_code,
    school_code,
    enrolled_grade,
    school_year,
    s{n}_subject AS subject,
    s{n}_grade_number AS grade,
    s{n}_scale_score AS scale_score,
    s{n}_level AS level,
    s{n}_rank AS level_rank,
    s{n}_test_date AS test_date
FROM file_validated
WHERE problem IS NULL AND s{n}_tested
