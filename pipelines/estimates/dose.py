"""Effects by partnering dose on one subject: dose groups and the dose-response curve.

Dose is a school's partnering intensity in its first partnered year (by default minutes per
teacher from the ``partnering_dose`` mart). It is not randomized: both outputs are descriptive.
"""

from __future__ import annotations

import pandas as pd

from pipelines.estimates.callaway import att_gt_arguments
from pipelines.estimates.covariates import GROUP, ID, TIME
from pipelines.estimates.specification import Analysis, DoseSettings, Specification


def first_year_dose(partnering_dose: pd.DataFrame, cohorts: pd.Series, measure: str) -> pd.Series:
    """Each partnered school's ``measure`` in its first partnered year (index school_id).

    ``cohorts`` maps school_id to cohort. Schools without a logged dose that year are absent.
    """
    if measure not in partnering_dose.columns:
        raise ValueError(f"dose measure {measure!r} is not a partnering_dose column")
    rows = partnering_dose.assign(cohort=partnering_dose[ID].map(cohorts))
    first = rows[(rows["school_year"] == rows["cohort"]) & rows[measure].notna()]
    return first.set_index(ID)[measure].astype(float).rename("dose")


def dose_groups(
    frame: pd.DataFrame,
    outcome: str,
    covariates: list[str] | dict[int, list[str]] | None,
    dose: pd.Series,
    spec: Specification,
    settings: DoseSettings,
    analysis: Analysis,
    students_before: pd.Series,
) -> pd.DataFrame:
    """Overall effect of each dose group against the same never-partnered schools.

    Columns: dose_group, dose_min, dose_max, n_schools, n_students (tested in the year before
    partnering), att, se, ci_lower, ci_upper.
    """
    from pipelines.did import att_by_dose_group

    arguments = att_gt_arguments(spec, analysis, covariates)
    arguments["control_group"] = "nevertreated"
    result = att_by_dose_group(
        frame, outcome, TIME, ID, GROUP, dose=dose, n_groups=settings.groups, **arguments
    )
    groups = result.to_frame()
    treated_dose = dose[dose.index.isin(frame.loc[frame[GROUP] > 0, ID])]
    groups.insert(
        4,
        "n_students",
        [
            int(students_before.reindex(_members(treated_dose, row)).fillna(0).sum())
            for row in groups.itertuples(index=False)
        ],
    )
    return groups


def _members(dose: pd.Series, group) -> pd.Index:
    """Schools of a dose group: the groups are contiguous, disjoint ranges of dose."""
    return dose.index[(dose >= group.dose_min) & (dose <= group.dose_max)]


def dose_response_curve(
    frame: pd.DataFrame, outcome: str, dose: pd.Series, settings: DoseSettings, analysis: Analysis
) -> pd.DataFrame:
    """ATT(d|d) and its slope over the dose range, with pointwise intervals and uniform bands.

    Unadjusted (the estimator takes no covariates). Columns: dose, att, att_se,
    att_ci_lower/upper, att_band_lower/upper and the same for acrt.
    """
    from pipelines.did import dose_response

    curve = dose_response(
        frame,
        outcome,
        TIME,
        ID,
        GROUP,
        dose=dose,
        n_boot=settings.response_draws,
        alp=analysis.alpha,
        random_state=analysis.seed,
    )
    return curve.to_frame()
