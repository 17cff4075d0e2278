-- file_rows when no line was skipped: record k (1-based) of a file is on line k + 1.
CREATE OR REPLACE TEMP VIEW file_rows AS
SELECT path, record + 1 AS line, * EXCLUDE (path, record)
FROM file_records;
