"""Assemble the impact report and write it as one self-contained HTML file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipelines.report.render import (
    agreement,
    attgt,
    caveats,
    data_sample,
    dose,
    event_study,
    highlights,
    program,
    standards,
    study,
    trends,
)
from pipelines.report.render.inputs import ReportInputs, validate_inputs
from pipelines.report.render.page import render_page


def build_report(inputs: ReportInputs, out_path: Path) -> Path:
    """Render the leadership impact report from ``inputs`` to ``out_path``.

    The file embeds plotly.js once and makes no network request, so it opens offline from
    ``file://``. It is written to a temporary file and renamed into place, so a reader never
    sees half a report.
    """
    validate_inputs(inputs)
    sections = [
        highlights.render(inputs),
        study.render(inputs),
        trends.render(inputs),
        event_study.render(inputs),
        attgt.render(inputs),
        study.render_for_whom(inputs),
        dose.render(inputs),
        caveats.render_caveats(inputs),
        caveats.render_methods(inputs),
        agreement.render_estimators(inputs),
        *agreement.render_robustness(inputs),
        standards.render(inputs),
        program.render(inputs),
        data_sample.render(inputs),
        caveats.render_provenance(inputs),
    ]
    html = render_page(sections, inputs.data, inputs.is_synthetic)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        # mkstemp makes the file private; the report is meant to be shared.
        Path(tmp_name).chmod(0o644)
        Path(tmp_name).replace(out_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return out_path
