"""From an assessment layout declaration to the SQL that reads its files.

Every vendor layout, wide (a block of columns per subject) or long (a row per subject), is read
into ``file_rows`` with one block of subject cells per subject (long layouts: one block, whose
subject comes from the subject cell). ``assessments.sql`` then validates every block of a record
in one pass; its per-block fragments come from ``assessment_block.sql`` and
``assessment_result.sql``.
"""

from __future__ import annotations

from pipelines.ingest.validation_sql import cell
from pipelines.layouts import GRADES, AssessmentLayout, SubjectColumns
from pipelines.sql_text import sql_string
from pipelines.warehouse import read_sql

PACKAGE = "pipelines.ingest"
_BLOCK_OUTPUTS = ("subject", "tested", "grade_number", "scale_score", "level", "rank", "test_date")
"""The typed cells of a subject block that later steps read from ``file_validated``."""


def _blocks(layout: AssessmentLayout) -> list[SubjectColumns]:
    """The subject blocks of a record: every subject (wide) or the shared columns (long)."""
    return [layout.subjects[0]] if layout.shape == "long" else list(layout.subjects)


def projections(layout: AssessmentLayout, lookup: dict[str, str]) -> list[str]:
    """``file_rows`` columns for ``layout``; personal columns (names, DOB, emails) are not read."""
    system = None if layout.school_code_has_system_prefix else layout.system_code
    columns = [
        f"{cell(lookup, layout.student_id)} AS student_id",
        f"{cell(lookup, layout.school_code)} AS school_raw",
        f"{cell(lookup, system)} AS system_raw",
        f"{cell(lookup, layout.grade)} AS grade_raw",
        f"{cell(lookup, layout.admin_column)} AS admin_raw",
    ]
    label = layout.subject_column if layout.shape == "long" else None
    for n, block in enumerate(_blocks(layout), start=1):
        tested_grade = cell(lookup, layout.grade)
        if block.tested_grade is not None:
            tested_grade = f"coalesce({cell(lookup, block.tested_grade)}, {tested_grade})"
        columns += [
            f"{cell(lookup, label)} AS s{n}_label",
            f"{cell(lookup, block.scale_score)} AS s{n}_score",
            f"{cell(lookup, block.level)} AS s{n}_level",
            f"{tested_grade} AS s{n}_grade",
            f"{cell(lookup, block.test_date)} AS s{n}_date",
        ]
    return columns


def _name(column: str | None) -> str:
    return "NULL::VARCHAR" if column is None else sql_string(column)


def _template(name: str) -> str:
    """A fragment template without its comment lines (they would swallow substituted text)."""
    lines = read_sql(PACKAGE, name).splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--"))


def _fill(template: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        template = template.replace("{" + placeholder + "}", value)
    return template


def validation_sql(layout: AssessmentLayout) -> str:
    """``assessments.sql`` with its layout-dependent fragments filled in."""
    block_template = _template("assessment_block.sql")
    result_template = _template("assessment_result.sql")
    blocks = _blocks(layout)
    fragments = []
    for n, block in enumerate(blocks, start=1):
        if layout.shape == "long":
            labels = " ".join(
                f"WHEN {sql_string(s.label or '')} THEN {sql_string(s.subject)}"
                for s in layout.subjects
            )
            subject, tested = f"CASE s{n}_label {labels} END", "TRUE"
        else:
            subject, tested = sql_string(block.subject), f"s{n}_score IS NOT NULL"
        fragments.append(
            _fill(
                block_template,
                {
                    "n": str(n),
                    "subject": subject,
                    "tested": tested,
                    "subject_column": _name(layout.subject_column),
                    "score_column": _name(block.scale_score),
                    "level_column": _name(block.level),
                    "grade_column": _name(block.tested_grade or layout.grade),
                    "date_column": _name(block.test_date),
                },
            )
        )
    numbers = range(1, len(blocks) + 1)
    return _fill(
        read_sql(PACKAGE, "assessments.sql"),
        {
            "block_columns": ",\n".join(fragments),
            "tested_any": "(" + " OR ".join(f"s{n}_tested" for n in numbers) + ")",
            "first_year_of_block": ", ".join(
                f"CASE WHEN s{n}_tested THEN s{n}_year END" for n in numbers
            ),
            "years_agree": "("
            + " AND ".join(
                f"(NOT s{n}_tested OR s{n}_year IS NULL OR s{n}_year = school_year)"
                for n in numbers
            )
            + ")",
            "block_problems": ", ".join(f"c.s{n}_problem" for n in numbers),
            "block_outputs": ",\n    ".join(
                f"c.s{n}_{field}" for n in numbers for field in _BLOCK_OUTPUTS
            ),
            "results_count": " + ".join(f"s{n}_tested::INTEGER" for n in numbers),
            "results_union": "\nUNION ALL\n".join(
                _fill(result_template, {"n": str(n)}) for n in numbers
            ),
        },
    )


def parameters(layout: AssessmentLayout) -> dict[str, object]:
    """The layout facts ``assessments.sql`` binds as statement parameters."""
    ranges = layout.score_ranges
    return {
        "layout": layout.name,
        "test": layout.test,
        "first_year": layout.first_year,
        "last_year": layout.last_year,
        "has_system_prefix": layout.school_code_has_system_prefix,
        "has_test_date": layout.date_format is not None,
        "date_format": layout.date_format or "%Y-%m-%d",
        "has_admin": layout.admin_column is not None,
        "admin_format": layout.admin_format or "%Y",
        "student_id_column": layout.student_id,
        "school_column": layout.school_code,
        "system_column": layout.system_code,
        "grade_column": layout.grade,
        "admin_column": layout.admin_column,
        "grades": list(GRADES),
        "level_labels": list(layout.levels.labels),
        "proficient_labels": list(layout.levels.proficient),
        "range_keys": [f"{r.subject}|{r.grade}" for r in ranges],
        "range_lows": [float(r.low) for r in ranges],
        "range_highs": [float(r.high) for r in ranges],
    }
