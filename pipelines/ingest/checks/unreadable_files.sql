-- Files of $source that could not be read (an I/O error, not a data problem): publishing
-- without them would silently drop their rows, so this check blocks the run until each file is
-- readable again or removed from the raw folder.
SELECT count(*) AS failures, (list(path || ': ' || error_message ORDER BY path))[1:5] AS examples
FROM ingest_ledger
WHERE source = $source AND status = 'failed' AND starts_with(error_message, $unreadable);
