-- A fingerprint of the loaded rosters: files checked against other rosters are checked again.
SELECT coalesce(sha256(string_agg(path || ':' || sha256, ';' ORDER BY path)), 'none')
FROM ingest_ledger
WHERE source = 'rosters' AND status = 'loaded';
