-- Enrollment and free/reduced-price lunch shares within their possible ranges.
SELECT count(*) AS failures,
    (list(school_id || ' ' || school_year || ': enrollment ' || enrollment || ', frl_share '
        || coalesce(round(frl_share, 2)::VARCHAR, 'NULL')))[1:5] AS examples
FROM marts.schools
WHERE enrollment < 0 OR frl_share NOT BETWEEN 0 AND 1;
