-- marts.data_quality: what happened to every raw file, for the report's appendix. One row per
-- file x outcome: 'loaded' (reason NULL) and one row per reject reason; the rows of a file add
-- up to its rows_read.
CREATE SCHEMA IF NOT EXISTS marts;

CREATE OR REPLACE TABLE marts.data_quality AS
WITH reasons AS (
    SELECT path, reason, count(*) AS rows
    FROM rejects
    GROUP BY ALL
)
SELECT
    l.source,
    l.path,
    l.layout,
    l.status,
    l.error_message,
    l.sha256,
    l.ingested_at,
    l.rows_read,
    l.rows_loaded,
    l.rows_rejected,
    l.rows_set_aside,
    'loaded' AS outcome,
    NULL::VARCHAR AS reason,
    l.rows_loaded AS rows
FROM ingest_ledger AS l
UNION ALL
SELECT
    l.source,
    l.path,
    l.layout,
    l.status,
    l.error_message,
    l.sha256,
    l.ingested_at,
    l.rows_read,
    l.rows_loaded,
    l.rows_rejected,
    l.rows_set_aside,
    'rejected',
    r.reason,
    r.rows
FROM ingest_ledger AS l
JOIN reasons AS r USING (path)
ORDER BY source, path, outcome, reason;
