"""att_gt against R `did` 2.5.0 on the hard cases of ref_gaps.csv (mpdta_extra.csv).

Repeated cross-sections, a universal base period (its reference cell is zero with a missing
SE), anticipation of one period, sampling weights and SEs clustered on 29 clusters.
"""

from __future__ import annotations

import pytest

from pipelines.did import att_gt
from tests.test_did_attgt import MPDTA, assert_cells_match, dataset, fitted, reference

GAP_SCENARIOS = sorted(reference("ref_gaps.csv")["scenario"].unique())


@pytest.mark.parametrize("scenario", GAP_SCENARIOS)
def test_gap_scenario_matches_r(scenario):
    assert_cells_match(scenario, reference("ref_gaps.csv"))


def test_all_gap_scenarios_are_covered():
    assert set(GAP_SCENARIOS) == {"rc", "universal", "anticipation1", "weighted", "clustered"}


def test_anticipation_drops_cohort_treated_by_first_period():
    with pytest.warns(UserWarning, match="already treated in the first period"):
        result = att_gt(dataset("extra"), **MPDTA, anticipation=1)
    assert 2004 not in result.group


def test_repeated_cross_sections_count_rows_as_units():
    assert fitted("rc").n_units == len(dataset("extra"))


def test_universal_reference_cell_is_zero_without_se():
    frame = fitted("universal").to_frame()
    reference_cells = frame[frame["time"] == frame["group"] - 1]
    assert (reference_cells["att"] == 0).all()
    assert reference_cells["se"].isna().all()
    assert reference_cells["ci_lower"].isna().all()


def test_clustered_result_counts_clusters():
    assert fitted("clustered").n_clusters == 29
