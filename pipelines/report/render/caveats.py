"""Caveats, and the methods appendix for readers who want the details."""

from __future__ import annotations

from pipelines.did.effect_size import improvement_index
from pipelines.privacy.suppression import MIN_CELL_SIZE
from pipelines.report.render import claims
from pipelines.report.render.claims import pretrend_rejected
from pipelines.report.render.figures import untested_years, years_test_changed
from pipelines.report.render.formatting import fmt_count, html_text, school_year, subject_label
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section, provenance_line


def render_caveats(inputs: ReportInputs) -> Section:
    facts = inputs.data
    n_treated = int(inputs.overall["n_treated_schools"].max())
    changes = ", ".join(school_year(y) for y in years_test_changed(facts.tests))
    gaps = untested_years(facts.tests, facts.first_year, facts.last_year)
    gap_text = (
        f" No state test was given in {', '.join(school_year(y) for y in gaps)}." if gaps else ""
    )
    items = [
        (
            "This is not a randomized trial.",
            "Schools were not assigned to the program by lottery. The estimates rely on "
            "comparison schools showing what would have happened to partnered schools without "
            "the program (the parallel-trends assumption). " + _pretrend_caveat(inputs),
        ),
        (
            "Partnered schools were chosen because they were low-performing.",
            "Schools picked after a bad year tend to bounce back anyway (regression to the "
            "mean). Comparing partnered schools with their own past, or with average schools, "
            "would overstate the effect; the design compares changes against similar trends, "
            "and the pre-program checks look for the bounce.",
        ),
        (
            "The state test changed.",
            f"New tests began in {changes}.{gap_text} Scores are standardized within each test, "
            "so effects are relative standings in the state, not points on a fixed scale, and "
            "a test that measures different skills can change who looks strong.",
        ),
        (
            f"Few schools were partnered ({n_treated}).",
            "With so few partnered schools, estimates are noisy and conventional standard "
            "errors can be too small; the report uses school-clustered bootstrap intervals and, "
            "where available, randomization inference. "
            + (
                claims.mde_range(inputs.study.mde) or ""
                if inputs.study.mde is not None
                else "How small an effect this design could detect is not available in this run."
            ),
        ),
        (
            "What the data cannot say.",
            "Which parts of partnering (co-planning, modeling, feedback) cause any gain; whether "
            "effects differ by teacher or student; whether results would carry over to other "
            "schools, partners or states; effects on outcomes other than state test scores; "
            "and cost-effectiveness. Dose comparisons are associations, not causal effects.",
        ),
    ]
    body = (
        '<ul class="caveats">'
        + "".join(
            f"<li><strong>{html_text(title)}</strong> {html_text(text)}</li>"
            for title, text in items
        )
        + "</ul>"
    )
    return Section("caveats", "What the findings cannot tell", body, part="findings")


def _subgroup_methods(inputs: ReportInputs) -> str:
    """How the subgroup effects and their differences are estimated, when published."""
    if inputs.study.subgroups is None:
        return ""
    return (
        "<h3>Subgroups</h3>"
        "<p>The headline estimator is repeated on each group's students (a school × group "
        "panel). Differences between groups compare them within the same schools: the yearly "
        "gap between the two groups' mean scores, estimated by imputation over every "
        "pre-program year, which is more precise than comparing the separate estimates; grade "
        "band and school level, whose groups sit mostly in different schools, are compared "
        "through their separate estimates. Each dimension has a Wald test that its groups' "
        "effects are equal, with Benjamini-Hochberg q-values within the confirmatory and the "
        "exploratory family, and a minimum detectable difference: the smallest difference "
        "between two groups these data would find four times in five.</p>"
    )


def render_methods(inputs: ReportInputs) -> Section:
    methods = "".join(
        f"<li>{html_text(m)}</li>" for m in dict.fromkeys(inputs.overall["method"].astype(str))
    )
    body = (
        "<h3>Design</h3>"
        "<p>Staggered adoption difference-in-differences on a school × subject × year panel of "
        "student-weighted mean z-scores. A school's cohort is its first partnered spring year "
        "(from the official program list, cross-checked against the partners' logs). The "
        "main estimator is Callaway and Sant'Anna (2021): a separate effect for each cohort "
        "and year, ATT(g,t), each comparing that cohort's change since the year before "
        "partnering with the change in schools not partnered by then; these are averaged into "
        "the overall effect (weighted by cohort size), the event study (by years since "
        "partnering) and cohort and calendar-year summaries. Sun and Abraham (2021), the "
        "imputation estimator of Borusyak, Jaravel and Spiess (2024) and two-way fixed effects "
        "are shown for comparison, with the Goodman-Bacon (2021) decomposition explaining any "
        "gap.</p>"
        f'<p>Specification of the headline estimates:</p><ul class="plain">{methods}</ul>'
        "<h3>Inference</h3>"
        "<p>Standard errors are clustered by school. Confidence intervals are 95%; event-study "
        "intervals come from the school-level multiplier bootstrap. The joint pre-trend test "
        "is a Wald test that all pre-program ATT(g,t) are zero. HonestDiD (Rambachan and Roth "
        "2023) bounds the effect under limited violations of parallel trends.</p>"
        + _subgroup_methods(inputs)
        + "<h3>Effect sizes</h3>"
        "<p>Outcomes are z-scores standardized within test × subject × grade × year over all "
        "valid scores in the state, so effects are in student standard deviations (comparable "
        "to Hedges' g). The improvement index is 100·Φ(g) − 50 percentile points, where Φ is "
        "the standard normal distribution function, applied to the estimate and to each end "
        f"of its interval (for example 0.10 SD is {improvement_index(0.10):.1f} points). "
        "Baseline equivalence follows the What Works Clearinghouse bands.</p>"
        "<h3>Privacy</h3>"
        f"<p>Counts under {MIN_CELL_SIZE} students are suppressed, with complementary "
        "suppression checked exactly: no hidden count can be solved for from the published "
        f"counts and totals. Averages over fewer than {MIN_CELL_SIZE} students are not shown. "
        "Student identifiers are pseudonymized with a keyed hash at ingest; names, birth dates "
        "and partners' free-text notes never leave the warehouse.</p>"
    )
    return Section("methods", "Methods", body, part="appendix")


def render_provenance(inputs: ReportInputs) -> Section:
    """Which files and which run the report was built from, with the ledger hash."""
    facts = inputs.data
    body = (
        f"<p>{provenance_line(facts)}. {fmt_count(facts.rows_loaded)} rows loaded and "
        f"{fmt_count(facts.rows_rejected)} rejected, each with its reason in the ingest "
        "ledger. Produced by partner-impact from the published marts; rerunning it on the same "
        "files reproduces this report.</p>"
    )
    return Section("provenance", "Provenance", body, part="appendix")


def _pretrend_caveat(inputs: ReportInputs) -> str:
    """What the pre-program checks say about parallel trends, in the caveat's words."""
    rejected = pretrend_rejected(inputs.pretrend)
    if not rejected:
        return "The pre-program checks support it but cannot prove it."
    subjects = ", ".join(subject_label(subject) for subject in rejected)
    return (
        f"For {subjects}, the pre-program check rejects it: partnered schools were "
        "already moving differently before partnering, so read those estimates with the "
        "sensitivity analysis beside them."
    )
