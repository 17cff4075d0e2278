"""The checks of the marts layer (their queries are in ``checks/``; the machinery is
:mod:`pipelines.query_checks`)."""

from dagster import AssetCheckSeverity

from pipelines.ingest.checks import UNIQUE_KEYS
from pipelines.query_checks import QueryCheck, unique_keys_check

PACKAGE = "pipelines.marts"

MART_KEYS: dict[str, tuple[str, ...]] = {
    "schools": ("school_id", "school_year"),
    "student_scores": UNIQUE_KEYS["assessments"],
    "school_outcomes": ("school_id", "subject", "grade", "school_year"),
    "treatment": ("school_id",),
    "school_panel": ("school_id", "subject", "school_year"),
    "partnering_dose": ("school_id", "school_year"),
}

_ERROR, _WARN = AssetCheckSeverity.ERROR, AssetCheckSeverity.WARN

# Checks beyond unique keys: (mart, check name, SQL file, description, severity, blocking).
_QUERY_CHECKS: tuple[tuple[str, str, str, str, AssetCheckSeverity, bool], ...] = (
    ("schools", "plausible_ranges", "plausible_schools", "Enrollment and FRL share in range.",
     _ERROR, False),
    ("student_scores", "rows_match_staging", "scores_match_staging",
     "Every staged result is here once, with a z-score.", _ERROR, True),
    ("student_scores", "plausible_ranges", "plausible_z", "No |z| above 6.", _WARN, False),
    ("treatment", "plausible_ranges", "plausible_treatment",
     "Cohorts are 0 or a spring year; last year not before the cohort.", _ERROR, True),
    ("school_panel", "students_add_up", "outcomes_add_up",
     "school_outcomes and school_panel count every student score once.", _ERROR, True),
    ("school_panel", "plausible_ranges", "plausible_panel",
     "School mean z within 3 SD, FRL share in [0, 1], students tested.", _WARN, False),
    ("partnering_dose", "shares_add_up", "dose_shares",
     "Minute shares add up to 1; minutes per teacher positive.", _ERROR, True),
    ("partnering_dose", "partnered_schools_have_activity", "partnered_without_activity",
     "Every partnered school has logged partnering in its partnered years.", _WARN, False),
    ("partnering_dose", "activity_only_at_program_schools", "activity_outside_program",
     "Logged partnering only at program schools in their partnered years.", _WARN, False),
    ("data_quality", "rows_add_up", "quality_adds_up",
     "Each file's rows add up to its rows read.", _ERROR, True),
)  # fmt: skip


def mart_checks(mart: str) -> list[QueryCheck]:
    """The checks of ``marts.<mart>``."""
    checks = []
    if mart in MART_KEYS:
        checks.append(unique_keys_check(mart, f"marts.{mart}", MART_KEYS[mart]))
    for owner, name, sql_file, description, severity, blocking in _QUERY_CHECKS:
        if owner == mart:
            checks.append(
                QueryCheck(mart, name, PACKAGE, sql_file, description, blocking, severity)
            )
    return checks
