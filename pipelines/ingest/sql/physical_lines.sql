-- Move line numbers to physical lines in files where a quoted value holds line breaks: from
-- DuckDB's line $shift_lines[i] of $shift_paths[i] on, the physical line is $shift_offsets[i]
-- further down (see reader.line_places). Applies to file_rows and file_bad.
CREATE OR REPLACE TEMP TABLE file_line_shifts AS
SELECT
    unnest($shift_paths::VARCHAR[]) AS path,
    unnest($shift_lines::BIGINT[]) AS line,
    unnest($shift_offsets::BIGINT[]) AS line_offset;

CREATE OR REPLACE TEMP TABLE file_physical_rows AS
SELECT r.path, r.line + coalesce(s.line_offset, 0) AS line, r.* EXCLUDE (path, line)
FROM file_rows AS r
ASOF LEFT JOIN file_line_shifts AS s ON r.path = s.path AND r.line >= s.line;

CREATE OR REPLACE TEMP VIEW file_rows AS SELECT * FROM file_physical_rows;

CREATE OR REPLACE TEMP TABLE file_bad_physical AS
SELECT b.path, b.line + coalesce(s.line_offset, 0) AS line, b.* EXCLUDE (path, line)
FROM file_bad AS b
ASOF LEFT JOIN file_line_shifts AS s ON b.path = s.path AND b.line >= s.line;

DROP TABLE file_bad;
ALTER TABLE file_bad_physical RENAME TO file_bad;
