-- The typed cells and first problem of subject block {n} of an assessment record (a fragment of
-- assessments.sql's select list). {subject} is the block's canonical subject (a CASE over the
-- subject cell in long layouts), {tested} says whether the record has a result in it, and the
-- *_column placeholders are the header names of the block's cells (NULL when absent).
{subject} AS s{n}_subject,
{tested} AS s{n}_tested,
try_cast(s{n}_grade AS INTEGER) AS s{n}_grade_number,
try_cast(s{n}_score AS DOUBLE) AS s{n}_scale_score,
try_strptime(s{n}_date, $date_format)::DATE AS s{n}_test_date,
CASE
    WHEN $has_test_date THEN
        year(s{n}_test_date) + CASE WHEN month(s{n}_test_date) >= 7 THEN 1 ELSE 0 END
    ELSE admin_year
END AS s{n}_year,
list_position($level_labels, s{n}_level) AS s{n}_rank,
$range_lows[list_position($range_keys, s{n}_subject || '|' || s{n}_grade_number)] AS s{n}_low,
$range_highs[list_position($range_keys, s{n}_subject || '|' || s{n}_grade_number)] AS s{n}_high,
CASE
    WHEN NOT s{n}_tested THEN NULL
    WHEN s{n}_subject IS NULL THEN
        {'column_name': {subject_column}, 'value': s{n}_label, 'reason': 'invalid code',
         'detail': NULL}
    WHEN s{n}_score IS NULL THEN
        {'column_name': {score_column}, 'value': NULL, 'reason': 'missing required value',
         'detail': NULL}
    WHEN NOT regexp_full_match(s{n}_score, '-?[0-9]+([.][0-9]+)?') THEN
        {'column_name': {score_column}, 'value': s{n}_score, 'reason': 'not a number',
         'detail': NULL}
    WHEN s{n}_grade IS NULL THEN
        {'column_name': {grade_column}, 'value': NULL, 'reason': 'missing required value',
         'detail': NULL}
    WHEN NOT regexp_full_match(s{n}_grade, '[0-9]{1,2}') THEN
        {'column_name': {grade_column}, 'value': s{n}_grade, 'reason': 'not a number',
         'detail': NULL}
    WHEN $has_test_date AND s{n}_date IS NULL THEN
        {'column_name': {date_column}, 'value': NULL, 'reason': 'missing required value',
         'detail': NULL}
    WHEN $has_test_date AND s{n}_test_date IS NULL THEN
        {'column_name': {date_column}, 'value': s{n}_date, 'reason': 'invalid date',
         'detail': 'expected format ' || $date_format}
    WHEN s{n}_year NOT BETWEEN $first_year AND $last_year THEN
        {'column_name': coalesce({date_column}, $admin_column),
         'value': coalesce(s{n}_date, admin_raw), 'reason': 'invalid date',
         'detail': $test || ' was given in spring ' || $first_year || '-' || $last_year}
    WHEN s{n}_level IS NULL THEN
        {'column_name': {level_column}, 'value': NULL, 'reason': 'missing required value',
         'detail': NULL}
    WHEN coalesce(s{n}_rank, 0) = 0 THEN
        {'column_name': {level_column}, 'value': s{n}_level, 'reason': 'invalid code',
         'detail': 'levels are ' || array_to_string($level_labels, ', ')}
    WHEN s{n}_low IS NULL THEN
        {'column_name': {grade_column}, 'value': s{n}_grade, 'reason': 'out of range',
         'detail': s{n}_subject || ' is not tested in grade ' || s{n}_grade_number}
    WHEN s{n}_scale_score NOT BETWEEN s{n}_low AND s{n}_high THEN
        {'column_name': {score_column}, 'value': s{n}_score, 'reason': 'out of range',
         'detail': 'valid ' || s{n}_subject || ' scores in grade ' || s{n}_grade_number
            || ' run from ' || s{n}_low::INTEGER || ' to ' || s{n}_high::INTEGER}
END AS s{n}_problem
