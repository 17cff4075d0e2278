-- One view of analyst.duckdb: the published Parquet file of a mart, read at query time
-- ({view} and {parquet} are filled with the quoted mart name and absolute file path).
CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet({parquet});
