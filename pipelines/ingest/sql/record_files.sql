-- Ledger rows of files handled together (forget_files.sql removed any earlier ones). Each
-- parameter is a list with one entry per file, in the same order.
INSERT INTO ingest_ledger (
    path, source, sha256, bytes, encoding, delimiter, layout, rows_read, rows_loaded,
    rows_rejected, status, error_message, context_version, ingested_at, seconds
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
    $context_version,
    $ingested_at,
    unnest($seconds::DOUBLE[]);
