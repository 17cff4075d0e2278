"""A Callaway–Sant'Anna specification on one subject: ATT(g,t), its aggregations, pre-test."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.estimates.covariates import GROUP, ID, TIME
from pipelines.estimates.specification import Analysis, Specification

AGGREGATIONS = ("simple", "dynamic", "group", "calendar")
_KEY = {"dynamic": "event_time", "group": "group", "calendar": "time"}


OVERLAP_COLUMNS = ("cohort", "n_treated", "n_outside_support", "n_comparison", "rule")


@dataclass(frozen=True)
class CallawayEstimates:
    """Frames for the estimate marts plus the fitted objects later steps reuse."""

    result: object  # pipelines.did.AttGtResult
    attgt: pd.DataFrame
    aggregate: pd.DataFrame
    event_study: pd.DataFrame
    pretrend: pd.DataFrame
    overall: dict | None  # att, se, df, ci_lower, ci_upper, n_treated_schools, ...; None: none
    overlap: pd.DataFrame  # OVERLAP_COLUMNS, one row per cohort checked (dr, ipw)
    not_estimable: str = ""
    """Why some cells could not be estimated (no overlap), in words; "" when all were."""
    n_set_aside: int = 0  # partnered schools outside support set aside (common support)


def att_gt_arguments(
    spec: Specification, analysis: Analysis, covariates: list[str] | dict[int, list[str]] | None
) -> dict:
    """Keyword arguments of ``pipelines.did.att_gt`` for ``spec`` (beyond the data columns).

    ``covariates`` is ``att_gt``'s ``xformla``: columns, or columns by cohort.
    """
    return {
        "xformla": covariates or None,
        "control_group": spec.control_group,
        "est_method": spec.est_method,
        "anticipation": spec.anticipation,
        "base_period": spec.base_period,
        "bstrap": True,
        "biters": spec.bootstrap_draws,
        "cband": spec.uniform_bands,
        "alp": analysis.alpha,
        "random_state": analysis.seed,
    }


def estimate_callaway(
    frame: pd.DataFrame,
    outcome: str,
    covariates: list[str] | dict[int, list[str]] | None,
    spec: Specification,
    analysis: Analysis,
) -> CallawayEstimates:
    """Run ``att_gt`` and all four ``aggte`` aggregations of ``spec`` on one subject's rows."""
    from pipelines.did import aggte, att_gt
    from pipelines.did.overlap import OverlapWarning

    arguments = att_gt_arguments(spec, analysis, covariates)
    set_aside = pd.DataFrame(columns=OVERLAP_COLUMNS)
    if spec.common_support:
        frame, set_aside = common_support_sample(frame, outcome, covariates, spec)
    with warnings.catch_warnings():
        # The refusal is reported in words below (not_estimable), not as a warning.
        warnings.simplefilter("ignore", OverlapWarning)
        result = att_gt(frame, outcome, TIME, ID, GROUP, **arguments)
    refused = result.not_estimable
    attgt = result.to_frame()
    attgt.insert(2, "event_time", attgt["time"] - attgt["group"])
    pretrend = pd.DataFrame(
        {
            "test": ["Wald test that every pre-program ATT(g,t) is zero"],
            "statistic": [result.pretest_stat],
            "df": [result.pretest_df],
            "p_value": [result.pretest_pvalue],
        }
    )
    if refused and not (~np.isnan(result.att) & (result.group <= result.time)).any():
        # No cohort has an effect that could be estimated: nothing to aggregate.
        return CallawayEstimates(
            result=result,
            attgt=attgt.astype({"group": int, "time": int, "event_time": int}),
            aggregate=pd.DataFrame(),
            event_study=pd.DataFrame(),
            pretrend=pretrend,
            overall=None,
            overlap=set_aside if spec.common_support else _overlap_frame(result),
            not_estimable=_refusal(refused, result),
            n_set_aside=int(set_aside["n_outside_support"].sum()),
        )
    aggregates = {
        kind: aggte(result, type=kind, random_state=analysis.seed, na_rm=bool(refused))
        for kind in AGGREGATIONS
    }
    simple = aggregates["simple"]
    lower, upper = simple.overall_ci
    treated = np.isfinite(result.unit_group) & np.isin(result.unit_group, result.group)
    overall = {
        "att": simple.overall_att,
        "se": simple.overall_se,
        "df": simple.overall_df,
        "ci_lower": lower,
        "ci_upper": upper,
        "n_treated_schools": int(treated.sum()),
        "n_comparison_schools": int(np.isinf(result.unit_group).sum()),
    }
    return CallawayEstimates(
        result=result,
        attgt=attgt.astype({"group": int, "time": int, "event_time": int}),
        aggregate=_aggregate_frame(aggregates),
        event_study=_event_study_frame(aggregates["dynamic"], spec),
        pretrend=pretrend,
        overall=overall,
        overlap=set_aside if spec.common_support else _overlap_frame(result),
        not_estimable=_refusal(refused, result),
        n_set_aside=int(set_aside["n_outside_support"].sum()),
    )


def common_support_sample(
    frame: pd.DataFrame, outcome: str, covariates, spec: Specification
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` without the partnered schools outside support, and the overlap rows.

    Support is judged as R did's overlap guard judges it (``pipelines.did.overlap``), cohort by
    cohort against the specification's comparison schools.
    """
    from pipelines.did.overlap import RULE, outside_support

    outside = outside_support(
        frame,
        outcome,
        TIME,
        ID,
        GROUP,
        xformla=covariates or None,
        control_group=spec.control_group,
        anticipation=spec.anticipation,
    )
    schools = frame.drop_duplicates(ID)
    comparison = (schools[GROUP] == 0).sum()
    rows = []
    for cohort in sorted(schools.loc[schools[GROUP] > 0, GROUP].unique()):
        if spec.control_group == "notyettreated":
            comparison = ((schools[GROUP] == 0) | (schools[GROUP] > cohort)).sum()
        rows.append(
            {
                "cohort": int(cohort),
                "n_treated": int((schools[GROUP] == cohort).sum()),
                "n_outside_support": len(outside.get(float(cohort), [])),
                "n_comparison": int(comparison),
                "rule": RULE,
            }
        )
    dropped = [school for ids in outside.values() for school in ids]
    return frame[~frame[ID].isin(dropped)], pd.DataFrame(rows, columns=OVERLAP_COLUMNS)


def _overlap_frame(result) -> pd.DataFrame:
    from pipelines.did.overlap import RULE

    rows = [
        {
            "cohort": int(record.group),
            "n_treated": record.n_treated,
            "n_outside_support": record.n_outside_support,
            "n_comparison": record.n_comparison,
            "rule": RULE,
        }
        for record in result.overlap
    ]
    return pd.DataFrame(rows, columns=OVERLAP_COLUMNS)


def _refusal(refused, result) -> str:
    """The overlap refusal in words, with what the aggregates still cover."""
    if not refused:
        return ""
    parts = [
        f"cohort {record.group:g}: {record.n_outside_support} of {record.n_treated} partnered "
        f"schools have no comparable comparison school (fitted propensity >= 0.999); those "
        "cells are not estimable"
        for record in refused
    ]
    estimated = ~np.isnan(result.att) & (result.group <= result.time)
    kept = sorted({int(g) for g in result.group[estimated]})
    if not kept:
        return "; ".join(parts) + ". No cohort has an estimable effect: nothing is aggregated"
    covered = ", ".join(str(g) for g in kept)
    return (
        "; ".join(parts)
        + f". Aggregates cover the cells that could be estimated (cohorts {covered}; R's "
        "na.rm); no overall effect is published for this specification"
    )


def _aggregate_frame(aggregates: dict) -> pd.DataFrame:
    """Overall row (key missing, pointwise interval) then components (uniform if banded)."""
    frames = []
    for kind, aggregate in aggregates.items():
        lower, upper = aggregate.overall_ci
        frames.append(
            pd.DataFrame(
                {
                    "aggregation": [kind],
                    "key": [pd.NA],
                    "att": [aggregate.overall_att],
                    "se": [aggregate.overall_se],
                    "ci_lower": [lower],
                    "ci_upper": [upper],
                    "interval": ["pointwise"],
                }
            )
        )
        if kind == "simple":
            continue
        components = aggregate.to_frame().rename(columns={_KEY[kind]: "key"})
        components.insert(0, "aggregation", kind)
        components["interval"] = "uniform" if aggregate.inference.cband else "pointwise"
        frames.append(components)
    frame = pd.concat(frames, ignore_index=True)
    return frame.astype({"key": "Int64"})


def _event_study_frame(dynamic, spec: Specification) -> pd.DataFrame:
    """Event-time effects without the reference period (fixed at zero, no interval)."""
    frame = dynamic.to_frame()
    reference = -1 - spec.anticipation
    if spec.base_period == "universal":
        frame = frame[frame["event_time"] != reference]
    frame = frame.assign(
        interval="uniform" if dynamic.inference.cband else "pointwise",
        reference_period=reference if spec.base_period == "universal" else pd.NA,
    )
    return frame.astype({"event_time": int, "reference_period": "Int64"}).reset_index(drop=True)


@dataclass(frozen=True)
class EventStudy:
    """The ``EventStudyLike`` view of a dynamic aggregation that HonestDiD needs."""

    event_times: np.ndarray
    coef: np.ndarray
    vcov: np.ndarray
    settings: dict


def honest_event_study(result, min_e: int, max_e: int) -> EventStudy:
    """Dynamic aggregation of ``result`` on [min_e, max_e] with V = ψ'ψ / n² (school-clustered).

    As R's ``honest_did`` for ``aggte`` objects: the covariance comes from the event-time
    influence functions, one row per school.
    """
    from pipelines.did import aggte

    dynamic = aggte(result, type="dynamic", min_e=min_e, max_e=max_e, bstrap=False, cband=False)
    influence = dynamic.influence_function
    return EventStudy(
        event_times=dynamic.keys.astype(int),
        coef=dynamic.att,
        vcov=influence.T @ influence / influence.shape[0] ** 2,
        settings=dict(result.settings),
    )
