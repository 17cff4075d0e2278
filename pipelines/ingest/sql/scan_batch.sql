-- Parse the batch's files ($csv_paths, same header) into file_scan: every cell as text, columns
-- named from the header ($columns, never sniffed), lines that cannot be split kept aside by
-- store_rejects. The select_list placeholder holds the projections from the layout.
-- Row order must survive the scan, files in the order given, so that a row's rowid in
-- file_scan is its position in the batch (locate_lines.sql turns it into a line); the rest of
-- the pipeline runs without that constraint, which costs parallelism.
SET preserve_insertion_order = true;

CREATE OR REPLACE TEMP TABLE file_scan AS
SELECT
    filename AS csv_path,
    {select_list}
FROM read_csv(
    $csv_paths, columns = $columns, header = true, auto_detect = false,
    delim = $delimiter, quote = '"', escape = '"', strict_mode = true,
    filename = true, store_rejects = true, rejects_table = 'file_reject_errors',
    rejects_scan = 'file_scans', max_line_size = 16777216
);

SET preserve_insertion_order = false;
