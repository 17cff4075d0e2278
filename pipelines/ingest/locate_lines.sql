-- From one batch scan (file_scan: csv_path, projected columns; rowid = position in the batch) and
-- DuckDB's store_rejects tables, derive per file: each record's position (file_records), the
-- lines DuckDB could not split (file_bad, one reason per line, the line's text never kept) and
-- the lines that are not parsed records (file_gaps, the input of number_lines.sql).

CREATE OR REPLACE TEMP TABLE file_offsets AS
SELECT b.path, s.csv_path, min(s.rowid) AS first_position
FROM file_scan AS s
JOIN batch_files AS b USING (csv_path)
GROUP BY ALL;

CREATE OR REPLACE TEMP VIEW file_records AS
SELECT o.path, s.rowid - o.first_position + 1 AS record, s.* EXCLUDE (csv_path)
FROM file_scan AS s
JOIN file_offsets AS o USING (csv_path);

CREATE OR REPLACE TEMP TABLE file_bad AS
SELECT DISTINCT ON (b.path, e.line)
    b.path,
    e.line,
    e.column_name,
    coalesce(
        $structural_reasons[list_position($structural_types, e.error_type)], 'unreadable line'
    ) AS reason,
    e.error_message AS detail
FROM file_reject_errors AS e
JOIN file_scans AS scan USING (scan_id, file_id)
JOIN batch_files AS b ON b.csv_path = scan.file_path
ORDER BY b.path, e.line, e.column_idx;

-- Lines that are not parsed records: bad lines and blank lines. Before the j-th of them (at
-- line n) come n - 1 - j parsed records, so a record at position k sits on line
-- k + 1 + (number of such lines with fewer than k records before them).
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
