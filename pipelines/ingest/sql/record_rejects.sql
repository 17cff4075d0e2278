-- The batch's rejects: lines DuckDB could not split (their text is never copied) and records
-- that failed validation (file_problems, one row each, ids already pseudonymized).
INSERT INTO rejects
SELECT path, $source, line, column_name, NULL, reason, detail
FROM file_bad
UNION ALL
SELECT path, $source, line, column_name, value, reason, detail
FROM file_problems;
