-- Files of the batch just read with cells that are not valid UTF-8 (DuckDB checks every cell it
-- reads): they are read again as Windows-1252.
SELECT DISTINCT path FROM file_bad WHERE reason = 'invalid encoding';
