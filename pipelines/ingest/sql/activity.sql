-- Validate and stage a batch of activity files (partnering logs, one row per contact).
-- Input: file_checked = file_rows + generic_problem. Output: stg_activity rows, file_problems.
-- The contact's school must be in the roster of the contact's school year (July to June).
-- Teacher ids are pseudonymized; notes stay in the warehouse only.

CREATE OR REPLACE TEMP TABLE file_validated AS
WITH typed AS (
    SELECT
        *,
        try_strptime(contact_date, $date_format)::DATE AS contact_day,
        year(contact_day) + CASE WHEN month(contact_day) >= 7 THEN 1 ELSE 0 END AS spring_year
    FROM file_checked
)
SELECT
    t.*,
    coalesce(t.generic_problem, CASE
        WHEN regexp_full_match(t.system_code, '[0-9]{1,2}') THEN
            {'column_name': 'system_code', 'value': t.system_code, 'reason': 'lost leading zeros',
             'detail': 'system codes have 3 digits: a spreadsheet dropped the leading zeros; save the column as text and export again'}
        WHEN regexp_full_match(t.school_code, '[0-9]{1,3}') THEN
            {'column_name': 'school_code', 'value': t.school_code, 'reason': 'lost leading zeros',
             'detail': 'school codes have 4 digits: a spreadsheet dropped the leading zeros; save the column as text and export again'}
        WHEN NOT regexp_full_match(t.system_code, '[0-9]{3}') THEN
            {'column_name': 'system_code', 'value': t.system_code, 'reason': 'invalid code',
             'detail': 'system codes have 3 digits'}
        WHEN NOT regexp_full_match(t.school_code, '[0-9]{4}') THEN
            {'column_name': 'school_code', 'value': t.school_code, 'reason': 'invalid code',
             'detail': 'school codes have 4 digits'}
        WHEN t.spring_year NOT BETWEEN 2000 AND 2100 THEN
            {'column_name': 'contact_date', 'value': t.contact_date, 'reason': 'invalid date',
             'detail': 'outside the years 2000-2100'}
        WHEN try_cast(t.minutes AS INTEGER) NOT BETWEEN 1 AND 480 THEN
            {'column_name': 'minutes', 'value': t.minutes, 'reason': 'out of range',
             'detail': 'a contact lasts 1 to 480 minutes (at most a school day)'}
        WHEN try_cast(t.teacher_count AS INTEGER) NOT BETWEEN 0 AND 200 THEN
            {'column_name': 'teacher_count', 'value': t.teacher_count, 'reason': 'out of range',
             'detail': 'a contact reaches 0 to 200 teachers'}
        WHEN r.school_code IS NULL THEN
            {'column_name': 'school_code', 'value': t.school_code, 'reason': 'unknown school',
             'detail': 'not in the ' || t.spring_year || ' roster'}
    END) AS problem
FROM typed AS t
LEFT JOIN roster_schools AS r
    ON r.school_year = t.spring_year
    AND r.system_code = t.system_code
    AND r.school_code = t.school_code;

CREATE OR REPLACE TEMP TABLE file_problems AS
WITH ranked AS (
    SELECT
        path,
        line,
        log_id,
        first_value(line) OVER (
            PARTITION BY path, log_id, contact_date, partner_id, system_code, school_code,
                record_type, activity_type, focus_area, minutes, teacher_count, teacher_ids,
                notes
            ORDER BY line
        ) AS first_copy,
        first_value(line) OVER (PARTITION BY path, log_id ORDER BY line) AS first_of_key
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
    'log_id',
    log_id,
    CASE WHEN first_copy < line THEN 'duplicate row' ELSE 'duplicate key' END,
    CASE
        WHEN first_copy < line THEN 'same as line ' || first_copy
        ELSE 'same log id as line ' || first_of_key || ' with other values'
    END
FROM ranked
WHERE first_of_key < line;

INSERT INTO stg_activity
SELECT
    path,
    line,
    log_id,
    contact_day,
    spring_year,
    partner_id,
    system_code,
    school_code,
    record_type,
    activity_type,
    focus_area,
    minutes::INTEGER,
    teacher_count::INTEGER,
    coalesce(teachers.teacher_keys, []),
    notes
FROM file_validated
LEFT JOIN (
    -- pseudonym() reads the key through a subquery, which lambdas cannot hold: unnest instead.
    SELECT path, line, list(pseudonym(teacher) ORDER BY teacher) AS teacher_keys
    FROM (
        SELECT path, line, trim(unnest(string_split(teacher_ids, ';'))) AS teacher
        FROM file_validated
        WHERE teacher_ids IS NOT NULL
    )
    WHERE teacher <> ''
    GROUP BY path, line
) AS teachers USING (path, line)
ANTI JOIN file_problems USING (path, line)
WHERE problem IS NULL;
