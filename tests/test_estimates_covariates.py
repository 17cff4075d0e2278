"""School covariates: each cohort's selection window, computed by hand on a tiny panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.estimates.covariates import school_covariates, treated_cohorts, year_interactions
from pipelines.estimates.panel import subject_panels
from pipelines.estimates.specification import CovariateTerm, load_analysis

SELECTION = (
    CovariateTerm("prior_achievement", years=3, subjects=("ela", "math")),
    CovariateTerm("prior_poverty"),
)


def tiny_panel() -> pd.DataFrame:
    """Three schools, 2008-2013 without 2010 (no test that year), cohorts 2012 and 2013."""
    rows = []
    for school, cohort in ((1, 2012), (2, 2013), (3, 0)):
        for year in (2008, 2009, 2011, 2012, 2013):
            for subject, shift in (("ela", 0.0), ("math", 0.3), ("science", 5.0)):
                rows.append(
                    {
                        "school_id": school,
                        "subject": subject,
                        "school_year": year,
                        "cohort": cohort,
                        "n_tested": 10 * school + (20 if subject == "math" else 0),
                        "mean_z": school + shift + (year - 2008) / 10,
                        "frl_share": school / 10 + (year - 2008) / 100,
                        "enrollment": 100,
                        "pre_mean_z": school + shift,
                    }
                )
    return pd.DataFrame(rows)


def test_prior_achievement_is_the_student_weighted_ela_math_mean_over_the_window() -> None:
    panel = tiny_panel()
    covariates, names = school_covariates(panel, SELECTION, "ela")
    assert names == ["prior_z_2012", "prior_z_2013", "prior_frl_2012", "prior_frl_2013"]
    school = 2
    weights = np.array([10 * school, 10 * school + 20])  # ela, math students

    def yearly(year: int) -> float:
        values = np.array([school + (year - 2008) / 10, school + 0.3 + (year - 2008) / 10])
        return float(np.average(values, weights=weights))

    # 2012's window is 2009-2011 (no scores in 2010); 2013's is 2010-2012.
    assert covariates.loc[school, "prior_z_2012"] == pytest.approx(
        (yearly(2009) + yearly(2011)) / 2
    )
    assert covariates.loc[school, "prior_z_2013"] == pytest.approx(
        (yearly(2011) + yearly(2012)) / 2
    )
    assert covariates.loc[school, "prior_frl_2012"] == pytest.approx(0.2 + 0.03)
    assert covariates.loc[school, "prior_frl_2013"] == pytest.approx(0.2 + 0.04)


def test_poverty_of_a_missing_year_is_missing_and_cohorts_need_a_prior_year() -> None:
    panel = tiny_panel()
    panel = panel[~((panel["school_id"] == 3) & (panel["school_year"] == 2011))]
    covariates, _ = school_covariates(panel, SELECTION, "ela")
    assert np.isnan(covariates.loc[3, "prior_frl_2012"])
    assert treated_cohorts(panel.assign(cohort=panel["cohort"].replace(2012, 2008))) == [2013]


def test_column_covariates_come_from_the_subject_being_estimated() -> None:
    panel = tiny_panel()
    term = (CovariateTerm("column", name="pre_mean_z"),)
    ela, _ = school_covariates(panel, term, "ela")
    math, _ = school_covariates(panel, term, "math")
    assert list(math["pre_mean_z"] - ela["pre_mean_z"]) == pytest.approx([0.3] * 3)
    with pytest.raises(ValueError, match="changes within a school"):
        school_covariates(panel, (CovariateTerm("column", name="frl_share"),), "ela")


def test_year_interactions_hold_the_covariate_in_its_year_only() -> None:
    frame = pd.DataFrame({"school_year": [2008, 2009, 2011, 2009], "x": [1.0, 2.0, 3.0, 4.0]})
    with_terms, names = year_interactions(frame, ["x"])
    assert names == ["x_x2009", "x_x2011"]
    assert list(with_terms["x_x2009"]) == [0.0, 2.0, 0.0, 4.0]
    assert list(with_terms["x_x2011"]) == [0.0, 0.0, 3.0, 0.0]


def test_schools_missing_a_covariate_are_left_out_and_counted() -> None:
    panel = tiny_panel()
    # School 3 has no ELA or math scores in 2009-2012: no prior achievement for either cohort.
    panel = panel[
        ~((panel["school_id"] == 3) & panel["school_year"].between(2009, 2012))
        | (panel["subject"] == "science")
    ]
    ela = next(p for p in subject_panels(panel, load_analysis()) if p.subject == "ela")
    frame, columns, dropped = ela.sample("selection")
    assert dropped == 1 and set(frame["school_id"]) == {1, 2}
    assert "prior_z_2012" in columns
    everything, none, kept_all = ela.sample("none")
    assert none == [] and kept_all == 0 and everything["school_id"].nunique() == 3
