"""Effects by cohort and year: the ATT(g,t) heatmap the aggregates are built from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pipelines.report.render import claims
from pipelines.report.render.figures import figure_block
from pipelines.report.render.formatting import school_year, subject_label
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section


def render(inputs: ReportInputs) -> Section:
    figures = "".join(
        _figure(inputs.attgt[inputs.attgt["subject"] == subject], subject, index)
        for index, subject in enumerate(inputs.subjects)
    )
    body = (
        "<p>The overall effect and the event study average many smaller comparisons: one per "
        "cohort (the year its schools were first partnered) and year, each against schools not "
        "partnered by then. Blue cells are gains, red cells losses, in standard deviations. "
        "The black bar marks each cohort's first partnered year; cells before it are placebo "
        "checks and should be pale."
        "</p>" + figures
    )
    return Section("cohort-year-effects", "By cohort and year", body, part="findings")


def _figure(frame: pd.DataFrame, subject: str, index: int) -> str:
    att = frame.pivot_table(index="group", columns="time", values="att").sort_index()
    # Every year gets a column, so a year without estimates (no test) shows as a gap
    # instead of widening its neighbours.
    if att.size:
        years = range(int(att.columns.min()), int(att.columns.max()) + 1)
        att = att.reindex(columns=years)
    low = frame.pivot_table(index="group", columns="time", values="ci_lower").reindex_like(att)
    high = frame.pivot_table(index="group", columns="time", values="ci_upper").reindex_like(att)
    labels = [f"Cohort {school_year(int(g))}" for g in att.index]
    extreme = float(np.nanmax(np.abs(att.to_numpy()))) if att.size else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=att.to_numpy(),
            x=[int(t) for t in att.columns],
            y=labels,
            zmid=0.0,
            zmin=-extreme,
            zmax=extreme,
            colorscale="RdBu",
            colorbar={"title": {"text": "Effect (SD)"}},
            customdata=np.dstack([low.to_numpy(), high.to_numpy()]),
            texttemplate="%{z:.2f}",
            textfont={"size": 10},
            hovertemplate=(
                "%{y}, spring %{x}: %{z:.3f} SD<br>95% CI %{customdata[0]:.3f} to "
                "%{customdata[1]:.3f}<extra></extra>"
            ),
            xgap=2,
            ygap=2,
        )
    )
    # A bar at each cohort's first partnered year separates placebo cells from effects.
    for row, cohort in enumerate(att.index):
        fig.add_shape(
            type="line",
            x0=int(cohort) - 0.5,
            x1=int(cohort) - 0.5,
            y0=row - 0.5,
            y1=row + 0.5,
            line={"color": "#111827", "width": 3},
        )
    fig.update_layout(
        title=f"{subject_label(subject)}: effect for each cohort in each year",
        xaxis_title="Spring of school year",
        yaxis_title="Cohort (first partnered year)",
        xaxis={"dtick": 1, "showgrid": False},
        yaxis={"showgrid": False},
        height=max(340, 180 + 70 * len(labels)),
    )
    return figure_block(fig, f"fig-attgt-{index}", _reading(frame))


def _reading(frame: pd.DataFrame) -> str:
    return claims.cohort_sentence(frame)
