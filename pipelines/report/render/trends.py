"""Trends: mean scores of partnered cohorts and comparison schools, year by year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pipelines.privacy.suppression import MIN_CELL_SIZE
from pipelines.report.render.figures import cohort_color, figure_block, mark_test_changes
from pipelines.report.render.formatting import (
    cohort_label,
    fmt_sd,
    school_year,
    subject_label,
)
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section


def render(inputs: ReportInputs) -> Section:
    figures = "".join(_subject_figure(inputs, s, i) for i, s in enumerate(inputs.subjects))
    body = (
        "<p>Average standardized scores (mean z; 0 is the state average) of each partnered "
        "cohort and of the comparison schools. Solid markers are partnered years; open markers "
        "are years before partnering. Dashed lines mark changes of state test, where the "
        "yardstick changes; shaded years had no state test.</p>" + figures
    )
    return Section("trends", "Trends", body, part="findings")


def publishable_trends(trends: pd.DataFrame) -> pd.DataFrame:
    """Rows whose mean is over at least ``MIN_CELL_SIZE`` students: the others are not shown."""
    return trends[trends["n_students"] >= MIN_CELL_SIZE]


def _subject_figure(inputs: ReportInputs, subject: str, index: int) -> str:
    trends = publishable_trends(inputs.trends[inputs.trends["subject"] == subject])
    cohorts = sorted(int(c) for c in trends["cohort"].unique())
    fig = go.Figure()
    for cohort in [c for c in cohorts if c != 0] + [0]:
        rows = trends[trends["cohort"] == cohort].sort_values("year")
        if rows.empty:
            continue
        partnered = (rows["year"] >= cohort) if cohort else np.zeros(len(rows), dtype=bool)
        n_schools = int(rows["n_schools"].max())
        fig.add_trace(
            go.Scatter(
                x=rows["year"],
                y=rows["mean_z"],
                mode="lines+markers",
                name=cohort_label(cohort, n_schools),
                line={"color": cohort_color(cohort, cohorts), "width": 2},
                marker={
                    "size": 7,
                    "symbol": np.where(partnered, "circle", "circle-open").tolist(),
                },
                hovertemplate="%{x}: mean z %{y:.3f}<extra>%{fullData.name}</extra>",
            )
        )
    facts = inputs.data
    mark_test_changes(fig, facts.tests, facts.first_year, facts.last_year)
    fig.update_layout(
        title=f"{subject_label(subject)}: average scores of partnered and comparison schools",
        xaxis_title="Spring of school year",
        yaxis_title="Mean score (SD; state mean = 0)",
        xaxis={"dtick": 1, "range": [facts.first_year - 0.6, facts.last_year + 0.6]},
    )
    return figure_block(fig, f"fig-trends-{index}", _reading(trends))


def _reading(trends: pd.DataFrame) -> str:
    treated = trends[trends["cohort"] > 0]
    if treated.empty:
        return "No partnered cohort has enough students tested to show."
    baseline_year = int(treated["cohort"].min()) - 1
    year_rows = trends[trends["year"] == baseline_year]
    treated_rows = year_rows[year_rows["cohort"] > 0]
    comparison_rows = year_rows[year_rows["cohort"] == 0]
    if treated_rows.empty or comparison_rows.empty:
        return "Partnered and comparison schools are shown on the same standardized scale."
    treated_mean = np.average(treated_rows["mean_z"], weights=treated_rows["n_students"])
    comparison_mean = float(comparison_rows["mean_z"].iloc[0])
    return (
        f"In {school_year(baseline_year)}, the year before partnering began, partnered schools "
        f"averaged {fmt_sd(treated_mean)} SD against {fmt_sd(comparison_mean)} SD in comparison "
        "schools: the program chose low-performing schools, so the analysis compares changes, "
        "not levels."
    )
