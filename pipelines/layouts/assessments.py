"""The state's assessment exports, one declaration per vendor layout, in the order they were used.

| spring years | test | shape | dates | school code |
|---|---|---|---|---|
| 2008-2011 | ARMT (Alabama Reading and Mathematics Test) | wide | ``MM/DD/YYYY`` | 4 digits |
| 2012-2013 | ARMT+ | wide | ``YYYY-MM-DD`` per subject | 4 digits |
| 2014-2017 | ACT Aspire (the real vendor header) | wide | ``MMDDYYYY`` | system + school |
| 2018-2019 | Scantron Performance Series | long | ``MM/DD/YY`` | 4 digits |
| 2020 | no state test (school closures) | | | |
| 2021- | ACAP (DRC layout) | wide | none: ``TestAdmin`` ``SP21`` | system + school |

Scale scores are on each test's own scale and are not comparable across tests or grades.

Each layout is declared as data in ``pipelines/layouts/declared/<name>.yaml`` (docs/layouts.md),
the same way an agency declares a new one in its layouts folder.
"""

from __future__ import annotations

from pipelines.layouts.declared import builtin_layouts
from pipelines.layouts.model import AssessmentLayout

GRADES: tuple[int, ...] = (3, 4, 5, 6, 7, 8)

ASSESSMENT_LAYOUTS: tuple[AssessmentLayout, ...] = builtin_layouts()
"""The built-in layouts, in the order the state used them."""

_BY_NAME = {layout.name: layout for layout in ASSESSMENT_LAYOUTS}
ARMT = _BY_NAME["armt"]
ARMT_PLUS = _BY_NAME["armt_plus"]
ACT_ASPIRE = _BY_NAME["act_aspire"]
SCANTRON = _BY_NAME["scantron"]
ACAP = _BY_NAME["acap"]

NO_TEST_YEARS: tuple[int, ...] = (2020,)
"""Spring years without a state test (2020: schools closed)."""


def layout_for_year(spring_year: int) -> AssessmentLayout | None:
    """The layout the state used in ``spring_year``; ``None`` when there was no test."""
    if spring_year in NO_TEST_YEARS:
        return None
    return next((layout for layout in ASSESSMENT_LAYOUTS if spring_year in layout.years), None)
