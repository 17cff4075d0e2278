-- school_outcomes and school_panel count every student score exactly once.
WITH counts AS (
    SELECT
        (SELECT count(*) FROM marts.student_scores) AS scores,
        (SELECT coalesce(sum(n_tested), 0) FROM marts.school_outcomes) AS in_outcomes,
        (SELECT coalesce(sum(n_tested), 0) FROM marts.school_panel) AS in_panel
)
SELECT
    (scores <> in_outcomes)::INTEGER + (scores <> in_panel)::INTEGER AS failures,
    ['student scores: ' || scores || ', school_outcomes: ' || in_outcomes
        || ', school_panel: ' || in_panel] AS examples
FROM counts;
