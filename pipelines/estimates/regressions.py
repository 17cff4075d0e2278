"""The comparison estimators on one subject: TWFE (static, event study), Sun–Abraham, imputation.

Covariates enter as covariate × year terms (see :func:`covariates.year_interactions`): with
school fixed effects a school-level covariate would otherwise drop out, and conditioning on it
is what makes these estimators comparable with the adjusted Callaway–Sant'Anna estimate.
Standard errors are clustered by school (each estimator's own analytic variance).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.estimates.covariates import GROUP, ID, TIME, year_interactions
from pipelines.estimates.specification import Analysis, Specification

EVENT_COLUMNS = ("event_time", "att", "se", "ci_lower", "ci_upper")


@dataclass(frozen=True)
class RegressionEstimates:
    """Overall effect (``None`` for the TWFE event study) and event-time rows (may be empty)."""

    overall: dict | None
    event_study: pd.DataFrame


def estimate_regression(
    frame: pd.DataFrame,
    outcome: str,
    covariates: list[str],
    spec: Specification,
    analysis: Analysis,
) -> RegressionEstimates:
    """Run the TWFE, Sun–Abraham or imputation estimator of ``spec`` on one subject's rows."""
    from pipelines.did import did_imputation, sun_abraham, twfe

    data, terms = year_interactions(frame, covariates) if covariates else (frame, [])
    xformla = terms or None
    counts = _school_counts(frame)
    if spec.estimator == "twfe":
        fit = twfe(data, outcome, TIME, ID, GROUP, xformla=xformla, alp=analysis.alpha)
        row = fit.to_frame().iloc[0]
        overall = _overall(row["estimate"], row["se"], row["ci_lower"], row["ci_upper"], counts)
        return RegressionEstimates(overall, _empty_event_study())
    if spec.estimator == "twfe_event_study":
        fit = twfe(
            data, outcome, TIME, ID, GROUP, xformla=xformla, dynamic=True, alp=analysis.alpha
        )
        return RegressionEstimates(None, _event_rows(fit.to_frame(), fit.ref_period))
    if spec.estimator == "sun_abraham":
        fit = sun_abraham(data, outcome, TIME, ID, GROUP, xformla=xformla, alp=analysis.alpha)
        overall = _overall(fit.overall_att, fit.overall_se, *fit.overall_ci, counts)
        return RegressionEstimates(overall, _event_rows(fit.to_frame(), fit.ref_period))
    fit = did_imputation(
        data,
        outcome,
        TIME,
        ID,
        GROUP,
        xformla=xformla,
        pretrends=spec.pretrends,
        alp=analysis.alpha,
    )
    overall = _overall(fit.overall_att, fit.overall_se, *fit.overall_ci, counts)
    # The leads are Test-1 coefficients relative to the years before them, not to event time -1.
    return RegressionEstimates(overall, _event_rows(fit.to_frame(), None))


def _school_counts(frame: pd.DataFrame) -> tuple[int, int]:
    cohort = frame.groupby(ID)[GROUP].first()
    return int((cohort > 0).sum()), int((cohort == 0).sum())


def _overall(att, se, lower, upper, counts: tuple[int, int]) -> dict:
    return {
        "att": float(att),
        "se": float(se),
        "ci_lower": float(lower),
        "ci_upper": float(upper),
        "n_treated_schools": counts[0],
        "n_comparison_schools": counts[1],
    }


def _event_rows(frame: pd.DataFrame, reference_period: int | None) -> pd.DataFrame:
    rows = frame[frame["event_time"].notna()].rename(columns={"estimate": "att"})
    rows = rows[list(EVENT_COLUMNS)].assign(
        interval="pointwise",
        reference_period=pd.array([reference_period] * len(rows), dtype="Int64"),
    )
    return rows.astype({"event_time": int}).reset_index(drop=True)


def _empty_event_study() -> pd.DataFrame:
    return _event_rows(pd.DataFrame(columns=["event_time", "estimate", *EVENT_COLUMNS[2:]]), None)
