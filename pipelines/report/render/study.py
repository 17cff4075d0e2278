"""What the reader must know: the program, what the estimate means, which schools, overlap, MDE.

Each fact comes from a published table through :mod:`pipelines.report.render.claims`; a part
whose table is not published is left out (or said to be unavailable), never guessed.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pipelines.report.render import claims
from pipelines.report.render.figures import figure_block, interval_bars
from pipelines.report.render.formatting import fmt_count, html_text, school_year, subject_label
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section
from pipelines.report.render.tables import html_table

FOREST_BASE_PX = 130  # title, axis and margins of a forest plot, on screen
FOREST_ROW_PX = 22  # one subgroup's row, on screen
FOREST_PRINT_BASE_PX = 85  # printed: title, axis and margins
FOREST_PRINT_ROW_PX = 12  # printed: one subgroup's row, enough for its label to show


def render(inputs: ReportInputs) -> Section:
    study = inputs.study
    program = inputs.program
    cohorts = program.schools.groupby("cohort").size().sort_index()
    starts = " and ".join(
        f"{n} starting in {school_year(int(cohort))}" for cohort, n in cohorts.items()
    )
    n_treated = int(inputs.overall["n_treated_schools"].max())
    parts = [
        f"<p>{int(cohorts.sum())} schools were partnered, in {len(cohorts)} cohorts: {starts}. "
        "Each has an instructional partner: a teacher leader who works with teachers as a peer "
        "(co-planning, modeling lessons, observing and debriefing, leading data meetings and "
        f"professional learning communities). Partners logged "
        f"{fmt_count(float(program.activity_mix['minutes'].sum()))} minutes of partnering "
        "(details in the appendix).</p>",
    ]
    parts.append("<h3>What the estimate measures</h3>")
    estimand = claims.estimand_sentence(
        study.estimands, study.n_partnered or n_treated, study.n_left or 0
    )
    if estimand:
        parts.append(f"<p>{html_text(estimand)}</p>")
    elif study.n_left is not None and study.n_partnered:
        parts.append(
            f"<p>{html_text(claims.leavers_sentence(study.n_partnered, study.n_left))} The "
            "published estimates do not state how they count those schools.</p>"
        )
    exits = claims.exit_table_rows(study.exit, inputs.subjects) if study.exit is not None else []
    if exits:
        parts.append(
            "<p>Beside it, effects by the number of years a school was actually partnered, and "
            "for schools that left, by the years since leaving (effect in SD, 95% confidence "
            "interval):</p>"
            + html_table(
                ["Years", *(subject_label(s) for s in inputs.subjects), "Schools"],
                exits,
                "Exit-aware estimates: effect by years actually partnered and after leaving "
                "(SD, 95% CI)",
                css_class="compact",
            )
        )
    else:
        parts.append("<p>Effects by years actually partnered are not available in this run.</p>")
    if study.levels is not None:
        parts.append("<h3>Which schools are in the analysis</h3>")
        parts.append(f"<p>{html_text(claims.schools_sentence(study.levels))}</p>")
    parts.append("<h3>Comparable comparison schools (overlap)</h3>")
    overlap = (
        claims.overlap_sentences(study.overlap, inputs.subjects)
        if study.overlap is not None
        else []
    )
    refusals = claims.refusals(study.status) if study.status is not None else []
    if overlap:
        parts.append(
            '<ul class="plain">' + "".join(f"<li>{html_text(o)}</li>" for o in overlap) + "</ul>"
        )
    if study.common_support is not None:
        headline = inputs.overall.set_index("subject")["att"]
        support = [
            claims.common_support_sentence(study.common_support, s, float(headline[s]))
            for s in inputs.subjects
        ]
        support = [c for c in support if c]
        if support:
            parts.append(
                '<ul class="plain">'
                + "".join(f"<li>{html_text(c)}</li>" for c in support)
                + "</ul>"
            )
    if refusals:
        parts.append(
            "<p>Estimates the pipeline declined to make because the data cannot support them:</p>"
            '<ul class="plain">' + "".join(f"<li>{html_text(r)}</li>" for r in refusals) + "</ul>"
        )
    if not overlap and not refusals:
        parts.append(
            "<p>How many partnered schools lack a comparable comparison school is not "
            "available in this run.</p>"
        )
    parts.append("<h3>How large an effect this study can detect</h3>")
    mde = (
        [claims.mde_sentence(study.mde, s) for s in inputs.subjects]
        if study.mde is not None
        else []
    )
    mde = [m for m in mde if m]
    if mde:
        parts.append(
            '<ul class="plain">' + "".join(f"<li>{html_text(m)}</li>" for m in mde) + "</ul>"
        )
    else:
        parts.append("<p>The minimum detectable effect is not available in this run.</p>")
    return Section("study", "What was studied", "".join(parts), part="findings")


def render_for_whom(inputs: ReportInputs) -> Section:
    """For whom: a forest plot of the subgroup effects per subject with takeaways that respect
    the declared families; or the plain statement that they are not yet estimated."""
    sentence = claims.for_whom_sentence(inputs.study.published_tables)
    cells = inputs.study.subgroups
    if sentence or cells is None or cells.empty:
        text = sentence or "Subgroup estimates are not available in this run."
        return Section("for-whom", "For whom", f"<p>{html_text(text)}</p>", part="findings")
    parts = [
        "<p>The headline estimate is repeated within groups of students. Two comparisons were "
        "declared before looking at the results (confirmatory): by prior achievement and by "
        "economic disadvantage. The others are exploratory. With many comparisons some differ "
        "by chance, so each family's p-values are adjusted (Benjamini-Hochberg q-values); only "
        "a confirmatory difference with q below 0.05 is reported as a finding. Groups with "
        "fewer than 10 students are not shown.</p>"
    ]
    for subject in inputs.subjects:
        rows = cells[cells["subject"] == subject]
        if rows.empty:
            continue
        takeaways = claims.for_whom_takeaways(
            cells, inputs.study.subgroup_tests, subject, inputs.study.subgroup_differences
        )
        # The first takeaway is the chart's reading; the list holds the others (repeating it
        # cost each subject three printed lines).
        parts.append(_forest(rows, subject, " ".join(takeaways[:1])))
        if takeaways[1:]:
            parts.append(
                '<ul class="plain">'
                + "".join(f"<li>{html_text(t)}</li>" for t in takeaways[1:])
                + "</ul>"
            )
        hidden = claims.suppressed_subgroups_sentence(cells, subject)
        if hidden:
            parts.append(f'<p class="note">{html_text(hidden)}</p>')
    return Section("for-whom", "For whom", "".join(parts), part="findings")


def _forest(rows: pd.DataFrame, subject: str, reading: str) -> str:
    """One subject's forest plot: each shown subgroup's effect and 95% interval."""
    shown = rows[~rows["suppressed"].astype(bool)].iloc[::-1]
    labels = [
        f"{claims.DIMENSION_LABELS.get(r.dimension, r.dimension)}: "
        f"{claims.subgroup_label(r.dimension, r.subgroup)}"
        for r in shown.itertuples()
    ]
    colors = ["#1d4ed8" if f == "confirmatory" else "#6b7280" for f in shown["family"]]
    fig = go.Figure(
        go.Scatter(
            x=shown["att"],
            y=labels,
            mode="markers",
            marker={"size": 8, "color": colors},
            error_x=interval_bars(shown["att"], shown["ci_lower"], shown["ci_upper"]),
            customdata=shown[["ci_lower", "ci_upper", "q_value", "family"]].to_numpy(),
            hovertemplate=(
                "%{y}: %{x:.3f} SD<br>95% CI %{customdata[0]:.3f} to %{customdata[1]:.3f}"
                "<br>q = %{customdata[2]:.3f} (%{customdata[3]})<extra></extra>"
            ),
            showlegend=False,
        )
    )
    fig.add_vline(x=0, line={"color": "#374151", "width": 1})
    fig.update_layout(
        title=f"{subject_label(subject)}: effect by group of students (95% confidence intervals; "
        "blue: confirmatory)",
        xaxis_title="Effect on mean score (SD)",
        yaxis_title="Group of students",
        margin={"l": 260, "t": 50, "b": 50},
    )
    # Every subgroup keeps its label (plotly would skip some on a short categorical axis).
    fig.update_yaxes(tickmode="array", tickvals=labels, ticktext=labels, tickfont={"size": 10})
    # A row per subgroup: the chart is as tall as its rows need, on screen and printed (at a
    # share of the screen height, plotly would drop every other label).
    return figure_block(
        fig,
        f"fig-for-whom-{subject}",
        reading,
        height_px=FOREST_BASE_PX + FOREST_ROW_PX * len(labels),
        print_height_px=FOREST_PRINT_BASE_PX + FOREST_PRINT_ROW_PX * len(labels),
    )
