"""Robustness checks on one subject: Goodman-Bacon, HonestDiD, randomization inference, balance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.did.bacon import (
    EARLIER_VS_LATER,
    LATER_VS_EARLIER,
    TREATED_VS_ALWAYS,
    TREATED_VS_NEVER,
)
from pipelines.estimates.callaway import att_gt_arguments, honest_event_study
from pipelines.estimates.covariates import GROUP, ID, TIME
from pipelines.estimates.specification import (
    Analysis,
    HonestSettings,
    RandomizationSettings,
)

BACON_LABELS = {
    TREATED_VS_NEVER: "Partnered vs never partnered",
    EARLIER_VS_LATER: "Earlier vs later partnered (later not yet started)",
    LATER_VS_EARLIER: "Later vs earlier partnered (earlier as comparison)",
    TREATED_VS_ALWAYS: "Partnered vs always partnered",
}


def bacon_by_type(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Goodman-Bacon decomposition of the unadjusted TWFE estimate, summed by comparison type.

    The decomposition needs a balanced panel: schools missing a year are left out.
    Columns: comparison_type, weight, estimate, n_comparisons, twfe, n_schools.
    """
    from pipelines.did import bacon_decomposition

    years = frame[TIME].nunique()
    complete = frame.groupby(ID)[TIME].transform("size") == years
    balanced = frame[complete & frame[outcome].notna()]
    balanced = balanced[balanced.groupby(ID)[TIME].transform("size") == years]
    treated = (balanced[GROUP] > 0) & (balanced[TIME] >= balanced[GROUP])
    if treated.nunique() < 2:
        raise ValueError(
            "the decomposition needs partnered and unpartnered school-years in a balanced panel "
            f"({balanced[ID].nunique()} schools are observed every year)"
        )
    result = bacon_decomposition(
        balanced.assign(partnered=treated.astype(int)), outcome, TIME, ID, "partnered"
    )
    by_type = result.by_type().rename(columns={"type": "comparison_type"})
    by_type["comparison_type"] = by_type["comparison_type"].map(BACON_LABELS)
    return by_type.assign(twfe=result.twfe, n_schools=result.n_units)


def honest_sensitivity(result, settings: HonestSettings, alpha: float) -> pd.DataFrame:
    """HonestDiD intervals for the average effect over event times 0..max_e.

    As R: the M (M̄) grid defaults to R's (`m_values` None), and `breakdown_m` is the smallest
    M at which the interval R reports contains 0, searched continuously (not read off the
    grid). Columns: method, m, ci_lower, ci_upper, original_ci_lower, original_ci_upper,
    breakdown_m, parameter.
    """
    from pipelines.did import honest_did_from_result

    event_study = honest_event_study(result, settings.min_e, settings.max_e)
    n_post = int((event_study.event_times >= 0).sum())
    sensitivity = honest_did_from_result(
        event_study,
        settings.method,
        None if settings.m_values is None else list(settings.m_values),
        l_vec=np.full(n_post, 1.0 / n_post),
        alpha=alpha,
        bias_direction=settings.bias_direction,
        monotonicity_direction=settings.monotonicity_direction,
        breakdown=True,  # also under a restriction, where it is slow (see honest_did)
    )
    frame = sensitivity.to_frame()
    return pd.DataFrame(
        {
            "method": settings.method,
            "m": frame["m"].to_numpy(),
            "ci_lower": frame["lb"].to_numpy(),
            "ci_upper": frame["ub"].to_numpy(),
            "original_ci_lower": sensitivity.original_ci[0],
            "original_ci_upper": sensitivity.original_ci[1],
            "breakdown_m": sensitivity.breakdown_m,
            "parameter": f"average effect over event times 0 to {n_post - 1}",
        }
    )


def randomization_test(
    frame: pd.DataFrame,
    outcome: str,
    covariates: list[str] | dict[int, list[str]] | None,
    spec,
    settings: RandomizationSettings,
    analysis: Analysis,
) -> pd.DataFrame:
    """Permutation p-value of the specification's overall effect.

    Cohorts are reassigned within bands (quantiles) of each school's pre-program mean outcome
    (``pre_mean_z``; schools without one form their own band), so treated labels only move
    between schools of similar achievement. The statistic is studentized (the ATT over its
    standard error, recomputed for each reassignment), which keeps the test's size when
    partnered schools are noisier than the rest. Columns: att, statistic, p_value,
    p_value_floor (1 / (permutations + 1), the smallest p-value possible), n_permutations,
    n_strata, null_sd (of the statistic under reassignment).
    """
    from pipelines.did import randomization_inference

    frame = frame.assign(achievement_band=_bands(frame, settings.achievement_bands))
    arguments = att_gt_arguments(spec, analysis, covariates)
    result = randomization_inference(
        frame,
        outcome,
        TIME,
        ID,
        GROUP,
        strata="achievement_band",
        n_permutations=settings.permutations,
        aggregation="simple",
        control_group=arguments["control_group"],
        base_period=arguments["base_period"],
        anticipation=arguments["anticipation"],
        xformla=arguments["xformla"],
        est_method=arguments["est_method"],
        random_state=analysis.seed,
        statistic="studentized",
    )
    summary = result.to_frame()
    return pd.DataFrame(
        {
            "att": summary["att"],
            "statistic": summary["statistic"],
            "p_value": summary["pvalue"],
            "p_value_floor": summary["p_value_floor"],
            "n_permutations": summary["n_permutations"],
            "n_strata": summary["n_strata"],
            "null_sd": summary["null_sd"],
        }
    )


def _bands(frame: pd.DataFrame, n_bands: int) -> pd.Series:
    school = frame.groupby(ID)["pre_mean_z"].first()
    known = school.dropna()
    bands = pd.Series(-1, index=school.index)
    if len(known) >= n_bands:
        bands[known.index] = pd.qcut(known, n_bands, labels=False, duplicates="drop")
    return frame[ID].map(bands).astype(int)


def baseline_balance(frame: pd.DataFrame, outcome: str, variables: tuple[str, ...]) -> pd.DataFrame:
    """WWC baseline equivalence of partnered and comparison schools before the program.

    Baseline rows are the years before the first cohort; the outcome is compared in student SD
    units (z has SD 1 across students). Columns: variable, mean_treated, mean_comparison,
    sd_pooled, n_treated, n_comparison, hedges_g, classification.
    """
    from pipelines.did import baseline_equivalence

    present = [v for v in variables if v in frame.columns]
    result = baseline_equivalence(
        frame,
        ID,
        present,
        gname=GROUP,
        tname=TIME,
        sd={outcome: 1.0} if outcome in present else None,
    )
    return result.to_frame().drop(columns=["method"], errors="ignore")
