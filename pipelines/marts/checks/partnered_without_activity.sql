-- Partnered school-years (within the years the activity logs cover) with no logged contact.
WITH covered AS (
    SELECT min(school_year) AS first_year, max(school_year) AS last_year FROM stg_activity
)
SELECT count(*) AS failures,
    (list(d.school_id || ' in ' || d.school_year ORDER BY d.school_id, d.school_year))[1:5]
        AS examples
FROM marts.partnering_dose AS d, covered AS c
WHERE d.partnered AND d.contacts = 0 AND d.school_year BETWEEN c.first_year AND c.last_year;
