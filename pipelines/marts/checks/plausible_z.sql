-- Standardized scores beyond 6 SD are implausible for a state test (a scale or unit problem).
SELECT count(*) AS failures,
    (list(test || ' ' || subject || ' grade ' || grade || ' ' || school_year || ': z = '
        || round(z, 2)))[1:5] AS examples
FROM marts.student_scores
WHERE abs(z) > 6;
