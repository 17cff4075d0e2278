-- Validate and stage a batch of program files (the official list of partnered schools).
-- Input: file_checked = file_rows + generic_problem. Output: stg_program rows, file_problems.
-- A partnered school must be in the roster of its cohort year (roster_schools, see
-- roster_schools.sql).

CREATE OR REPLACE TEMP TABLE file_validated AS
SELECT
    f.*,
    coalesce(f.generic_problem, CASE
        WHEN regexp_full_match(f.system_code, '[0-9]{1,2}') THEN
            {'column_name': 'system_code', 'value': f.system_code, 'reason': 'lost leading zeros',
             'detail': 'system codes have 3 digits: a spreadsheet dropped the leading zeros; save the column as text and export again'}
        WHEN regexp_full_match(f.school_code, '[0-9]{1,3}') THEN
            {'column_name': 'school_code', 'value': f.school_code, 'reason': 'lost leading zeros',
             'detail': 'school codes have 4 digits: a spreadsheet dropped the leading zeros; save the column as text and export again'}
        WHEN NOT regexp_full_match(f.system_code, '[0-9]{3}') THEN
            {'column_name': 'system_code', 'value': f.system_code, 'reason': 'invalid code',
             'detail': 'system codes have 3 digits'}
        WHEN NOT regexp_full_match(f.school_code, '[0-9]{4}') THEN
            {'column_name': 'school_code', 'value': f.school_code, 'reason': 'invalid code',
             'detail': 'school codes have 4 digits'}
        WHEN try_cast(f.cohort AS INTEGER) NOT BETWEEN 2000 AND 2100 THEN
            {'column_name': 'cohort', 'value': f.cohort, 'reason': 'out of range',
             'detail': 'cohorts are spring years from 2000 to 2100'}
        WHEN try_cast(f.last_year AS INTEGER) < try_cast(f.cohort AS INTEGER) THEN
            {'column_name': 'last_year', 'value': f.last_year, 'reason': 'out of range',
             'detail': 'last year before the cohort year'}
        WHEN r.school_code IS NULL THEN
            {'column_name': 'school_code', 'value': f.school_code, 'reason': 'unknown school',
             'detail': 'not in the ' || f.cohort || ' roster'}
    END) AS problem
FROM file_checked AS f
LEFT JOIN roster_schools AS r
    ON r.school_year = try_cast(f.cohort AS INTEGER)
    AND r.system_code = f.system_code
    AND r.school_code = f.school_code;

CREATE OR REPLACE TEMP TABLE file_problems AS
WITH ranked AS (
    SELECT
        path,
        line,
        school_code,
        first_value(line) OVER (
            PARTITION BY path, system_code, school_code, school_name, cohort, partner_id, last_year
            ORDER BY line
        ) AS first_copy,
        first_value(line) OVER (PARTITION BY path, system_code, school_code ORDER BY line)
            AS first_of_key
    FROM file_validated
    WHERE problem IS NULL
)
SELECT path, line, problem.column_name, problem.value, problem.reason, problem.detail
FROM file_validated
WHERE problem IS NOT NULL
UNION ALL
SELECT
    path,
    line,
    'school_code',
    school_code,
    CASE WHEN first_copy < line THEN 'duplicate row' ELSE 'duplicate key' END,
    CASE
        WHEN first_copy < line THEN 'same as line ' || first_copy
        ELSE 'same school as line ' || first_of_key || ' with other values'
    END
FROM ranked
WHERE first_of_key < line;

INSERT INTO stg_program
SELECT
    path,
    line,
    system_code,
    school_code,
    school_name,
    cohort::INTEGER,
    partner_id,
    last_year::INTEGER
FROM file_validated
ANTI JOIN file_problems USING (path, line)
WHERE problem IS NULL;
