-- Write one mart to a Parquet file ({table} is filled with the quoted mart name).
COPY marts.{table} TO $target (FORMAT parquet, COMPRESSION snappy);
