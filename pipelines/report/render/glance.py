"""At a glance: the overall effect per subject, in words a superintendent can repeat."""

from __future__ import annotations

from pipelines.did.effect_size import SUBSTANTIVELY_IMPORTANT, improvement_index
from pipelines.report.render.formatting import (
    fmt_count,
    fmt_points,
    fmt_sd,
    html_text,
    includes_zero,
    subject_label,
)
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section


def headline_sentence(
    subject: str, att: float, ci_lower: float, ci_upper: float, n_treated: int
) -> str:
    """The one sentence about one subject: effect in SD and percentile points with its CI."""
    name = subject_label(subject)
    points = improvement_index(att)
    low_points, high_points = improvement_index(ci_lower), improvement_index(ci_upper)
    if includes_zero(ci_lower, ci_upper):
        return (
            f"{name}: the estimated effect of partnering is {fmt_sd(att)} standard deviations "
            f"(about {fmt_points(points)} percentile points), but its 95% confidence interval, "
            f"{fmt_sd(ci_lower)} to {fmt_sd(ci_upper)} standard deviations, includes zero, so "
            "the effect is not distinguishable from zero."
        )
    direction = "higher" if att > 0 else "lower"
    return (
        f"{name}: students in the {n_treated} partnered schools scored {fmt_sd(abs(att))} "
        f"standard deviations {direction} than they would have without the program, about "
        f"{fmt_points(abs(points))} percentile points (95% confidence interval: "
        f"{fmt_sd(ci_lower)} to {fmt_sd(ci_upper)} standard deviations, or "
        f"{fmt_points(low_points)} to {fmt_points(high_points)} percentile points)."
    )


def render(inputs: ReportInputs) -> Section:
    cards = "".join(_card(row) for row in inputs.overall.itertuples(index=False))
    n_treated = int(inputs.overall["n_treated_schools"].max())
    n_comparison = int(inputs.overall["n_comparison_schools"].max())
    substantive_points = improvement_index(SUBSTANTIVELY_IMPORTANT)
    body = (
        '<p class="lead">We compare how students in partnered schools scored with how they would '
        "have scored without the program, estimated from the score trends of "
        f"{fmt_count(n_comparison)} comparison schools that were not (or not yet) partnered. "
        f"{n_treated} schools were partnered. Effects are in standard deviations (SD) of "
        "student scores and in percentile points: how far the average student would move from "
        "the 50th percentile.</p>"
        f'<div class="cards">{cards}</div>'
        '<p class="note">How big is that? The What Works Clearinghouse calls an effect of '
        f"{SUBSTANTIVELY_IMPORTANT:.2f} SD (about {fmt_points(substantive_points)} "
        "percentile points) substantively important. Coaching studies find about 0.18 SD in "
        "small trials and much less at scale; a statewide program is more likely to move scores "
        "by 0.02 to 0.10 SD. The 95% confidence interval is the range of effects consistent "
        "with the data.</p>"
    )
    return Section("at-a-glance", "At a glance", body)


def _card(row) -> str:
    points = improvement_index(row.att)
    sign = "+" if row.att > 0 else ""
    if includes_zero(row.ci_lower, row.ci_upper):
        verdict = '<span class="verdict unclear">Not distinguishable from zero</span>'
    elif row.att > 0:
        verdict = '<span class="verdict positive">Positive</span>'
    else:
        verdict = '<span class="verdict negative">Negative</span>'
    sentence = headline_sentence(
        row.subject, row.att, row.ci_lower, row.ci_upper, int(row.n_treated_schools)
    )
    return (
        f'<div class="card" data-subject="{html_text(row.subject)}">'
        f"<h3>{html_text(subject_label(row.subject))}{verdict}</h3>"
        f'<p class="big-number">{sign}{fmt_sd(row.att)} <span class="unit">SD</span></p>'
        f'<p class="secondary-number">{sign}{fmt_points(points)} percentile points</p>'
        f'<p class="ci">95% CI {fmt_sd(row.ci_lower)} to {fmt_sd(row.ci_upper)} SD · '
        f"{fmt_points(improvement_index(row.ci_lower))} to "
        f"{fmt_points(improvement_index(row.ci_upper))} points</p>"
        f'<p class="headline">{html_text(sentence)}</p>'
        f'<p class="table-note">Method: {html_text(row.method)}. '
        f"{int(row.n_treated_schools)} partnered and {fmt_count(row.n_comparison_schools)} "
        "comparison schools.</p></div>"
    )
