-- A fingerprint of what is staged from the sources in $sources: every file's content, status
-- and validation context.
SELECT sha256(coalesce(
    string_agg(concat_ws('|', path, sha256, status, context_version), ';' ORDER BY path), ''
))
FROM ingest_ledger
WHERE list_contains($sources::VARCHAR[], source);
