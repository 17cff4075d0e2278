"""Plain-language descriptions of a specification, for the ``method`` column and the report."""

from __future__ import annotations

from pipelines.estimates.specification import Analysis, CovariateTerm, Specification

_SUBJECTS = {"ela": "ELA", "math": "math", "science": "science"}
_ADJUSTMENT = {
    "reg": "outcome regression",
    "dr": "doubly robust (outcome regression and propensity score)",
    "ipw": "inverse propensity weighting",
}
_COMPARISON = {
    "nevertreated": "never-partnered comparison schools",
    "notyettreated": "not-yet-partnered and never-partnered comparison schools",
}
_REGRESSION_COMPARISON = {
    "sun_abraham": "never-partnered schools as the control cohort",
    "imputation": "untreated school-years (never or not yet partnered) impute the counterfactual",
    "twfe": "every school-year, already-partnered schools included, serves as comparison",
    "twfe_event_study": "every school-year, already-partnered schools included, serves as "
    "comparison",
}
_ESTIMATOR = {
    "callaway_santanna": "Callaway & Sant'Anna (2021) group-time effects",
    "sun_abraham": "Sun & Abraham (2021) interaction-weighted event study",
    "imputation": "Borusyak, Jaravel & Spiess (2024) imputation",
    "twfe": "two-way fixed effects (school and year)",
    "twfe_event_study": "two-way fixed-effects event study",
}


def covariate_text(terms: tuple[CovariateTerm, ...]) -> str:
    """What a covariate set adjusts for, in words ("" for none)."""
    parts = []
    for term in terms:
        if term.kind == "prior_achievement":
            subjects = " and ".join(_SUBJECTS.get(s, s) for s in term.subjects)
            parts.append(
                f"each cohort's prior achievement (mean {subjects} z over the {term.years} "
                "years before it started)"
            )
        elif term.kind == "prior_poverty":
            parts.append("poverty (free/reduced-price lunch share the year before)")
        else:
            parts.append(term.name or "")
    return " and ".join(parts)


def method_text(spec: Specification, analysis: Analysis) -> str:
    """One sentence naming the estimator, its adjustment, comparison and inference."""
    covariates = covariate_text(analysis.covariate_sets[spec.covariates])
    if spec.is_callaway_santanna:
        adjustment = (
            f"adjusted by {_ADJUSTMENT[spec.est_method]} for {covariates}"
            if covariates
            else "unadjusted"
        )
        bands = ", uniform bands" if spec.uniform_bands else ""
        support = (
            "; partnered schools with no comparable comparison school (fitted propensity >= "
            "0.999) set aside"
            if spec.common_support
            else ""
        )
        return (
            f"{_ESTIMATOR[spec.estimator]}, {adjustment}; {_COMPARISON[spec.control_group]}"
            f"{support}; school-clustered multiplier bootstrap ({spec.bootstrap_draws} "
            f"draws{bands})"
        )
    if any(t.kind != "column" for t in analysis.covariate_sets[spec.covariates]):
        # One regression fits every cohort: only the first cohort's window is pre-treatment
        # for all of them (covariates.Adjustment.regression_columns).
        covariates = covariates.replace("each cohort's", "the first cohort's")
    adjustment = f"covariate × year terms for {covariates}" if covariates else "no covariates"
    return (
        f"{_ESTIMATOR[spec.estimator]}, {adjustment}; "
        f"{_REGRESSION_COMPARISON[spec.estimator]}; standard errors clustered by school"
    )
