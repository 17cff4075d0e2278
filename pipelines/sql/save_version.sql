-- Remember that $asset was built from $version, with these check outcomes (lists, one entry
-- per check).
DELETE FROM asset_versions WHERE asset = $asset;
DELETE FROM check_outcomes WHERE asset = $asset;
INSERT INTO asset_versions VALUES ($asset, $version, $built_at);
INSERT INTO check_outcomes
SELECT
    $asset,
    unnest($check_names::VARCHAR[]),
    unnest($passed::BOOLEAN[]),
    unnest($failures::BIGINT[]),
    unnest($examples::VARCHAR[]);
