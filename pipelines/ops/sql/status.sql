-- What the last published data_quality mart says, per raw folder ($path: its Parquet file).
WITH files AS (
    SELECT DISTINCT source, path, status, rows_read, rows_loaded, rows_rejected, ingested_at
    FROM read_parquet($path)
)
SELECT
    source,
    count(*) FILTER (WHERE status = 'loaded') AS loaded,
    count(*) FILTER (WHERE status = 'failed') AS failed,
    count(*) FILTER (WHERE status = 'removed') AS removed,
    count(*) FILTER (WHERE status = 'quarantined') AS quarantined,
    coalesce(sum(rows_read), 0) AS rows_read,
    coalesce(sum(rows_loaded), 0) AS rows_loaded,
    coalesce(sum(rows_rejected), 0) AS rows_rejected,
    max(ingested_at) AS last_ingested
FROM files
GROUP BY source
ORDER BY source;
