-- data_quality accounts for every record of every file: its rows add up to rows_read.
SELECT count(*) AS failures, (list(path || ': ' || total || ' of ' || rows_read))[1:5] AS examples
FROM (
    SELECT path, any_value(rows_read) AS rows_read, sum(rows) AS total
    FROM marts.data_quality
    GROUP BY path
)
WHERE total <> rows_read;
