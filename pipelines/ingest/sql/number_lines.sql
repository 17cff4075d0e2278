-- file_rows: the parsed records with their line numbers (see locate_lines.sql for the formula).
-- Used only when some lines were skipped; otherwise record k is simply on line k + 1.
CREATE OR REPLACE TEMP TABLE file_numbered_rows AS
SELECT r.path, r.record + 1 + coalesce(g.skipped_so_far, 0) AS line, r.* EXCLUDE (path, record)
FROM file_records AS r
ASOF LEFT JOIN file_gaps AS g ON r.path = g.path AND r.record > g.records_before;

CREATE OR REPLACE TEMP VIEW file_rows AS SELECT * FROM file_numbered_rows;
