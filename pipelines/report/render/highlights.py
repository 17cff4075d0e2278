"""Highlights: the bottom line per subject in plain words, first on screen and on page 1."""

from __future__ import annotations

from pipelines.did.effect_size import SUBSTANTIVELY_IMPORTANT, improvement_index
from pipelines.report.render import claims
from pipelines.report.render.formatting import fmt_points, fmt_sd, html_text, subject_label
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section

VERDICT_CLASS = {"rose": "positive", "fell": "negative", "cannot tell": "unclear"}
VERDICT_LABEL = {"rose": "Rose", "fell": "Fell", "cannot tell": "Cannot tell"}


def render(inputs: ReportInputs) -> Section:
    overall = inputs.overall
    study = inputs.study
    cards = "".join(_card(row) for row in overall.itertuples(index=False))
    n_treated = int(overall["n_treated_schools"].max())
    n_comparison = int(overall["n_comparison_schools"].max())
    notes = [claims.design_sentence(study.control_group, n_treated, n_comparison)]
    estimand = claims.estimand_sentence(
        study.estimands, study.n_partnered or n_treated, study.n_left or 0
    )
    if estimand:
        notes.append(estimand)
    elif study.n_left is not None and study.n_partnered:
        notes.append(claims.leavers_sentence(study.n_partnered, study.n_left))
    if study.mde is not None:
        smallest = claims.mde_range(study.mde)
        if smallest:
            notes.append(smallest)
    for_whom = claims.for_whom_sentence(study.published_tables)
    if for_whom:
        notes.append(for_whom)
    notes.append(
        "Percentile points are how far the average student would move from the 50th "
        f"percentile; the What Works Clearinghouse calls {SUBSTANTIVELY_IMPORTANT:.2f} SD (about "
        f"{fmt_points(improvement_index(SUBSTANTIVELY_IMPORTANT))} points) substantively "
        "important. The findings and the technical appendix follow."
    )
    body = (
        f'<p class="bottom-line">{html_text(claims.bottom_line(overall))}</p>'
        f'<div class="cards">{cards}</div>'
        '<ul class="highlight-notes">'
        + "".join(f"<li>{html_text(note)}</li>" for note in notes)
        + "</ul>"
    )
    return Section("highlights", "Highlights", body, part="highlights")


def _card(row) -> str:
    word = claims.verdict(row.att, row.ci_lower, row.ci_upper)
    points = claims.points(row.att)
    sign = "+" if points > 0 else ""
    sentence = claims.subject_highlight(row.subject, row.att, row.ci_lower, row.ci_upper)
    return (
        f'<div class="card" data-subject="{html_text(row.subject)}">'
        f"<h3>{html_text(subject_label(row.subject))}"
        f'<span class="verdict {VERDICT_CLASS[word]}">{VERDICT_LABEL[word]}</span></h3>'
        f'<p class="big-number">{sign}{fmt_points(points)} '
        '<span class="unit">percentile points</span></p>'
        f'<p class="ci">95% CI {html_text(claims.interval_points(row.ci_lower, row.ci_upper))}'
        f" · {fmt_sd(row.att)} SD ({fmt_sd(row.ci_lower)} to {fmt_sd(row.ci_upper)})</p>"
        f'<p class="headline">{html_text(sentence)}</p></div>'
    )
