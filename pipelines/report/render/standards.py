"""Evidence standards: the study against the WWC 5.0 group-design standards for QEDs, and the
ESSA evidence tier the design can support. Every line is computed from the published tables.

Each check returns a :class:`Check` (``met``, ``not met`` or ``not assessable``, and why).
The text is our own summary of the standards: a QED is eligible for "Meets WWC Standards With
Reservations" at best; it must show baseline equivalence of the analytic sample on the
outcome's pre-program measure (|g| ≤ 0.05 as is, 0.05 to 0.25 with statistical adjustment);
no confounding factor (e.g. a cohort that is one school, or whose schools all sit in one
system, so the program cannot be told from that school or system); inference that accounts
for clustering when schools, not students, are assigned; effects as Hedges' g with the
improvement index. ESSA: tier 2 (moderate) needs a QED meeting WWC standards with reservations
and a statistically significant positive effect on a relevant outcome (with a large, multisite
sample); tier 3 (promising) needs a significant positive effect from a study with statistical
controls for selection bias; tier 4 (demonstrates a rationale) needs only a logic model and
an evaluation under way.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.did.effect_size import EQUIVALENCE_ADJUSTMENT, EQUIVALENCE_SATISFIED
from pipelines.report.render.formatting import fmt_sd, html_text, school_year, subject_label
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section
from pipelines.report.render.tables import html_table

MET, NOT_MET, NOT_ASSESSABLE = "met", "not met", "not assessable"


@dataclass(frozen=True)
class Check:
    standard: str
    verdict: str
    reason: str


def baseline_checks(
    balance: pd.DataFrame | None, outcome: str, overall: pd.DataFrame
) -> list[Check]:
    """Baseline equivalence on the analytic sample, one line per outcome (subject)."""
    checks = []
    counts = overall.set_index("subject")[["n_treated_schools", "n_comparison_schools"]]
    for subject in overall["subject"]:
        name = f"Baseline equivalence, {subject_label(subject)}"
        rows = (
            balance[(balance["subject"] == subject) & (balance["variable"] == outcome)]
            if balance is not None
            else pd.DataFrame()
        )
        if rows.empty:
            checks.append(Check(name, NOT_ASSESSABLE, "no baseline difference is published"))
            continue
        row = rows.iloc[0]
        g = float(row["hedges_g"])
        sample = ""
        if {"n_treated", "n_comparison"} <= set(rows.columns):
            analytic = (int(row["n_treated"]), int(row["n_comparison"])) == tuple(
                int(v) for v in counts.loc[subject]
            )
            sample = (
                f" on the analytic sample ({int(row['n_treated'])} partnered, "
                f"{int(row['n_comparison'])} comparison schools)"
                if analytic
                else f" on {int(row['n_treated'])} partnered and {int(row['n_comparison'])} "
                "comparison schools, not the analytic sample of the headline"
            )
            if not analytic:
                checks.append(Check(name, NOT_ASSESSABLE, f"g = {fmt_sd(g)}{sample}"))
                continue
        if abs(g) <= EQUIVALENCE_SATISFIED:
            checks.append(
                Check(name, MET, f"g = {fmt_sd(g)}{sample}, within ±{EQUIVALENCE_SATISFIED}")
            )
        elif abs(g) <= EQUIVALENCE_ADJUSTMENT:
            checks.append(
                Check(
                    name,
                    MET,
                    f"g = {fmt_sd(g)}{sample}, between {EQUIVALENCE_SATISFIED} and "
                    f"{EQUIVALENCE_ADJUSTMENT}: met only because the estimates adjust for prior "
                    "achievement",
                )
            )
        else:
            checks.append(
                Check(
                    name,
                    NOT_MET,
                    f"g = {fmt_sd(g)}{sample}, beyond ±{EQUIVALENCE_ADJUSTMENT}: partnered schools "
                    "were chosen for low scores, so the groups differ in level; the design "
                    "compares changes, which the standard does not credit",
                )
            )
    return checks


def confounding_check(cohorts: pd.DataFrame | None) -> Check:
    """A cohort of one school, or all of a cohort's schools in one system, is a confound."""
    name = "No confounding factor (cohort of one school or one system)"
    if cohorts is None or cohorts.empty:
        return Check(name, NOT_ASSESSABLE, "the partnered schools by cohort are not available")
    problems = [
        f"cohort {school_year(int(r.cohort))} is a single school"
        if r.n_schools == 1
        else f"every school of cohort {school_year(int(r.cohort))} is in one system"
        for r in cohorts.itertuples(index=False)
        if r.n_schools == 1 or r.n_systems == 1
    ]
    if problems:
        return Check(name, NOT_MET, "; ".join(problems))
    spread = ", ".join(
        f"cohort {school_year(int(r.cohort))}: {int(r.n_schools)} schools in "
        f"{int(r.n_systems)} systems"
        for r in cohorts.itertuples(index=False)
    )
    return Check(name, MET, spread)


def clustering_check(overall: pd.DataFrame) -> Check:
    """Schools are assigned, so inference must be clustered by school."""
    name = "Inference corrected for clustering"
    methods = " ".join(overall["method"].astype(str)).lower()
    if "cluster" in methods:
        return Check(
            name, MET, "schools were assigned; standard errors and bootstrap are school-clustered"
        )
    return Check(name, NOT_ASSESSABLE, "the published method does not say how it clusters")


def effect_size_check() -> Check:
    return Check(
        "Effect sizes as Hedges' g with the improvement index",
        MET,
        "outcomes are z-scores in student standard deviations; every effect is also given in "
        "improvement-index percentile points (100·Φ(g) − 50)",
    )


def design_check() -> Check:
    return Check(
        "Eligible design",
        MET,
        "a quasi-experimental comparison-group design (schools were not assigned at random): "
        "the highest rating it can receive is Meets WWC Standards With Reservations",
    )


def wwc_checks(inputs: ReportInputs) -> list[Check]:
    study = inputs.study
    balance = study.balance if study.balance is not None else None
    return [
        design_check(),
        *baseline_checks(balance, study.outcome, inputs.overall),
        confounding_check(study.cohorts),
        clustering_check(inputs.overall),
        effect_size_check(),
    ]


def _sample(inputs: ReportInputs) -> Check:
    schools = inputs.program.schools
    n_students = int(schools["n_students"].sum()) if not schools.empty else None
    # Systems over all cohorts: the partnered schools' systems, counted once.
    n_systems = int(schools["system_name"].nunique()) if not schools.empty else None
    return sample_check(n_students, n_systems)


ESSA_MIN_STUDENTS = 350
ESSA_MIN_SITES = 2


def sample_check(n_students: int | None, n_systems: int | None) -> Check:
    """ESSA's large, multisite sample: at least 350 students in at least 2 sites (systems)."""
    name = "Large, multisite sample (ESSA tiers 1 and 2)"
    if n_students is None or n_systems is None:
        return Check(name, NOT_ASSESSABLE, "the partnered students or systems are not available")
    reason = (
        f"{n_students:,} students tested in the partnered schools the year before partnering, "
        f"in {n_systems} systems"
    )
    if n_students >= ESSA_MIN_STUDENTS and n_systems >= ESSA_MIN_SITES:
        return Check(name, MET, reason)
    return Check(name, NOT_MET, reason)


def essa_tier(checks: list[Check], overall: pd.DataFrame) -> tuple[str, str]:
    """The ESSA tier the design supports and why (``checks`` include the sample check)."""
    positive = [subject_label(r.subject) for r in overall.itertuples(index=False) if r.ci_lower > 0]
    negative = [subject_label(r.subject) for r in overall.itertuples(index=False) if r.ci_upper < 0]
    failed = [c.standard for c in checks if c.verdict == NOT_MET]
    unknown = [c.standard for c in checks if c.verdict == NOT_ASSESSABLE]
    if not positive or negative:
        return (
            "Tier 4 (demonstrates a rationale)",
            "no subject shows a statistically significant positive effect without a significant "
            "negative one, which tiers 1 to 3 require",
        )
    if not failed and not unknown:
        return (
            "Tier 2 (moderate evidence)",
            f"a QED that meets the checked WWC standards with a statistically significant "
            f"positive effect in {', '.join(positive)} and a large, multisite sample",
        )
    return (
        "Tier 3 (promising evidence)",
        f"statistically significant positive effects in {', '.join(positive)} from a design "
        "with statistical controls for selection, but tier 2 needs the WWC standards met, and "
        f"these are not: {'; '.join(failed + unknown)}. Tier 1 needs a randomized trial.",
    )


def render(inputs: ReportInputs) -> Section:
    checks = wwc_checks(inputs)
    rows = [[c.standard, c.verdict.capitalize(), c.reason] for c in checks]
    sample = _sample(inputs)
    rows.append([sample.standard, sample.verdict.capitalize(), sample.reason])
    tier, why = essa_tier([*checks, sample], inputs.overall)
    body = (
        "<p>The study checked against the What Works Clearinghouse group-design standards "
        "(version 5.0) for quasi-experimental designs, line by line, from the published "
        "tables.</p>"
        + html_table(["Standard", "Verdict", "Why"], rows, caption="WWC 5.0 group-design standards")
        + f"<p><strong>ESSA evidence tier this design can support: {html_text(tier)}.</strong> "
        f"{html_text(why[0].upper() + why[1:])}.</p>"
    )
    return Section("evidence-standards", "Evidence standards (WWC and ESSA)", body, part="appendix")
