-- Files of $source that could not be read at all (they stop alone; the run goes on).
SELECT count(*) AS failures, (list(path || ': ' || error_message ORDER BY path))[1:5] AS examples
FROM ingest_ledger
WHERE source = $source AND status = 'failed';
