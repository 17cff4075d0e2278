-- file_gaps, the input of number_lines.sql: per file, the lines that are not parsed records:
-- the lines DuckDB could not split and the blank lines ($blank_paths, $blank_lines), which it
-- skips but counts. Before the j-th of them (at line n) come n - 1 - j parsed records, so a
-- record at position k sits on line k + 1 + (number of such lines with fewer than k records
-- before them).
CREATE OR REPLACE TEMP TABLE file_gaps AS
WITH skipped AS (
    SELECT path, line FROM file_bad
    UNION
    SELECT unnest($blank_paths::VARCHAR[]) AS path, unnest($blank_lines::BIGINT[]) AS line
),
numbered AS (
    SELECT path, line, row_number() OVER (PARTITION BY path ORDER BY line) AS skipped_so_far
    FROM skipped
    WHERE line > 1
)
SELECT path, line - 1 - skipped_so_far AS records_before, max(skipped_so_far) AS skipped_so_far
FROM numbered
GROUP BY ALL;
