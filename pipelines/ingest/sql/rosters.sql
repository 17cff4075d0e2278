-- Validate and stage a batch of rosters files (NCES CCD style: one row per school per spring year).
-- Input: file_checked = file_rows + generic_problem (declared rules). Output: the file's rows
-- in stg_rosters and its problems in file_problems (line, column_name, value, reason, detail).

CREATE OR REPLACE TEMP TABLE file_validated AS
SELECT
    *,
    coalesce(generic_problem, CASE
        WHEN regexp_full_match(system_code, '[0-9]{1,2}') THEN
            {'column_name': 'system_code', 'value': system_code, 'reason': 'lost leading zeros',
             'detail': 'system codes have 3 digits: a spreadsheet dropped the leading zeros; save the column as text and export again'}
        WHEN regexp_full_match(school_code, '[0-9]{1,3}') THEN
            {'column_name': 'school_code', 'value': school_code, 'reason': 'lost leading zeros',
             'detail': 'school codes have 4 digits: a spreadsheet dropped the leading zeros; save the column as text and export again'}
        WHEN NOT regexp_full_match(system_code, '[0-9]{3}') THEN
            {'column_name': 'system_code', 'value': system_code, 'reason': 'invalid code',
             'detail': 'system codes have 3 digits'}
        WHEN NOT regexp_full_match(school_code, '[0-9]{4}') THEN
            {'column_name': 'school_code', 'value': school_code, 'reason': 'invalid code',
             'detail': 'school codes have 4 digits'}
        WHEN try_cast(school_year AS INTEGER) NOT BETWEEN 1990 AND 2100 THEN
            {'column_name': 'school_year', 'value': school_year, 'reason': 'out of range',
             'detail': 'spring years run from 1990 to 2100'}
        WHEN try_cast(enrollment AS INTEGER) < 0 THEN
            {'column_name': 'enrollment', 'value': enrollment, 'reason': 'out of range',
             'detail': 'negative'}
        WHEN try_cast(free_lunch AS INTEGER) < 0 THEN
            {'column_name': 'free_lunch', 'value': free_lunch, 'reason': 'out of range',
             'detail': 'negative'}
        WHEN try_cast(reduced_lunch AS INTEGER) < 0 THEN
            {'column_name': 'reduced_lunch', 'value': reduced_lunch, 'reason': 'out of range',
             'detail': 'negative'}
        WHEN try_cast(free_lunch AS BIGINT) + try_cast(reduced_lunch AS BIGINT)
                > try_cast(enrollment AS BIGINT) THEN
            {'column_name': 'free_lunch', 'value': free_lunch, 'reason': 'out of range',
             'detail': 'free + reduced-price lunch exceeds enrollment'}
    END) AS problem
FROM file_checked;

-- Among rows with no problem, a later copy of a row is a duplicate; a later row with the same
-- school and year but other values conflicts with the first one.
CREATE OR REPLACE TEMP TABLE file_problems AS
WITH ranked AS (
    SELECT
        path,
        line,
        school_year,
        system_code,
        school_code,
        first_value(line) OVER (
            PARTITION BY path, school_year, ncessch, leaid, system_code, school_code, school_name,
                system_name, level, gslo, gshi, school_type, charter, locale, enrollment,
                free_lunch, reduced_lunch
            ORDER BY line
        ) AS first_copy,
        first_value(line) OVER (
            PARTITION BY path, school_year, system_code, school_code ORDER BY line
        ) AS first_of_key
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
        ELSE 'same school and year as line ' || first_of_key || ' with other values'
    END
FROM ranked
WHERE first_of_key < line;

INSERT INTO stg_rosters
SELECT
    path,
    line,
    school_year::INTEGER,
    ncessch,
    leaid,
    system_code,
    school_code,
    school_name,
    system_name,
    level,
    gslo,
    gshi,
    school_type,
    charter = 'Yes',
    locale,
    enrollment::INTEGER,
    free_lunch::INTEGER,
    reduced_lunch::INTEGER,
    school_code = $system_total_code
FROM file_validated
ANTI JOIN file_problems USING (path, line)
WHERE problem IS NULL;
