-- School means beyond 3 SD, shares outside [0, 1], or cells without students are implausible.
SELECT count(*) AS failures,
    (list(school_id || ' ' || subject || ' ' || school_year || ': mean_z ' || round(mean_z, 2)
        || ', frl_share ' || coalesce(round(frl_share, 2)::VARCHAR, 'NULL') || ', n '
        || n_tested))[1:5] AS examples
FROM marts.school_panel
WHERE abs(mean_z) > 3 OR frl_share NOT BETWEEN 0 AND 1 OR n_tested < 1;
