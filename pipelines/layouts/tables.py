"""Layouts of the non-assessment raw files: rosters, coaching activity logs, program roster."""

from __future__ import annotations

from pipelines.layouts.model import TableLayout

SYSTEM_TOTAL_SCHOOL_CODE = "0000"
"""``school_code`` of a roster row that totals a whole system; the ingest drops these rows."""

RECORD_TYPES: tuple[str, ...] = ("one-on-one", "group", "support")
"""``support`` is work for the school with no teacher present (teacher_count 0, no ids)."""

ACTIVITY_TYPES: tuple[str, ...] = (
    "co-planning",
    "modeling",
    "co-teaching",
    "observation",
    "feedback/debrief",
    "goal setting",
    "data meeting",
    "PLC facilitation",
    "PD session",
    "resource support",
    "other",
)

FOCUS_AREAS: tuple[str, ...] = (
    "reading",
    "mathematics",
    "science",
    "instructional strategies",
    "classroom environment",
    "assessment and data",
    "other",
)

SCHOOL_LEVELS: tuple[str, ...] = ("Elementary", "Middle", "High", "Other")

ROSTERS = TableLayout(
    name="rosters",
    # NCES Common Core of Data style, one row per school per spring year.
    columns=(
        "school_year",
        "ncessch",
        "leaid",
        "system_code",
        "school_code",
        "school_name",
        "system_name",
        "level",
        "gslo",
        "gshi",
        "school_type",
        "charter",
        "locale",
        "enrollment",
        "free_lunch",
        "reduced_lunch",
    ),
    key_columns=("school_year", "system_code", "school_code"),
    code_columns=("ncessch", "leaid", "system_code", "school_code", "gslo", "gshi"),
    integer_columns=("school_year", "enrollment", "free_lunch", "reduced_lunch"),
    allowed_values=(("level", SCHOOL_LEVELS), ("charter", ("Yes", "No"))),
)

ACTIVITY = TableLayout(
    name="activity",
    # One row per partnering contact; one file per month.
    columns=(
        "log_id",
        "contact_date",
        "partner_id",
        "system_code",
        "school_code",
        "record_type",
        "activity_type",
        "focus_area",
        "minutes",
        "teacher_count",
        "teacher_ids",
        "notes",
    ),
    key_columns=("log_id",),
    nullable_columns=("teacher_ids", "notes"),
    code_columns=("system_code", "school_code"),
    integer_columns=("minutes", "teacher_count"),
    date_columns=("contact_date",),
    date_format="%m/%d/%Y",
    id_columns=("teacher_ids",),
    free_text_columns=("notes",),
    allowed_values=(
        ("record_type", RECORD_TYPES),
        ("activity_type", ACTIVITY_TYPES),
        ("focus_area", FOCUS_AREAS),
    ),
)

PROGRAM = TableLayout(
    name="program",
    # The official list of partnered schools; cohort = first partnered spring year.
    columns=(
        "system_code",
        "school_code",
        "school_name",
        "cohort",
        "partner_id",
        "last_year",
    ),
    key_columns=("system_code", "school_code"),
    nullable_columns=("last_year",),
    code_columns=("system_code", "school_code"),
    integer_columns=("cohort", "last_year"),
)

TABLE_LAYOUTS: tuple[TableLayout, ...] = (ROSTERS, ACTIVITY, PROGRAM)


SYNTHETIC_MARKER = "SYNTHETIC"
"""A file of this name at the top of the raw folder marks it as the generated synthetic sample.

The generator writes it; the report reads it (and never the sample's truth file) to say on every
page that the data is synthetic.
"""
