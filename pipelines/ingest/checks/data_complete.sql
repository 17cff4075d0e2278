-- Rows of $source that would vanish from the marts without a word (blocking): a file that loaded
-- before and can no longer be loaded (its rows were taken out), a roster file that fails (every
-- row of that year would then be "unknown school"), and a file most of whose records were
-- rejected for a reason that points to the whole file ($file_level_reasons: a roster year
-- missing, codes that lost their leading zeros, ids turned into numbers, a column left empty).
-- The evaluator who accepts the loss moves the file to the quarantine folder.
WITH reason_counts AS (
    SELECT path, sum(rows) AS rows, string_agg(reason || ' ' || rows, ', ' ORDER BY rows DESC, reason)
        AS reasons
    FROM (
        SELECT path, reason, count(*) AS rows
        FROM rejects
        WHERE source = $source AND list_contains($file_level_reasons, reason)
        GROUP BY ALL
    )
    GROUP BY path
),
lost AS (
    SELECT
        path,
        'loaded before, now it cannot be loaded (' || error_message || '); its rows were taken '
        || 'out: fix the file, or move it to the quarantine folder' AS why
    FROM ingest_ledger
    WHERE source = $source AND status = 'failed'
        AND path IN (SELECT path FROM ingest_history)
    UNION ALL
    SELECT
        path,
        'a roster file failed (' || error_message || '): that year''s schools, assessments and '
        || 'activity would be missing; fix the file, or move it to the quarantine folder'
    FROM ingest_ledger
    WHERE source = $source AND $source = 'rosters' AND status = 'failed'
        AND path NOT IN (SELECT path FROM ingest_history)
    UNION ALL
    SELECT
        l.path,
        r.rows || ' of ' || l.rows_read || ' rows rejected for a cause of the whole file ('
        || r.reasons || '): see its rejects; fix the file, or move it to the quarantine folder'
    FROM ingest_ledger AS l
    JOIN reason_counts AS r USING (path)
    WHERE l.source = $source AND l.status = 'loaded' AND 2 * r.rows > l.rows_read
)
SELECT count(*) AS failures, (list(path || ': ' || why ORDER BY path))[1:5] AS examples
FROM lost;
