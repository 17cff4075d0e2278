-- Records read and rejected per file of the batch just validated.
WITH parsed AS (SELECT path, count(*) AS records FROM file_rows GROUP BY path),
bad AS (SELECT path, count(*) AS lines FROM file_bad GROUP BY path),
problems AS (SELECT path, count(*) AS records FROM file_problems GROUP BY path)
SELECT
    b.path,
    coalesce(p.records, 0) + coalesce(bad.lines, 0) AS rows_read,
    coalesce(bad.lines, 0) + coalesce(pr.records, 0) AS rows_rejected
FROM batch_files AS b
LEFT JOIN parsed AS p USING (path)
LEFT JOIN bad USING (path)
LEFT JOIN problems AS pr USING (path);
