-- Copy one estimate frame (registered as `frame`) into marts.{table}, the schema the marts'
-- publisher exports from ({table} is filled with the quoted table name).
CREATE SCHEMA IF NOT EXISTS marts;
CREATE OR REPLACE TABLE marts.{table} AS SELECT * FROM frame;
