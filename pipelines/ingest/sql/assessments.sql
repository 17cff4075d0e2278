-- Validate and stage a batch of assessment exports of one vendor layout.
-- Input: file_rows, one row per record: path, line, student_id, school_raw, system_raw,
-- grade_raw, admin_raw, and per subject block n: sn_label (long layouts: the subject cell),
-- sn_score, sn_level, sn_grade (tested grade, else enrolled grade), sn_date.
-- Placeholders in braces are filled from the layout by pipelines/ingest/assessments.py:
-- block_columns (assessment_block.sql once per block), tested_any, first_year_of_block,
-- years_agree, block_problems, block_outputs, results_count and results_union
-- (assessment_result.sql once per block).
-- Output: stg_assessment_records (every loaded record), stg_assessments (every result of a
-- loaded record), file_problems (the first problem of each rejected record).

-- One pass per record: pseudonymize, type every cell, find its first problem.
CREATE OR REPLACE TEMP TABLE file_validated AS
WITH typed AS (
    SELECT
        -- The raw student id goes no further than this pseudonym.
        * EXCLUDE (student_id),
        CASE WHEN student_id IS NOT NULL THEN pseudonym(student_id) END AS student_key,
        CASE WHEN $has_system_prefix THEN left(school_raw, 3) ELSE system_raw END AS system_code,
        CASE WHEN $has_system_prefix THEN right(school_raw, 4) ELSE school_raw END AS school_code,
        try_cast(grade_raw AS INTEGER) AS enrolled_grade,
        year(try_strptime(admin_raw, $admin_format)) AS admin_year,
        CASE
            WHEN student_id IS NULL THEN
                {'column_name': $student_id_column, 'value': NULL,
                 'reason': 'missing required value', 'detail': NULL}
            WHEN regexp_full_match(student_id, '[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+') THEN
                {'column_name': $student_id_column, 'value': pseudonym(student_id),
                 'reason': 'scientific notation',
                 'detail': 'a spreadsheet turned the id into a number and dropped its last digits; '
                     || 'save the column as text and export again'}
            WHEN school_raw IS NULL THEN
                {'column_name': $school_column, 'value': NULL,
                 'reason': 'missing required value', 'detail': NULL}
            WHEN $has_system_prefix AND regexp_full_match(school_raw, '[0-9]{4,6}') THEN
                {'column_name': $school_column, 'value': school_raw, 'reason': 'lost leading zeros',
                 'detail': 'system + school codes have 7 digits: a spreadsheet dropped the leading zeros; save the column as text and export again'}
            WHEN NOT $has_system_prefix AND regexp_full_match(school_raw, '[0-9]{1,3}') THEN
                {'column_name': $school_column, 'value': school_raw, 'reason': 'lost leading zeros',
                 'detail': 'school codes have 4 digits: a spreadsheet dropped the leading zeros; save the column as text and export again'}
            WHEN NOT $has_system_prefix AND regexp_full_match(system_raw, '[0-9]{1,2}') THEN
                {'column_name': $system_column, 'value': system_raw, 'reason': 'lost leading zeros',
                 'detail': 'system codes have 3 digits: a spreadsheet dropped the leading zeros; save the column as text and export again'}
            WHEN $has_system_prefix AND NOT regexp_full_match(school_raw, '[0-9]{7}') THEN
                {'column_name': $school_column, 'value': school_raw, 'reason': 'invalid code',
                 'detail': 'system + school codes have 7 digits'}
            WHEN NOT $has_system_prefix AND NOT regexp_full_match(school_raw, '[0-9]{4}') THEN
                {'column_name': $school_column, 'value': school_raw, 'reason': 'invalid code',
                 'detail': 'school codes have 4 digits'}
            WHEN NOT $has_system_prefix AND system_raw IS NULL THEN
                {'column_name': $system_column, 'value': NULL,
                 'reason': 'missing required value', 'detail': NULL}
            WHEN NOT $has_system_prefix AND NOT regexp_full_match(system_raw, '[0-9]{3}') THEN
                {'column_name': $system_column, 'value': system_raw, 'reason': 'invalid code',
                 'detail': 'system codes have 3 digits'}
            WHEN grade_raw IS NULL THEN
                {'column_name': $grade_column, 'value': NULL,
                 'reason': 'missing required value', 'detail': NULL}
            WHEN NOT regexp_full_match(grade_raw, '[0-9]{1,2}') THEN
                {'column_name': $grade_column, 'value': grade_raw, 'reason': 'not a number',
                 'detail': NULL}
            WHEN NOT list_contains($grades, try_cast(grade_raw AS INTEGER)) THEN
                {'column_name': $grade_column, 'value': grade_raw, 'reason': 'out of range',
                 'detail': 'the state tests grades ' || array_to_string($grades, ', ')}
            WHEN $has_admin AND admin_raw IS NULL THEN
                {'column_name': $admin_column, 'value': NULL,
                 'reason': 'missing required value', 'detail': NULL}
            WHEN $has_admin AND try_strptime(admin_raw, $admin_format) IS NULL THEN
                {'column_name': $admin_column, 'value': admin_raw, 'reason': 'invalid date',
                 'detail': 'expected format ' || $admin_format}
        END AS record_problem,
        {block_columns}
    FROM file_rows
),
checked AS (
    SELECT
        *,
        {tested_any} AS tested_any,
        coalesce({first_year_of_block}, admin_year) AS school_year,
        {years_agree} AS years_agree
    FROM typed
)
SELECT
    -- Only what later steps use: a narrow table is much cheaper to materialize.
    c.path,
    c.line,
    c.student_key,
    c.system_code,
    c.school_code,
    c.enrolled_grade,
    c.school_year,
    {block_outputs},
    coalesce(
        c.record_problem,
        {block_problems},
        CASE WHEN NOT c.years_agree THEN
            {'column_name': NULL, 'value': NULL, 'reason': 'invalid date',
             'detail': 'the tests of one record fall in different school years'}
        END,
        CASE WHEN c.school_year IS NOT NULL AND r.school_code IS NULL THEN
            {'column_name': $school_column, 'value': c.school_raw, 'reason': 'unknown school',
             'detail': 'not in the ' || c.school_year || ' roster'}
        END
    ) AS problem
FROM checked AS c
LEFT JOIN roster_schools AS r
    ON r.school_year = c.school_year
    AND r.system_code = c.system_code
    AND r.school_code = c.school_code;

-- Valid records whose student appears again in the same file and year: the only ones that can
-- be copies or conflicting results (found through a hash of the key, cheap on every record).
CREATE OR REPLACE TEMP TABLE file_repeats AS
WITH keyed AS (
    SELECT path, line, hash(path, student_key, school_year) AS key_hash
    FROM file_validated
    WHERE problem IS NULL
)
SELECT path, line
FROM keyed
SEMI JOIN (SELECT key_hash FROM keyed GROUP BY key_hash HAVING count(*) > 1) USING (key_hash);

-- Later exact copies of a record (same mapped cells) in the same file.
CREATE OR REPLACE TEMP TABLE file_copies AS
SELECT path, unnest(lines[2:]) AS line, lines[1] AS first_copy
FROM (
    SELECT path, list(line ORDER BY line) AS lines
    FROM (
        SELECT path, line, row(*COLUMNS(* EXCLUDE (path, line))) AS cells
        FROM file_rows
        SEMI JOIN file_repeats USING (path, line)
    )
    GROUP BY path, cells
    HAVING count(*) > 1
);

-- One row per valid result (record x subject taken).
CREATE OR REPLACE TEMP VIEW file_results AS
{results_union};

-- Later records giving a student another result in the same subject and year (copies aside).
CREATE OR REPLACE TEMP TABLE file_clashes AS
WITH clashing AS (
    SELECT
        path,
        line,
        student_key,
        min(line) OVER (PARTITION BY path, student_key, subject, school_year) AS first_of_key
    FROM file_results
    SEMI JOIN file_repeats USING (path, line)
    ANTI JOIN file_copies USING (path, line)
)
SELECT path, line, any_value(student_key) AS student_key, min(first_of_key) AS first_of_key
FROM clashing
WHERE first_of_key < line
GROUP BY path, line;

CREATE OR REPLACE TEMP TABLE file_problems AS
SELECT path, line, problem.column_name, problem.value, problem.reason, problem.detail
FROM file_validated
WHERE problem IS NOT NULL
UNION ALL
SELECT c.path, c.line, $student_id_column, v.student_key, 'duplicate row',
    'same as line ' || c.first_copy
FROM file_copies AS c
JOIN file_validated AS v USING (path, line)
WHERE v.problem IS NULL
UNION ALL
SELECT path, line, $student_id_column, student_key, 'duplicate key',
    'same student, subject and year as line ' || first_of_key || ' with other values'
FROM file_clashes;

-- Every loaded record, tested or not (a student in the file without any result is not an
-- error: absent students appear in exports too).
INSERT INTO stg_assessment_records
SELECT
    path,
    line,
    $layout,
    $test,
    school_year,
    student_key,
    system_code,
    school_code,
    enrolled_grade,
    {results_count} AS results
FROM file_validated
ANTI JOIN file_problems USING (path, line);

INSERT INTO stg_assessments
SELECT
    path,
    line,
    $layout,
    $test,
    school_year,
    student_key,
    system_code,
    school_code,
    enrolled_grade,
    grade,
    subject,
    scale_score,
    level,
    level_rank,
    list_contains($proficient_labels, level),
    test_date
FROM file_results
ANTI JOIN file_problems USING (path, line);
