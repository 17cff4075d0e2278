-- School codes staged from {table} that the roster of that year ({year_expression}) does not
-- list. The ingest rejects them; this catches rosters changing under already-loaded files.
SELECT count(*) AS failures, (list(example))[1:5] AS examples
FROM (
    SELECT DISTINCT s.system_code || '-' || s.school_code || ' in ' || ({year_expression})
        AS example
    FROM {table} AS s
    ANTI JOIN stg_rosters AS r
        ON r.school_year = ({year_expression})
        AND r.system_code = s.system_code
        AND r.school_code = s.school_code
        AND NOT r.is_system_total
);
