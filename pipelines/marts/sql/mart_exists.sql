-- Whether the warehouse holds marts.$name.
SELECT count(*) > 0 FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = $name;
