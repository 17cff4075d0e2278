-- Logged partnering at schools, or in years, the program list does not cover.
SELECT count(*) AS failures,
    (list(school_id || ' in ' || school_year || ' (' || contacts || ' contacts)'
        ORDER BY school_id, school_year))[1:5] AS examples
FROM marts.partnering_dose
WHERE NOT partnered AND contacts > 0;
