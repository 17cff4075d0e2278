-- The version $asset was last built from, with the outcomes of its checks then.
SELECT v.version, o.check_name, o.passed, o.failures, o.examples
FROM asset_versions AS v
LEFT JOIN check_outcomes AS o USING (asset)
WHERE v.asset = $asset;
