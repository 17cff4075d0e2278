"""The leadership impact report: one self-contained HTML file built from published tables.

``build_report(inputs, out_path)`` renders :class:`ReportInputs` (plain pandas frames and
scalars, documented in :mod:`pipelines.report.render.inputs`); one module per section.
"""

from pipelines.report.render.build import build_report
from pipelines.report.render.inputs import (
    DataFacts,
    ProgramInputs,
    ReportInputs,
    RobustnessInputs,
    StudyInputs,
)

__all__ = [
    "DataFacts",
    "ProgramInputs",
    "ReportInputs",
    "RobustnessInputs",
    "StudyInputs",
    "build_report",
]
