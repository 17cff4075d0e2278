-- For every school-year with logged minutes, the activity-type shares and the record-type
-- shares each add up to 1, and minutes per teacher is positive when teachers were reached.
SELECT count(*) AS failures,
    (list(school_id || ' in ' || school_year || ': activity shares ' || round(activity, 4)
        || ', record shares ' || round(record, 4)))[1:5] AS examples
FROM (
    SELECT
        school_id,
        school_year,
        minutes_per_teacher,
        teachers_reached,
        list_sum([*COLUMNS('^share_activity_')]) AS activity,
        list_sum([*COLUMNS('^share_record_')]) AS record
    FROM marts.partnering_dose
    WHERE minutes > 0
)
WHERE abs(activity - 1) > 1e-9
    OR abs(record - 1) > 1e-9
    OR (teachers_reached > 0 AND NOT minutes_per_teacher > 0);
