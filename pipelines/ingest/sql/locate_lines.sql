-- From one batch scan (file_scan: csv_path, projected columns; rowid = position in the batch) and
-- DuckDB's store_rejects tables, derive per file: each record's position (file_records), the
-- lines DuckDB could not split (file_bad, one reason per line, the line's text never kept) and
-- how many records and bad lines it has (file_counts).

CREATE OR REPLACE TEMP TABLE file_offsets AS
SELECT b.path, s.csv_path, min(s.rowid) AS first_position, count(*) AS records
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

CREATE OR REPLACE TEMP TABLE file_counts AS
SELECT
    b.path,
    coalesce(o.records, 0) AS records,
    (SELECT count(*) FROM file_bad AS bad WHERE bad.path = b.path) AS bad_lines
FROM batch_files AS b
LEFT JOIN file_offsets AS o USING (path);
