-- The version of schema.sql this warehouse was built with ($version: its fingerprint).
CREATE TABLE IF NOT EXISTS warehouse_schema (version VARCHAR NOT NULL);
SELECT version FROM warehouse_schema;
