-- Every record of every file of $source is either loaded or rejected, exactly once:
-- rows_read = rows_loaded + rows_rejected in the ledger, rows_rejected = its rows in rejects,
-- rows_loaded = distinct lines staged from it; and nothing is staged from a file the ledger does
-- not list as loaded.
WITH staged AS (
    SELECT path, count(DISTINCT line) AS lines FROM {staging_table} GROUP BY path
),
rejected AS (
    SELECT path, count(*) AS lines FROM rejects WHERE source = $source GROUP BY path
),
ledger AS (
    SELECT * FROM ingest_ledger WHERE source = $source
),
mismatches AS (
    SELECT
        coalesce(l.path, s.path, r.path) AS path,
        l.status,
        l.rows_read,
        l.rows_loaded,
        l.rows_rejected,
        coalesce(s.lines, 0) AS staged,
        coalesce(r.lines, 0) AS in_rejects
    FROM ledger AS l
    FULL JOIN staged AS s USING (path)
    FULL JOIN rejected AS r USING (path)
    WHERE l.path IS NULL
        OR l.rows_read <> l.rows_loaded + l.rows_rejected
        OR l.rows_loaded <> coalesce(s.lines, 0)
        OR l.rows_rejected <> coalesce(r.lines, 0)
        OR (l.status <> 'loaded' AND coalesce(s.lines, 0) + coalesce(r.lines, 0) > 0)
)
SELECT
    count(*) AS failures,
    (list(
        path || ': read ' || coalesce(rows_read::VARCHAR, '?') || ', loaded '
        || coalesce(rows_loaded::VARCHAR, '?') || ' (staged ' || staged || '), rejected '
        || coalesce(rows_rejected::VARCHAR, '?') || ' (in rejects ' || in_rejects || ')'
    ))[1:5] AS examples
FROM mismatches;
