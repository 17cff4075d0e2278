-- Keys held by more than one row of {table} ({keys}: the key columns, from code, not input).
-- Rows are first grouped by a hash of the key (cheap); only rows sharing a hash are compared in
-- full. Returns the number of repeated keys and up to 5 examples (ids are pseudonyms already).
WITH hashed AS (
    SELECT {keys}, hash({keys}) AS key_hash FROM {table}
),
candidates AS (
    SELECT *
    FROM hashed
    SEMI JOIN (SELECT key_hash FROM hashed GROUP BY key_hash HAVING count(*) > 1) USING (key_hash)
)
SELECT count(*) AS failures, (list(example))[1:5] AS examples
FROM (
    SELECT concat_ws(' / ', {keys}) || ' (' || count(*) || ' rows)' AS example
    FROM candidates
    GROUP BY {keys}
    HAVING count(*) > 1
);
