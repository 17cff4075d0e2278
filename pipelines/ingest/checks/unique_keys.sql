-- Keys held by more than one row of {table} ({keys}: the key columns, from code, not input).
-- Returns the number of such keys and up to 5 examples (ids are pseudonyms already).
SELECT count(*) AS failures, (list(example))[1:5] AS examples
FROM (
    SELECT concat_ws(' / ', {keys}) || ' (' || count(*) || ' rows)' AS example
    FROM {table}
    GROUP BY {keys}
    HAVING count(*) > 1
);
