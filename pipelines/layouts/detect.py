"""Recognize a file's layout from its header row."""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.layouts.assessments import ASSESSMENT_LAYOUTS
from pipelines.layouts.model import AssessmentLayout, TableLayout
from pipelines.layouts.tables import TABLE_LAYOUTS


def normalize_header(header: Sequence[str]) -> list[str]:
    """Header names as compared: byte-order mark and surrounding whitespace removed, case folded.

    Exports pass through spreadsheets and Windows tools that add a BOM or change case; neither
    changes what a column means.
    """
    names = [name.strip() for name in header]
    if names:
        names[0] = names[0].lstrip("\ufeff").strip()
    return [name.casefold() for name in names]


def missing_columns(layout: AssessmentLayout | TableLayout, header: Sequence[str]) -> list[str]:
    """The columns ``layout`` needs that ``header`` lacks (empty when the header fits)."""
    present = set(normalize_header(header))
    needed = layout.required_columns if isinstance(layout, AssessmentLayout) else layout.columns
    return [column for column in needed if column.casefold() not in present]


def detect_assessment_layout(
    header: Sequence[str], layouts: Sequence[AssessmentLayout] = ASSESSMENT_LAYOUTS
) -> AssessmentLayout | None:
    """The assessment layout of ``layouts`` whose required columns are all in ``header``.

    Extra and reordered columns are accepted (real exports add fields over time). If several
    layouts fit, an agency's own layout wins over a built-in one (the agency declared it for
    exactly these files, e.g. a vendor's variant of a built-in layout), then the one sharing the
    most columns with the header (the first declared on a tie). ``None`` when none fits.
    """
    present = set(normalize_header(header))
    builtin = {layout.name for layout in ASSESSMENT_LAYOUTS}
    fitting = [layout for layout in layouts if not missing_columns(layout, header)]
    if not fitting:
        return None
    return max(
        fitting,
        key=lambda layout: (
            layout.name not in builtin,
            len(present & set(normalize_header(layout.columns))),
        ),
    )


def detect_table_layout(header: Sequence[str]) -> TableLayout | None:
    """The roster, activity or program layout whose columns are all in ``header``, else ``None``."""
    return next((layout for layout in TABLE_LAYOUTS if not missing_columns(layout, header)), None)
