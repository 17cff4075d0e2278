-- The $top most frequent reject reasons of $source (every file in the warehouse), with counts.
SELECT reason, count(*) AS rows
FROM rejects
WHERE source = $source
GROUP BY reason
ORDER BY rows DESC, reason
LIMIT $top;
