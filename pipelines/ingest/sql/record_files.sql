-- Ledger rows of files handled together (forget_files.sql removed any earlier ones). Each
-- parameter is a list with one entry per file, in the same order.
INSERT INTO ingest_ledger (
    path, source, sha256, bytes, encoding, delimiter, layout, rows_read, rows_loaded,
    rows_rejected, status, error_message, rows_set_aside, context_version, ingested_at,
    seconds
)
SELECT
    unnest($paths::VARCHAR[]),
    $source,
    unnest($sha256s::VARCHAR[]),
    unnest($sizes::BIGINT[]),
    unnest($encodings::VARCHAR[]),
    unnest($delimiters::VARCHAR[]),
    unnest($layouts::VARCHAR[]),
    unnest($rows_read::BIGINT[]),
    unnest($rows_loaded::BIGINT[]),
    unnest($rows_rejected::BIGINT[]),
    unnest($statuses::VARCHAR[]),
    unnest($error_messages::VARCHAR[]),
    unnest($rows_set_aside::BIGINT[]),
    $context_version,
    $ingested_at,
    unnest($seconds::DOUBLE[]);

-- Remember the files that loaded; forget those taken out of the raw folder on purpose.
DELETE FROM ingest_history
WHERE path IN (SELECT unnest($paths::VARCHAR[])) AND path IN (
    SELECT path FROM ingest_ledger WHERE status IN ('removed', 'quarantined')
);
INSERT INTO ingest_history
SELECT path, source, $ingested_at
FROM ingest_ledger
WHERE path IN (SELECT unnest($paths::VARCHAR[])) AND status = 'loaded'
    AND path NOT IN (SELECT path FROM ingest_history);
