-- The files of the batch being read: the file DuckDB parses (the raw file or its UTF-8 copy)
-- and the path the ledger knows it by.
CREATE OR REPLACE TEMP TABLE batch_files AS
SELECT unnest($csv_paths::VARCHAR[]) AS csv_path, unnest($paths::VARCHAR[]) AS path;
