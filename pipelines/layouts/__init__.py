"""Raw-file layouts declared once, as data: the generator writes them and the ingest reads them.

Assessment layouts (one per vendor era) are :class:`AssessmentLayout` values; the rosters,
activity and program files are :class:`TableLayout` values. Find a file's layout from its header
with :func:`detect_assessment_layout` / :func:`detect_table_layout`; the layout then names the
column of every field, the date format, level labels, valid score ranges and the personal columns
to drop. See ``docs/synthetic_state.md`` for the full description.
"""

from pipelines.layouts.assessments import (
    ACAP,
    ACT_ASPIRE,
    ARMT,
    ARMT_PLUS,
    ASSESSMENT_LAYOUTS,
    GRADES,
    NO_TEST_YEARS,
    SCANTRON,
    layout_for_year,
)
from pipelines.layouts.detect import (
    detect_assessment_layout,
    detect_table_layout,
    missing_columns,
    normalize_header,
)
from pipelines.layouts.model import (
    SUBJECTS,
    AssessmentLayout,
    PerformanceLevels,
    ScoreRange,
    SubjectColumns,
    TableLayout,
)
from pipelines.layouts.tables import (
    ACTIVITY,
    ACTIVITY_TYPES,
    FOCUS_AREAS,
    PROGRAM,
    RECORD_TYPES,
    ROSTERS,
    SCHOOL_LEVELS,
    SYNTHETIC_MARKER,
    SYSTEM_TOTAL_SCHOOL_CODE,
    TABLE_LAYOUTS,
)

__all__ = [
    "ACAP",
    "ACTIVITY",
    "ACTIVITY_TYPES",
    "ACT_ASPIRE",
    "ARMT",
    "ARMT_PLUS",
    "ASSESSMENT_LAYOUTS",
    "FOCUS_AREAS",
    "GRADES",
    "NO_TEST_YEARS",
    "PROGRAM",
    "RECORD_TYPES",
    "ROSTERS",
    "SCANTRON",
    "SCHOOL_LEVELS",
    "SUBJECTS",
    "SYNTHETIC_MARKER",
    "SYSTEM_TOTAL_SCHOOL_CODE",
    "TABLE_LAYOUTS",
    "AssessmentLayout",
    "PerformanceLevels",
    "ScoreRange",
    "SubjectColumns",
    "TableLayout",
    "detect_assessment_layout",
    "detect_table_layout",
    "layout_for_year",
    "missing_columns",
    "normalize_header",
]
