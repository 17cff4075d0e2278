-- marts.school_subgroups: one row per school x subject x year x subgroup with students tested:
-- the outcome panels of the subgroup estimates. A dimension (prior_achievement,
-- economically_disadvantaged, english_learner, disability, gender, race_ethnicity, grade_band,
-- school_level) splits a school-year's tested students into subgroups; students whose flag is
-- unknown are in no subgroup of that dimension. n_tested and mean_z as in school_panel (students weighted
-- equally). Student counts can be small: the published estimates suppress cells under 10.
-- prior_achievement: the tercile of the student's own previous score in the subject (the latest
-- z of the two springs before the year), frozen at the program's start: from the first
-- cohort's year on, the latest score of the two springs before that year. A score the program
-- may already have raised would select who is "low" by the program's own effect. Cut points
-- are the 1/3 and 2/3 quantiles among the year's tested students with a prior score
-- (statewide, per subject); a score on a cut point goes to the lower third.
-- school_level: the CCD level of the student's school that year in the roster (marts.schools):
-- 'elementary', 'middle', or 'other' for the K-8 and other spans (CCD Other, and High: a
-- secondary school's tested grades 7-8). All of a school-year's students share it (the rosters
-- require a level, and a student of a school missing from that year's roster is rejected).
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.school_subgroups AS
WITH program_start AS (
    SELECT coalesce(min(cohort) FILTER (WHERE cohort > 0), 9999) AS first_cohort
    FROM marts.treatment
),
-- One sort by student and subject gives both priors: the latest score of the two springs
-- before the year, and the latest of the two springs before the program's start.
priors AS (
    SELECT
        s.school_id,
        s.subject,
        s.school_year,
        s.z,
        s.grade,
        s.gender,
        s.race_ethnicity,
        s.economically_disadvantaged,
        s.english_learner,
        s.disability,
        CASE
            WHEN s.school_year <= p.first_cohort THEN
                CASE WHEN lag(s.school_year) OVER previous >= s.school_year - 2
                    THEN lag(s.z) OVER previous END
            ELSE arg_max(s.z, s.school_year) FILTER (
                WHERE s.school_year BETWEEN p.first_cohort - 2 AND p.first_cohort - 1
            ) OVER whole
        END AS prior_z
    FROM marts.student_scores AS s, program_start AS p
    WHERE s.z IS NOT NULL
    WINDOW
        -- A 64-bit hash of the pseudonym sorts much faster than the text (no collisions in
        -- practice among a state's students).
        previous AS (PARTITION BY hash(s.student_key), s.subject ORDER BY s.school_year),
        whole AS (PARTITION BY hash(s.student_key), s.subject)
),
cuts AS (
    SELECT
        subject,
        school_year,
        quantile_cont(prior_z, 1 / 3) AS low_cut,
        quantile_cont(prior_z, 2 / 3) AS high_cut
    FROM priors
    WHERE prior_z IS NOT NULL
    GROUP BY ALL
),
labelled AS (
    SELECT
        p.school_id,
        p.subject,
        p.school_year,
        p.z,
        CASE
            WHEN p.prior_z IS NULL THEN NULL
            WHEN p.prior_z <= k.low_cut THEN 'lowest third'
            WHEN p.prior_z <= k.high_cut THEN 'middle third'
            ELSE 'highest third'
        END AS prior_achievement,
        CASE p.economically_disadvantaged WHEN TRUE THEN 'yes' WHEN FALSE THEN 'no' END
            AS economically_disadvantaged,
        CASE p.english_learner WHEN TRUE THEN 'yes' WHEN FALSE THEN 'no' END AS english_learner,
        CASE p.disability WHEN TRUE THEN 'yes' WHEN FALSE THEN 'no' END AS disability,
        p.gender,
        p.race_ethnicity,
        CASE WHEN p.grade <= 5 THEN 'grades 3-5' ELSE 'grades 6-8' END AS grade_band,
        CASE c.level
            WHEN 'Elementary' THEN 'elementary'
            WHEN 'Middle' THEN 'middle'
            WHEN 'Other' THEN 'other'
            WHEN 'High' THEN 'other'
        END AS school_level
    FROM priors AS p
    LEFT JOIN cuts AS k USING (subject, school_year)
    LEFT JOIN marts.schools AS c USING (school_id, school_year)
),
-- Scores with the same labels in a school-year first (far fewer rows), then one pass with
-- grouping sets rather than unpivoting every score eight times.
cells AS (
    SELECT
        school_id,
        subject,
        school_year,
        prior_achievement,
        economically_disadvantaged,
        english_learner,
        disability,
        gender,
        race_ethnicity,
        grade_band,
        school_level,
        count(*) AS n,
        sum(z) AS z_sum
    FROM labelled
    GROUP BY ALL
),
grouped AS (
    SELECT
        school_id,
        subject,
        school_year,
        prior_achievement,
        economically_disadvantaged,
        english_learner,
        disability,
        gender,
        race_ethnicity,
        grade_band,
        school_level,
        GROUPING(prior_achievement, economically_disadvantaged, english_learner, disability,
            gender, race_ethnicity, grade_band, school_level) AS unused,
        sum(n) AS n_tested,
        sum(z_sum) / sum(n) AS mean_z
    FROM cells
    GROUP BY GROUPING SETS (
        (school_id, subject, school_year, prior_achievement),
        (school_id, subject, school_year, economically_disadvantaged),
        (school_id, subject, school_year, english_learner),
        (school_id, subject, school_year, disability),
        (school_id, subject, school_year, gender),
        (school_id, subject, school_year, race_ethnicity),
        (school_id, subject, school_year, grade_band),
        (school_id, subject, school_year, school_level)
    )
),
long AS (
    SELECT
        school_id,
        subject,
        school_year,
        -- GROUPING's bits, highest first: the dimension grouped on is the one bit not set.
        CASE unused
            WHEN 127 THEN 'prior_achievement'
            WHEN 191 THEN 'economically_disadvantaged'
            WHEN 223 THEN 'english_learner'
            WHEN 239 THEN 'disability'
            WHEN 247 THEN 'gender'
            WHEN 251 THEN 'race_ethnicity'
            WHEN 253 THEN 'grade_band'
            WHEN 254 THEN 'school_level'
        END AS dimension,
        coalesce(prior_achievement, economically_disadvantaged, english_learner, disability,
            gender, race_ethnicity, grade_band, school_level) AS subgroup,
        n_tested,
        mean_z
    FROM grouped
)
SELECT school_id, subject, school_year, dimension, subgroup, n_tested::BIGINT AS n_tested, mean_z
FROM long
WHERE subgroup IS NOT NULL
ORDER BY school_id, subject, dimension, subgroup, school_year;
