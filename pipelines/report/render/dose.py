"""Dose: does more partnering go with larger effects?"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pipelines.privacy.suppression import MIN_CELL_SIZE
from pipelines.report.render import claims
from pipelines.report.render.figures import figure_block, interval_bars, subject_color
from pipelines.report.render.formatting import fmt_sd, subject_label
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section
from pipelines.report.render.tables import (
    SUPPRESSED_MARK,
    SUPPRESSION_NOTE,
    Cell,
    count_column,
    html_table,
)

NOT_RANDOMIZED = (
    "Dose was not assigned at random: schools that used their partner more may differ in "
    "leadership, staff stability or need. Differences between dose groups show association, "
    "not the effect of adding more partnering."
)


def render(inputs: ReportInputs) -> Section:
    groups = inputs.robustness.dose_groups
    intro = (
        "<p>Partnering intensity is measured from the partners' logs as minutes of partnering "
        "per teacher per year (see “The program”). Partnered schools are grouped by that dose "
        "and the effect is estimated for each group against the same comparison schools.</p>"
        f'<p class="callout warn">{NOT_RANDOMIZED}</p>'
    )
    if groups is None or groups.empty:
        body = intro + "<p>Effects by dose group were not estimated in this run.</p>"
    else:
        body = intro + _figure(groups, inputs.subjects) + _table(groups)
    return Section("dose", "Dose", body, part="findings")


def _publishable(groups: pd.DataFrame) -> pd.DataFrame:
    """Group estimates resting on fewer than ``MIN_CELL_SIZE`` students are not shown."""
    return groups[groups["n_students"] >= MIN_CELL_SIZE]


def _figure(groups: pd.DataFrame, subjects: list[str]) -> str:
    shown = _publishable(groups)
    order = list(dict.fromkeys(groups["dose_group"]))
    position = {label: i for i, label in enumerate(order)}
    fig = go.Figure()
    readings = []
    for index, subject in enumerate(subjects):
        rows = shown[shown["subject"] == subject]
        if rows.empty:
            continue
        offset = (index - (len(subjects) - 1) / 2) * 0.15
        fig.add_trace(
            go.Scatter(
                x=[position[g] + offset for g in rows["dose_group"]],
                y=rows["att"],
                mode="markers+lines",
                name=subject_label(subject),
                marker={"size": 9, "color": subject_color(index)},
                line={"color": subject_color(index), "width": 1, "dash": "dot"},
                error_y=interval_bars(
                    rows["att"], rows["ci_lower"], rows["ci_upper"], color=subject_color(index)
                ),
                customdata=rows[["dose_group", "ci_lower", "ci_upper"]].to_numpy(),
                hovertemplate=(
                    "%{customdata[0]}: %{y:.3f} SD<br>95% CI %{customdata[1]:.3f} to "
                    "%{customdata[2]:.3f}<extra>%{fullData.name}</extra>"
                ),
            )
        )
        readings.append(claims.dose_sentence(shown, subject))
    fig.add_hline(y=0, line={"color": "#374151", "width": 1})
    fig.update_layout(
        title="Effect by partnering dose (95% confidence intervals)",
        xaxis_title="Dose group (minutes of partnering per teacher per year)",
        yaxis_title="Overall effect on mean score (SD)",
        xaxis={"tickmode": "array", "tickvals": list(position.values()), "ticktext": order},
    )
    reading = " ".join(r for r in readings if r)
    return figure_block(fig, "fig-dose-groups", reading)


def _table(groups: pd.DataFrame) -> str:
    parts = []
    for subject, rows in groups.groupby("subject", sort=False):
        rows = rows.reset_index(drop=True)
        counts = count_column(rows["n_students"])
        table_rows = []
        for i, r in enumerate(rows.itertuples(index=False)):
            small = r.n_students < MIN_CELL_SIZE
            effect = SUPPRESSED_MARK if small else fmt_sd(r.att)
            interval = SUPPRESSED_MARK if small else f"{fmt_sd(r.ci_lower)} to {fmt_sd(r.ci_upper)}"
            table_rows.append(
                [
                    Cell(str(r.dose_group)),
                    Cell(f"{int(r.n_schools)}", "num"),
                    counts[i],
                    Cell(effect, "num"),
                    Cell(interval, "num"),
                ]
            )
        table_rows.append(
            [Cell("All partnered schools"), Cell(""), counts["Total"], Cell(""), Cell("")]
        )
        parts.append(
            html_table(
                ["Dose group", "Schools", "Students tested", "Effect (SD)", "95% CI"],
                table_rows,
                caption=f"{subject_label(subject)}: effect by dose group",
                note=SUPPRESSION_NOTE,
            )
        )
    return "".join(parts)
