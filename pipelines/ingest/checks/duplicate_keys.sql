-- Keys held by more than one staged row of {table} ({keys}: the key columns, from code, not input).
-- Rows are first grouped by a hash of the key (cheap); only rows sharing a hash are compared in
-- full. Returns the number of repeated keys and up to 5 examples, one per set of files sharing
-- keys (most keys first), naming the files and the lines of one repeated key: a file copied
-- twice under two names shows as its two names.
WITH hashed AS (
    SELECT {keys}, path, line, hash({keys}) AS key_hash FROM {table}
),
candidates AS (
    SELECT *
    FROM hashed
    SEMI JOIN (SELECT key_hash FROM hashed GROUP BY key_hash HAVING count(*) > 1) USING (key_hash)
),
repeated AS (
    SELECT
        list(DISTINCT path ORDER BY path) AS files,
        string_agg(path || ' line ' || line, ' and ' ORDER BY path, line) AS places
    FROM candidates
    GROUP BY {keys}
    HAVING count(*) > 1
),
by_files AS (
    SELECT
        count(*) AS keys,
        array_to_string(files, ' and ') || ': ' || count(*) || ' repeated key(s), e.g. '
        || min(places) AS example
    FROM repeated
    GROUP BY files
)
SELECT
    (SELECT count(*) FROM repeated) AS failures,
    (list(example ORDER BY keys DESC, example))[1:5] AS examples
FROM by_files;
