"""School-level covariates for the estimators, built from the ``school_panel`` mart.

Partnered schools were chosen on their recent achievement and poverty just before their cohort
started. A comparison that conditions on exactly those quantities removes the bounce-back of
schools picked after bad years (regression to the mean); docs/analysis.md shows why the
mart's fixed ``pre_mean_z`` does not. With several cohorts each was selected on its own window,
so every school gets one covariate per cohort (``prior_z_<g>``, ``prior_frl_<g>``).

Cohort g's comparisons are adjusted for cohort g's pair only (:class:`Adjustment`): a later
cohort's window contains g's own partnered years (the 2013 cohort's prior mean covers spring
2010-2012, and 2012 is the 2012 cohort's first partnered year), so adjusting g for it would
condition on an outcome of the program. The Callaway–Sant'Anna estimator takes the covariates
by cohort; the regression estimators, which fit all cohorts at once, take the earliest cohort's,
measured before any school was partnered.

Time-invariant covariates are absorbed by the school effects of the regression estimators
(TWFE, Sun–Abraham, imputation), so for those :func:`year_interactions` lets each covariate
shift every year's mean instead: the regression analogue of conditional parallel trends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.estimates.specification import CovariateTerm

ID, TIME, GROUP, SUBJECT = "school_id", "school_year", "cohort", "subject"


def treated_cohorts(panel: pd.DataFrame) -> list[int]:
    """Cohorts (first partnered spring years) with a year in the panel before they started."""
    first_year = int(panel[TIME].min())
    return sorted(int(g) for g in panel[GROUP].unique() if g > first_year)


def school_covariates(
    panel: pd.DataFrame, terms: Sequence[CovariateTerm], subject: str
) -> tuple[pd.DataFrame, list[str]]:
    """One row per school (``school_id`` index) with the columns of ``terms``, and their names.

    ``panel`` is the whole school panel (every subject); ``subject`` is the one being estimated.

    - ``prior_achievement``: for each cohort g, the school's mean over the spring years
      g - ``years`` .. g - 1 (those with scores) of its student-weighted mean z across
      ``subjects``; missing when it had no scores then.
    - ``prior_poverty``: for each cohort g, its free/reduced-price lunch share in spring g - 1.
    - ``column``: a panel column of ``subject``'s rows, constant within a school (e.g.
      ``pre_mean_z``).
    """
    schools = pd.Index(np.sort(panel[ID].unique()), name=ID)
    covariates = pd.DataFrame(index=schools)
    cohorts = treated_cohorts(panel)
    for term in terms:
        if term.kind == "prior_achievement":
            yearly = _mean_over_subjects(panel, term.subjects)
            for g in cohorts:
                window = yearly[(yearly[TIME] >= g - term.years) & (yearly[TIME] < g)]
                covariates[f"prior_z_{g}"] = window.groupby(ID)["z"].mean()
        elif term.kind == "prior_poverty":
            by_year = panel.drop_duplicates([ID, TIME]).pivot(
                index=ID, columns=TIME, values="frl_share"
            )
            for g in cohorts:
                covariates[f"prior_frl_{g}"] = by_year.get(g - 1, np.nan)
        else:
            covariates[term.name] = _constant_column(panel[panel[SUBJECT] == subject], term.name)
    return covariates, list(covariates.columns)


@dataclass(frozen=True)
class Adjustment:
    """The covariates of a covariate set and which of them adjust each cohort."""

    columns: list[str]
    """Every column of the set (a school must know all of them to be compared)."""
    by_cohort: dict[int, list[str]] | None
    """Cohort -> its own columns (per-cohort terms and the shared ones); None: one set for all."""

    @property
    def xformla(self) -> dict[int, list[str]] | list[str] | None:
        """The ``xformla`` argument of ``pipelines.did.att_gt``."""
        if self.by_cohort is not None:
            return self.by_cohort
        return self.columns or None

    @property
    def regression_columns(self) -> list[str]:
        """Columns for the estimators that fit every cohort at once: the earliest cohort's.

        Its window ends before any school was partnered, so it is pre-treatment for all.
        """
        if self.by_cohort is None:
            return self.columns
        return self.by_cohort[min(self.by_cohort)]


def adjustment(
    terms: Sequence[CovariateTerm], columns: list[str], cohorts: list[int]
) -> Adjustment:
    """Which of ``columns`` (from :func:`school_covariates`) adjust each of ``cohorts``."""
    per_cohort = [t for t in terms if t.kind in ("prior_achievement", "prior_poverty")]
    if not per_cohort or not cohorts:
        return Adjustment(columns, None)
    shared = [t.name for t in terms if t.kind == "column"]
    by_cohort = {}
    for g in cohorts:
        own = [f"prior_z_{g}" for t in per_cohort if t.kind == "prior_achievement"]
        own += [f"prior_frl_{g}" for t in per_cohort if t.kind == "prior_poverty"]
        by_cohort[g] = [c for c in columns if c in own or c in shared]
    return Adjustment(columns, by_cohort)


def _mean_over_subjects(panel: pd.DataFrame, subjects: Sequence[str]) -> pd.DataFrame:
    """Each school-year's student-weighted mean z across ``subjects``: ``school_id, year, z``."""
    rows = panel[panel[SUBJECT].isin(subjects) & panel["mean_z"].notna()]
    rows = rows.assign(_weighted=rows["mean_z"] * rows["n_tested"])
    sums = rows.groupby([ID, TIME])[["_weighted", "n_tested"]].sum()
    sums = sums[sums["n_tested"] > 0]
    return (sums["_weighted"] / sums["n_tested"]).rename("z").reset_index()


def _constant_column(panel: pd.DataFrame, name: str) -> pd.Series:
    if name not in panel.columns:
        raise ValueError(f"covariate column {name!r} is not in the school panel")
    values = panel.groupby(ID)[name]
    if (values.nunique(dropna=False) > 1).any():
        raise ValueError(f"covariate column {name!r} changes within a school: use a constant one")
    return values.first()


def year_interactions(
    frame: pd.DataFrame, columns: Sequence[str], tname: str = TIME
) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with one column per covariate × year (the first year omitted), and their names.

    ``<covariate>_x<year>`` is the covariate in that year and 0 otherwise, so a regression with
    school and year effects lets schools with different covariates follow different paths.
    """
    years = np.sort(frame[tname].unique())[1:]
    added = {}
    for column in columns:
        values = frame[column].to_numpy(dtype=float)
        for year in years:
            added[f"{column}_x{year}"] = np.where(frame[tname].to_numpy() == year, values, 0.0)
    return frame.assign(**added), list(added)
