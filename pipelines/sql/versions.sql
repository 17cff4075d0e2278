-- What each asset was last built from, and the outcome of its checks then: when an asset's
-- inputs and code are unchanged, the next run reuses both instead of recomputing them.
CREATE TABLE IF NOT EXISTS asset_versions (
    asset VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    built_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS check_outcomes (
    asset VARCHAR NOT NULL,
    check_name VARCHAR NOT NULL,
    passed BOOLEAN NOT NULL,
    failures BIGINT NOT NULL,
    examples VARCHAR
);
