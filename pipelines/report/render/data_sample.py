"""Data and sample: what went in, how scores were put on one scale, what was set aside."""

from __future__ import annotations

import pandas as pd

from pipelines.privacy.suppression import MIN_CELL_SIZE
from pipelines.report.render.figures import untested_years, years_test_changed
from pipelines.report.render.formatting import (
    cohort_label,
    fmt_count,
    format_run_time,
    html_text,
    school_year,
    subject_label,
)
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section
from pipelines.report.render.tables import Cell, count_table, html_table


def render(inputs: ReportInputs) -> Section:
    facts = inputs.data
    read = facts.rows_loaded + facts.rows_rejected
    rejected_share = 100.0 * facts.rows_rejected / read if read else 0.0
    facts_list = (
        '<dl class="facts">'
        f"<dt>Schools</dt><dd>{fmt_count(facts.n_schools)} public schools in the analysis</dd>"
        f"<dt>School years</dt><dd>{school_year(facts.first_year)} to "
        f"{school_year(facts.last_year)} (spring {facts.first_year}-{facts.last_year})</dd>"
        f"<dt>Raw files</dt><dd>{fmt_count(facts.file_count)}</dd>"
        f"<dt>Rows loaded</dt><dd>{fmt_count(facts.rows_loaded)}</dd>"
        f"<dt>Rows rejected</dt><dd>{fmt_count(facts.rows_rejected)} "
        f"({rejected_share:.2f}% of rows read; every one recorded with its reason)</dd>"
        + _set_aside(facts.set_aside)
        + f"<dt>Built</dt><dd>{html_text(format_run_time(facts.run_time))}</dd>"
        "</dl>"
    )
    body = (
        "<p>Every raw file is logged in an ingest ledger (its hash identifies exactly which "
        "files this report was built from); every row is either loaded or rejected with a "
        "reason. Student identifiers are replaced by keyed pseudonyms at ingest: this report "
        "contains no student-level data.</p>"
        + facts_list
        + _tests_table(inputs)
        + _standardization(inputs)
        + _rejects_table(inputs)
        + '<div class="table-grid">'
        + "".join(_students_table(inputs, s) for s in inputs.subjects)
        + "</div>"
        + f"<p><strong>Privacy.</strong> No count of fewer than {MIN_CELL_SIZE} students is "
        "published, and further counts are hidden where needed so that a hidden count "
        "cannot be recovered from the totals. Averages of fewer than "
        f"{MIN_CELL_SIZE} students are not shown.</p>"
    )
    return Section("data-and-sample", "Data and sample", body, part="appendix")


def _set_aside(set_aside: pd.DataFrame | None) -> str:
    """The files the evaluator set aside (quarantine folder), each with the rows it held."""
    if set_aside is None or set_aside.empty:
        return ""
    files = "; ".join(
        f"{html_text(str(row.path))} ("
        + ("rows not countable" if pd.isna(row.rows) else f"{fmt_count(int(row.rows))} rows")
        + ")"
        for row in set_aside.sort_values("path").itertuples(index=False)
    )
    return (
        f"<dt>Files set aside</dt><dd>{fmt_count(len(set_aside))} file(s) set aside by the "
        f"evaluator and not loaded: {files}</dd>"
    )


def _tests_table(inputs: ReportInputs) -> str:
    tests = inputs.data.tests.sort_values("first_year")
    rows = [
        [
            Cell(str(row.test)),
            Cell(f"{school_year(int(row.first_year))} to {school_year(int(row.last_year))}"),
        ]
        for row in tests.itertuples(index=False)
    ]
    gaps = untested_years(tests, inputs.data.first_year, inputs.data.last_year)
    rows += [[Cell("No state test"), Cell(school_year(year))] for year in gaps]
    rows.sort(key=lambda r: r[1].text)
    return html_table(["State test", "School years"], rows, caption="State tests used")


def _standardization(inputs: ReportInputs) -> str:
    changes = ", ".join(school_year(y) for y in years_test_changed(inputs.data.tests))
    return (
        "<p><strong>One scale across tests.</strong> Scale scores of different tests and grades "
        "cannot be compared, so each student's score is standardized (a z-score) within test, "
        "subject, grade and year, over all valid scores in the state: 0 is the state average "
        "that year and 1 is one standard deviation. Effects are therefore in student standard "
        f"deviations. The state test changed in {changes}: scores before and after a change "
        "measure different things, which is why the charts mark each change and why the "
        "analysis compares partnered with comparison schools within each year.</p>"
    )


def _rejects_table(inputs: ReportInputs) -> str:
    rejects = inputs.data.rejects_by_reason
    if rejects is None or rejects.empty:
        return ""
    rejects = rejects.sort_values("rows", ascending=False)
    rows = [
        [Cell(str(r.reason)), Cell(fmt_count(r.rows), "num")]
        for r in rejects.itertuples(index=False)
    ]
    return html_table(["Reason", "Rows rejected"], rows, caption="Rejected rows by reason")


def _students_table(inputs: ReportInputs, subject: str) -> str:
    trends = inputs.trends[inputs.trends["subject"] == subject]
    counts = trends.pivot_table(index="cohort", columns="year", values="n_students", aggfunc="sum")
    # Partnered cohorts first, comparison schools (cohort 0) last.
    counts = counts.loc[sorted(counts.index, key=lambda c: (c == 0, c))]
    counts.index = [cohort_label(int(c)) for c in counts.index]
    # Years down the side, groups across: a table that fits the page and prints whole.
    by_year = counts.T
    by_year.index = [str(int(y)) for y in by_year.index]
    return count_table(
        by_year,
        caption=f"{subject_label(subject)}: students tested by spring year and school group",
        row_header="Spring year",
        column_totals=False,
    )
