-- Warehouse tables of the ingest layer. Idempotent: run at the start of every ingest asset.
-- No primary keys: DuckDB checks them eagerly, which breaks delete-then-insert of a file's rows
-- in one transaction; the asset checks verify uniqueness instead.

-- One row per raw file ever seen (path relative to the raw folder).
CREATE TABLE IF NOT EXISTS ingest_ledger (
    path VARCHAR NOT NULL,
    source VARCHAR NOT NULL,          -- rosters | program | activity | assessments
    sha256 VARCHAR,
    bytes BIGINT,
    encoding VARCHAR,                 -- utf-8 | utf-8-sig | windows-1252 | utf-16
    delimiter VARCHAR,
    layout VARCHAR,                   -- layout name from pipelines.layouts
    rows_read BIGINT NOT NULL,        -- records in the file (header excluded)
    rows_loaded BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    status VARCHAR NOT NULL,          -- loaded | failed | removed | quarantined
    error_message VARCHAR,            -- why a failed file stopped (never quotes data values)
    rows_set_aside BIGINT,            -- quarantined files: records the file holds (NULL: unknown)
    context_version VARCHAR,          -- what the file was validated against: rules, key, rosters
    ingested_at TIMESTAMP NOT NULL,
    seconds DOUBLE NOT NULL
);

-- Every file that has ever loaded and is still in the raw folder: if one of them can no longer
-- be loaded, its rows would vanish from the marts, so the data_complete check blocks the run.
CREATE TABLE IF NOT EXISTS ingest_history (
    path VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    first_loaded_at TIMESTAMP NOT NULL
);

-- One row per rejected record: the first problem found on it.
CREATE TABLE IF NOT EXISTS rejects (
    path VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    line BIGINT NOT NULL,             -- physical line where the record starts; header = 1
    column_name VARCHAR,              -- as written in the file's header
    value VARCHAR,                    -- offending value; ids are pseudonymized
    reason VARCHAR NOT NULL,          -- closed vocabulary, see docs/marts.md
    detail VARCHAR
);

CREATE TABLE IF NOT EXISTS stg_rosters (
    path VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    school_year INTEGER NOT NULL,
    ncessch VARCHAR,
    leaid VARCHAR,
    system_code VARCHAR NOT NULL,
    school_code VARCHAR NOT NULL,
    school_name VARCHAR,
    system_name VARCHAR,
    level VARCHAR,
    gslo VARCHAR,
    gshi VARCHAR,
    school_type VARCHAR,
    charter BOOLEAN,
    locale VARCHAR,
    enrollment INTEGER,
    free_lunch INTEGER,
    reduced_lunch INTEGER,
    is_system_total BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS stg_program (
    path VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    system_code VARCHAR NOT NULL,
    school_code VARCHAR NOT NULL,
    school_name VARCHAR,
    cohort INTEGER NOT NULL,
    partner_id VARCHAR NOT NULL,
    last_year INTEGER
);

CREATE TABLE IF NOT EXISTS stg_activity (
    path VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    log_id VARCHAR NOT NULL,
    contact_date DATE NOT NULL,
    school_year INTEGER NOT NULL,     -- spring year of the contact (July-June school year)
    partner_id VARCHAR NOT NULL,
    system_code VARCHAR NOT NULL,
    school_code VARCHAR NOT NULL,
    record_type VARCHAR NOT NULL,
    activity_type VARCHAR NOT NULL,
    focus_area VARCHAR NOT NULL,
    minutes INTEGER NOT NULL,
    teacher_count INTEGER NOT NULL,
    teacher_keys VARCHAR[],           -- pseudonymized teacher ids
    notes VARCHAR                     -- free text: stays in the warehouse, never published
);

-- One row per loaded assessment record (a student in an export), whether tested or not.
CREATE TABLE IF NOT EXISTS stg_assessment_records (
    path VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    layout VARCHAR NOT NULL,
    test VARCHAR NOT NULL,
    school_year INTEGER,              -- NULL when the record has no result and no admin year
    student_key VARCHAR NOT NULL,
    system_code VARCHAR NOT NULL,
    school_code VARCHAR NOT NULL,
    enrolled_grade INTEGER NOT NULL,
    results INTEGER NOT NULL          -- its rows in stg_assessments
);

-- One row per result: student x subject x year.
CREATE TABLE IF NOT EXISTS stg_assessments (
    path VARCHAR NOT NULL,
    line BIGINT NOT NULL,
    layout VARCHAR NOT NULL,
    test VARCHAR NOT NULL,
    school_year INTEGER NOT NULL,
    student_key VARCHAR NOT NULL,     -- pseudonymized state student id
    system_code VARCHAR NOT NULL,
    school_code VARCHAR NOT NULL,
    enrolled_grade INTEGER NOT NULL,
    grade INTEGER NOT NULL,           -- tested grade
    subject VARCHAR NOT NULL,         -- ela | math | science
    scale_score DOUBLE NOT NULL,
    level VARCHAR NOT NULL,
    level_rank INTEGER NOT NULL,      -- 1 = lowest performance level
    proficient BOOLEAN NOT NULL,
    test_date DATE                    -- NULL when the layout has no test date (ACAP)
);
