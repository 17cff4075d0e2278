"""The estimation sample of one subject: the school panel with its covariates merged on."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.estimates.covariates import (
    ID,
    SUBJECT,
    TIME,
    Adjustment,
    adjustment,
    school_covariates,
    treated_cohorts,
)
from pipelines.estimates.specification import Analysis

PANEL_COLUMNS = (ID, TIME, "cohort", "n_tested", "mean_z", "frl_share", "enrollment", "pre_mean_z")


@dataclass(frozen=True)
class SubjectPanel:
    """One subject's school × year rows with every covariate set's columns.

    ``covariates`` maps a covariate set's name to its column names. :meth:`sample` keeps the
    schools with every covariate of a set known (a school without scores in a selection window
    cannot be compared on it) and says how many it left out.
    """

    subject: str
    outcome: str
    frame: pd.DataFrame
    covariates: dict[str, list[str]]
    adjustments: dict[str, Adjustment]
    """Covariate set -> which of its columns adjust each cohort (see ``covariates.Adjustment``)."""

    def sample(self, covariate_set: str) -> tuple[pd.DataFrame, list[str], int]:
        """Rows of the schools complete on ``covariate_set``, its columns, schools dropped."""
        columns = self.covariates[covariate_set]
        if not columns:
            return self.frame, [], 0
        complete = (
            self.frame.groupby(ID)[columns]
            .count()
            .eq(self.frame.groupby(ID).size(), axis=0)
            .all(axis=1)
        )
        frame = self.frame[self.frame[ID].isin(complete[complete].index)]
        return frame, columns, int((~complete).sum())

    def students_before(self) -> pd.Series:
        """Students tested in each partnered school's last year before partnering (by id)."""
        treated = self.frame[self.frame["cohort"] > 0]
        before = treated[treated[TIME] == treated["cohort"] - 1]
        return before.set_index(ID)["n_tested"]


def subject_panels(school_panel: pd.DataFrame, analysis: Analysis) -> list[SubjectPanel]:
    """One :class:`SubjectPanel` per subject of the analysis that the panel has."""
    if analysis.outcome not in school_panel.columns:
        raise ValueError(f"outcome {analysis.outcome!r} is not a school_panel column")
    panels = []
    for subject in analysis.subjects:
        rows = school_panel[school_panel[SUBJECT] == subject]
        if rows.empty:
            continue
        columns = list(dict.fromkeys([*PANEL_COLUMNS, analysis.outcome]))
        frame = rows[columns]
        sets, adjustments = {}, {}
        cohorts = treated_cohorts(school_panel)
        for name, terms in analysis.covariate_sets.items():
            covariates, names = school_covariates(school_panel, terms, subject)
            sets[name] = names
            adjustments[name] = adjustment(terms, names, cohorts)
            new = [c for c in names if c not in frame.columns]
            frame = frame.merge(covariates[new], left_on=ID, right_index=True, how="left")
        panels.append(
            SubjectPanel(
                subject=subject,
                outcome=analysis.outcome,
                frame=frame.sort_values([ID, TIME]).reset_index(drop=True),
                covariates=sets,
                adjustments=adjustments,
            )
        )
    return panels
