"""The program: cohorts, schools, how much partnering they got and what it consisted of."""

from __future__ import annotations

import plotly.graph_objects as go

from pipelines.report.render.figures import cohort_color, figure_block
from pipelines.report.render.formatting import cohort_label, fmt_count, school_year
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section
from pipelines.report.render.tables import SUPPRESSION_NOTE, Cell, count_column, html_table


def render(inputs: ReportInputs) -> Section:
    program = inputs.program
    cohorts = program.schools.groupby("cohort").size().sort_index()
    starts = " and ".join(
        f"{n} starting in {school_year(int(cohort))}" for cohort, n in cohorts.items()
    )
    total_minutes = float(program.activity_mix["minutes"].sum())
    body = (
        f"<p>{int(cohorts.sum())} schools were partnered, in {len(cohorts)} cohorts: {starts}. "
        "Each has an instructional partner: a teacher leader who works with teachers as a peer "
        "(co-planning, modeling lessons, observing and debriefing, leading data meetings and "
        f"professional learning communities). Partners logged {fmt_count(total_minutes)} "
        "minutes of partnering, summarized below from their contact logs.</p>"
        + _dose_figure(inputs)
        + _activity_figure(inputs)
        + _schools_table(inputs)
    )
    return Section("program", "The program in detail", body, part="appendix")


def _dose_figure(inputs: ReportInputs) -> str:
    dose = inputs.program.dose
    cohorts = sorted(int(c) for c in dose["cohort"].unique())
    fig = go.Figure()
    for cohort in cohorts:
        rows = dose[dose["cohort"] == cohort]
        fig.add_trace(
            go.Box(
                x=rows["year"],
                y=rows["minutes_per_teacher"],
                name=cohort_label(cohort),
                marker_color=cohort_color(cohort, cohorts),
                boxpoints=False,
            )
        )
    fig.update_layout(
        title="Partnering intensity: minutes per teacher in each partnered school-year",
        xaxis_title="Spring of school year",
        yaxis_title="Minutes of partnering per teacher",
        boxmode="group",
        xaxis={"dtick": 1},
    )
    per_year = dose.groupby("year")["minutes_per_teacher"].median()
    middle = dose["minutes_per_teacher"].quantile([0.25, 0.75])
    reading = (
        f"The typical partnered school-year logged {dose['minutes_per_teacher'].median():,.0f} "
        f"minutes per teacher (middle half of school-years: {middle.iloc[0]:,.0f} to "
        f"{middle.iloc[1]:,.0f}); the yearly median ranged from {per_year.min():,.0f} to "
        f"{per_year.max():,.0f}. Boxes show the middle half of schools, the line the median."
    )
    return figure_block(fig, "fig-program-dose", reading)


def _activity_figure(inputs: ReportInputs) -> str:
    mix = inputs.program.activity_mix.groupby("activity_type", as_index=False)["minutes"].sum()
    mix["share"] = 100.0 * mix["minutes"] / mix["minutes"].sum()
    mix = mix.sort_values("share")
    fig = go.Figure(
        go.Bar(
            x=mix["share"],
            y=mix["activity_type"],
            orientation="h",
            marker_color="#1d4ed8",
            text=[f"{s:.0f}%" for s in mix["share"]],
            textposition="outside",
            hovertemplate="%{y}: %{x:.1f}% of minutes<extra></extra>",
        )
    )
    fig.update_layout(
        title="How partners spent their time",
        xaxis_title="Share of logged partnering minutes (%)",
        yaxis_title="Activity",
        xaxis={"range": [0, float(mix["share"].max()) * 1.2]},
    )
    top = mix.iloc[::-1]
    reading = (
        f"The largest share of partnering time went to {top.iloc[0]['activity_type'].lower()} "
        f"({top.iloc[0]['share']:.0f}%), then {top.iloc[1]['activity_type'].lower()} "
        f"({top.iloc[1]['share']:.0f}%)."
        if len(top) > 1
        else f"All logged time was {top.iloc[0]['activity_type'].lower()}."
    )
    return figure_block(fig, "fig-program-activity", reading)


def _schools_table(inputs: ReportInputs) -> str:
    schools = inputs.program.schools.sort_values(["cohort", "system_name", "school_name"])
    schools = schools.reset_index(drop=True)
    # "Data and sample" shows each cohort's students the year before it was partnered: the
    # sum of this column over the cohort's schools, so each cohort's subtotal counts as known.
    counts = count_column(schools["n_students"], groups=schools["cohort"])
    rows = [
        [
            Cell(row.school_name),
            Cell(row.system_name),
            Cell(school_year(int(row.cohort))),
            counts[i],
        ]
        for i, row in enumerate(schools.itertuples(index=False))
    ]
    rows.append([Cell("All partnered schools"), Cell(""), Cell(""), counts["Total"]])
    return html_table(
        ["School", "System", "First partnered year", "Students tested the year before"],
        rows,
        caption="Partnered schools",
        note="Students tested in the school's last year before partnering. " + SUPPRESSION_NOTE,
    )
