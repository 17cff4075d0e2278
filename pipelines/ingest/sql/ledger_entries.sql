-- What the ledger knows about the files of one source.
SELECT path, sha256, status, context_version
FROM ingest_ledger
WHERE source = $source;
