-- Cohorts are 0 (never partnered) or a spring year, and a last year never precedes the cohort.
SELECT count(*) AS failures,
    (list(school_id || ': cohort ' || cohort || ', last_year '
        || coalesce(last_year::VARCHAR, 'NULL')))[1:5] AS examples
FROM marts.treatment
WHERE NOT (cohort = 0 OR cohort BETWEEN 2000 AND 2100)
    OR last_year < cohort
    OR (cohort = 0 AND last_year IS NOT NULL);
