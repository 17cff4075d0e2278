-- marts.school_subgroups: one row per school x subject x year x subgroup with students tested:
-- the outcome panels of the subgroup estimates. A dimension (prior_achievement,
-- economically_disadvantaged, english_learner, disability, gender, race_ethnicity, grade_band)
-- splits a school-year's tested students into subgroups; students whose flag is unknown are in
-- no subgroup of that dimension. n_tested and mean_z as in school_panel (students weighted
-- equally). Student counts can be small: the published estimates suppress cells under 10.
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.school_subgroups AS
WITH labelled AS (
    SELECT
        school_id,
        subject,
        school_year,
        z,
        prior_tercile AS prior_achievement,
        CASE economically_disadvantaged WHEN TRUE THEN 'yes' WHEN FALSE THEN 'no' END
            AS economically_disadvantaged,
        CASE english_learner WHEN TRUE THEN 'yes' WHEN FALSE THEN 'no' END AS english_learner,
        CASE disability WHEN TRUE THEN 'yes' WHEN FALSE THEN 'no' END AS disability,
        gender,
        race_ethnicity,
        CASE WHEN grade <= 5 THEN 'grades 3-5' ELSE 'grades 6-8' END AS grade_band
    FROM marts.student_scores
    WHERE z IS NOT NULL
),
long AS (
    UNPIVOT labelled
    ON prior_achievement, economically_disadvantaged, english_learner, disability, gender,
        race_ethnicity, grade_band
    INTO NAME dimension VALUE subgroup
)
SELECT
    school_id,
    subject,
    school_year,
    dimension,
    subgroup,
    count(*) AS n_tested,
    avg(z) AS mean_z
FROM long
GROUP BY ALL
ORDER BY school_id, subject, dimension, subgroup, school_year;
