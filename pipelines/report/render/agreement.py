"""Appendix: every estimator side by side and, when published, the robustness checks."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pipelines.did.effect_size import (
    EQUIVALENCE_ADJUSTMENT,
    EQUIVALENCE_SATISFIED,
    classify_baseline_equivalence,
)
from pipelines.report.render import claims
from pipelines.report.render.figures import figure_block, interval_bars, subject_color
from pipelines.report.render.formatting import fmt_sd, html_text, subject_label
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section
from pipelines.report.render.tables import Cell, html_table

BALANCE_WORDS = {
    "satisfied": "Equivalent at baseline",
    "requires adjustment": "Needs statistical adjustment (the estimates adjust for it)",
    "not satisfied": "Not equivalent: the comparison fails the WWC standard",
    "unknown": "Not computed",
}


def render_estimators(inputs: ReportInputs) -> Section:
    """Every estimator side by side."""
    body = (
        "<p>The headline (Callaway and Sant'Anna) compares each cohort only with schools "
        "not partnered at the time. Other estimators make different choices; if they give "
        "similar answers the finding does not hinge on one method. Two-way fixed effects "
        "(TWFE), the traditional regression, can be biased when schools start in different "
        "years and effects grow over time, because it partly uses already-partnered schools "
        "as comparisons.</p>" + _comparison_figure(inputs) + _comparison_table(inputs)
    )
    return Section("estimators", "Every estimator side by side", body, part="appendix")


def render_robustness(inputs: ReportInputs) -> list[Section]:
    """Bacon, HonestDiD, randomization inference and baseline equivalence, when published."""
    robustness = inputs.robustness
    sections = []
    if robustness.bacon is not None:
        sections.append(
            Section(
                "bacon",
                "Goodman-Bacon decomposition",
                _bacon(robustness.bacon, inputs.subjects),
                part="appendix",
            )
        )
    if robustness.honest is not None:
        sections.append(
            Section(
                "honest-did",
                "Sensitivity to parallel trends (HonestDiD)",
                _honest(robustness.honest, inputs.subjects),
                part="appendix",
            )
        )
    if robustness.randomization is not None:
        sections.append(
            Section(
                "randomization",
                "Randomization inference",
                _randomization(robustness.randomization, inputs),
                part="appendix",
            )
        )
    if robustness.balance is not None:
        sections.append(
            Section(
                "baseline-equivalence",
                "Baseline equivalence",
                _balance(robustness.balance),
                part="appendix",
            )
        )
    return sections


def balance_rating(g: float) -> str:
    """The WWC verdict on a baseline difference of ``g`` standard deviations, in words."""
    return BALANCE_WORDS[classify_baseline_equivalence(g)]


def _comparison_figure(inputs: ReportInputs) -> str:
    comparison = inputs.comparison
    estimators = list(dict.fromkeys(comparison["estimator"]))
    position = {name: i for i, name in enumerate(estimators)}
    n_subjects = len(inputs.subjects)
    fig = go.Figure()
    for index, subject in enumerate(inputs.subjects):
        rows = comparison[comparison["subject"] == subject]
        offset = (index - (n_subjects - 1) / 2) * 0.18
        fig.add_trace(
            go.Scatter(
                x=rows["att"],
                y=[position[e] + offset for e in rows["estimator"]],
                mode="markers",
                name=subject_label(subject),
                marker={"size": 9, "color": subject_color(index)},
                error_x=interval_bars(
                    rows["att"], rows["ci_lower"], rows["ci_upper"], color=subject_color(index)
                ),
                customdata=rows[["estimator", "ci_lower", "ci_upper"]].to_numpy(),
                hovertemplate=(
                    "%{customdata[0]}: %{x:.3f} SD<br>95% CI %{customdata[1]:.3f} to "
                    "%{customdata[2]:.3f}<extra>%{fullData.name}</extra>"
                ),
            )
        )
    fig.add_vline(x=0, line={"color": "#374151", "width": 1})
    fig.update_layout(
        title="The overall effect by estimation method (95% confidence intervals)",
        xaxis_title="Overall effect on mean score (SD)",
        yaxis_title="Estimator",
        yaxis={
            "tickmode": "array",
            "tickvals": list(position.values()),
            "ticktext": estimators,
            "autorange": "reversed",
            "showgrid": False,
        },
        height=max(300, 140 + 60 * len(estimators)),
    )
    return figure_block(fig, "fig-methods-comparison", _comparison_reading(inputs))


def _comparison_reading(inputs: ReportInputs) -> str:
    sentences = [claims.comparison_sentence(inputs.comparison, s) for s in inputs.subjects]
    return " ".join(s for s in sentences if s)


def _comparison_table(inputs: ReportInputs) -> str:
    rows = [
        [
            Cell(str(r.estimator)),
            Cell(subject_label(r.subject)),
            Cell(fmt_sd(r.att), "num"),
            Cell(fmt_sd(r.se), "num"),
            Cell(f"{fmt_sd(r.ci_lower)} to {fmt_sd(r.ci_upper)}", "num"),
        ]
        for r in inputs.comparison.itertuples(index=False)
    ]
    return html_table(
        ["Estimator", "Subject", "Effect (SD)", "Std. error", "95% CI"],
        rows,
        caption="Overall effect by estimator",
    )


def _bacon(bacon: pd.DataFrame, subjects: list[str]) -> str:
    fig = go.Figure()
    readings = []
    for index, subject in enumerate(subjects):
        rows = bacon[bacon["subject"] == subject]
        if rows.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=100.0 * rows["weight"],
                y=rows["comparison_type"],
                orientation="h",
                name=subject_label(subject),
                marker_color=subject_color(index),
                customdata=rows["estimate"],
                hovertemplate=(
                    "%{y}: %{x:.1f}% of the weight, average estimate %{customdata:.3f} SD"
                    "<extra>%{fullData.name}</extra>"
                ),
            )
        )
        readings.append(claims.bacon_sentence(bacon, subject))
    fig.update_layout(
        title="Where the two-way fixed-effects estimate comes from (Goodman-Bacon)",
        xaxis_title="Share of the TWFE estimate's weight (%)",
        yaxis_title="Comparison type",
        barmode="group",
    )
    table_rows = [
        [
            Cell(subject_label(r.subject)),
            Cell(str(r.comparison_type)),
            Cell(f"{100 * r.weight:.1f}%", "num"),
            Cell(fmt_sd(r.estimate), "num"),
        ]
        for r in bacon.itertuples(index=False)
    ]
    return (
        "<p>Why two-way fixed effects differs: TWFE is a weighted average of simple "
        "two-group comparisons. Comparisons that use "
        "already-partnered schools as the control group can pull it away from the true effect "
        "when effects grow over time.</p>"
        + figure_block(fig, "fig-methods-bacon", " ".join(readings))
        + html_table(
            ["Subject", "Comparison type", "Weight", "Average estimate (SD)"],
            table_rows,
            caption="Goodman-Bacon decomposition of the TWFE estimate",
        )
    )


def _honest(honest: pd.DataFrame, subjects: list[str]) -> str:
    fig = go.Figure()
    readings = []
    for index, subject in enumerate(subjects):
        rows = honest[honest["subject"] == subject].sort_values("m")
        if rows.empty:
            continue
        offset = (index - (len(subjects) - 1) / 2) * 0.03 * float(rows["m"].max() or 1.0)
        middle = (rows["ci_lower"] + rows["ci_upper"]) / 2
        fig.add_trace(
            go.Scatter(
                x=rows["m"] + offset,
                y=middle,
                mode="markers",
                marker={"size": 1, "color": subject_color(index)},
                name=subject_label(subject),
                error_y=interval_bars(
                    middle,
                    rows["ci_lower"],
                    rows["ci_upper"],
                    color=subject_color(index),
                    thickness=3,
                    width=6,
                ),
                customdata=rows[["m", "ci_lower", "ci_upper"]].to_numpy(),
                hovertemplate=(
                    "M̄ = %{customdata[0]}: %{customdata[1]:.3f} to %{customdata[2]:.3f} SD"
                    "<extra>%{fullData.name}</extra>"
                ),
            )
        )
        readings.append(claims.honest_sentence(honest, subject))
    fig.add_hline(y=0, line={"color": "#374151", "width": 1})
    fig.update_layout(
        title="How robust is the effect to a violation of parallel trends? (HonestDiD)",
        xaxis_title="M̄: largest post-program trend violation, as a multiple of the pre-program one",
        yaxis_title="Robust 95% CI of the effect (SD)",
    )
    return (
        "<p>The estimates assume partnered schools would have kept pace with comparison schools "
        "without the program. Following Rambachan and Roth (2023), these intervals allow the "
        "trend after partnering to drift from parallel by up to M̄ times the largest drift seen "
        "before partnering.</p>" + figure_block(fig, "fig-methods-honest", " ".join(readings))
    )


def _randomization(randomization: pd.DataFrame, inputs: ReportInputs) -> str:
    sentences = [
        f"<li>{html_text(claims.randomization_sentence(row))}</li>"
        for row in randomization.itertuples(index=False)
    ]
    n_treated = int(inputs.overall["n_treated_schools"].max())
    return (
        f"<p>With only {n_treated} partnered schools, standard errors that assume many schools "
        "can be too small. Randomization inference asks instead how often chance alone, "
        "pretending other comparable schools had been partnered, produces an effect as large "
        "as the one found.</p>"
        f'<ul class="plain">{"".join(sentences)}</ul>'
    )


def _balance(balance: pd.DataFrame) -> str:
    rows = [
        [
            Cell(subject_label(r.subject)),
            Cell(fmt_sd(r.g), "num"),
            Cell(balance_rating(r.g)),
        ]
        for r in balance.itertuples(index=False)
    ]
    return (
        "<p>The What Works Clearinghouse asks how different the groups were before the program, "
        f"in SD: up to {EQUIVALENCE_SATISFIED} is equivalent, up to {EQUIVALENCE_ADJUSTMENT} is "
        "acceptable with statistical adjustment, more fails the standard. Because partnered "
        "schools were chosen for low scores, a large gap in levels is expected; the estimates "
        "compare changes, which is why the pre-trend checks matter more.</p>"
        + html_table(
            ["Subject", "Baseline difference (Hedges' g)", "WWC rating"],
            rows,
            caption="Pre-program difference between partnered and comparison schools",
        )
    )
