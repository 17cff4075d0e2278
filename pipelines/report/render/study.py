"""What the reader must know: the program, what the estimate means, which schools, overlap, MDE.

Each fact comes from a published table through :mod:`pipelines.report.render.claims`; a part
whose table is not published is left out (or said to be unavailable), never guessed.
"""

from __future__ import annotations

from pipelines.report.render import claims
from pipelines.report.render.formatting import fmt_count, html_text, school_year
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section


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
    exits = (
        [claims.exit_sentence(study.exit, s) for s in inputs.subjects]
        if study.exit is not None
        else []
    )
    exits = [e for e in exits if e]
    if exits:
        parts.append(
            "<p>Beside it, effects by the number of years a school was actually partnered:</p>"
            '<ul class="plain">' + "".join(f"<li>{html_text(e)}</li>" for e in exits) + "</ul>"
        )
    else:
        parts.append("<p>Effects by years actually partnered are not available in this run.</p>")
    if study.levels is not None:
        parts.append("<h3>Which schools are in the analysis</h3>")
        parts.append(f"<p>{html_text(claims.schools_sentence(study.levels))}</p>")
    parts.append("<h3>Comparable comparison schools (overlap)</h3>")
    overlap = (
        [claims.overlap_sentence(study.overlap, s) for s in inputs.subjects]
        if study.overlap is not None
        else []
    )
    overlap = [o for o in overlap if o]
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
    """For whom: subgroup effects, or the plain statement that they are not yet estimated."""
    sentence = claims.for_whom_sentence(inputs.study.published_tables)
    body = (
        f"<p>{html_text(sentence)}</p>"
        if sentence
        else "<p>Subgroup estimates are published but not yet shown in this report.</p>"
    )
    return Section("for-whom", "For whom", body, part="findings")
