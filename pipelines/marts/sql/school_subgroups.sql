-- marts.school_subgroups: one row per school x subject x year x subgroup with students tested:
-- the outcome panels of the subgroup estimates. A dimension (prior_achievement,
-- economically_disadvantaged, english_learner, disability, gender, race_ethnicity, grade_band)
-- splits a school-year's tested students into subgroups; students whose flag is unknown are in
-- no subgroup of that dimension. n_tested and mean_z as in school_panel (students weighted
-- equally). Student counts can be small: the published estimates suppress cells under 10.
-- prior_achievement: the tercile of the student's own previous score in the subject (the latest
-- z of the two springs before the year), frozen at the program's start: from the first
-- cohort's year on, the latest score of the two springs before that year. A score the program
-- may already have raised would select who is "low" by the program's own effect. Cut points
-- are the 1/3 and 2/3 quantiles among the year's tested students with a prior score
-- (statewide, per subject); a score on a cut point goes to the lower third.
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.school_subgroups AS
WITH program_start AS (
    SELECT coalesce(min(cohort) FILTER (WHERE cohort > 0), 9999) AS first_cohort
    FROM marts.treatment
),
scores AS (
    SELECT s.student_key, s.subject, s.school_year, s.z,
        least(s.school_year, p.first_cohort) AS reference_year
    FROM marts.student_scores AS s, program_start AS p
    WHERE s.z IS NOT NULL
),
prior AS (
    SELECT s.student_key, s.subject, s.school_year, arg_max(e.z, e.school_year) AS prior_z
    FROM scores AS s
    JOIN scores AS e
        ON e.student_key = s.student_key
        AND e.subject = s.subject
        AND e.school_year < s.reference_year
        AND e.school_year >= s.reference_year - 2
    GROUP BY ALL
),
cuts AS (
    SELECT
        subject,
        school_year,
        quantile_cont(prior_z, 1 / 3) AS low_cut,
        quantile_cont(prior_z, 2 / 3) AS high_cut
    FROM prior
    GROUP BY ALL
),
terciles AS (
    SELECT
        p.student_key,
        p.subject,
        p.school_year,
        CASE
            WHEN p.prior_z <= k.low_cut THEN 'lowest third'
            WHEN p.prior_z <= k.high_cut THEN 'middle third'
            ELSE 'highest third'
        END AS prior_tercile
    FROM prior AS p
    JOIN cuts AS k USING (subject, school_year)
),
labelled AS (
    SELECT
        school_id,
        subject,
        school_year,
        z,
        t.prior_tercile AS prior_achievement,
        CASE economically_disadvantaged WHEN TRUE THEN 'yes' WHEN FALSE THEN 'no' END
            AS economically_disadvantaged,
        CASE english_learner WHEN TRUE THEN 'yes' WHEN FALSE THEN 'no' END AS english_learner,
        CASE disability WHEN TRUE THEN 'yes' WHEN FALSE THEN 'no' END AS disability,
        gender,
        race_ethnicity,
        CASE WHEN grade <= 5 THEN 'grades 3-5' ELSE 'grades 6-8' END AS grade_band
    FROM marts.student_scores
    LEFT JOIN terciles AS t USING (student_key, subject, school_year)
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
