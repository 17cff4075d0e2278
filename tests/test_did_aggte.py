"""aggte against R `did` 2.5.0 (ref_aggte.csv): all four aggregations of every scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.did import aggte, att_gt
from tests.test_did_attgt import ATT_TOL, MPDTA, SE_TOL, dataset, fitted, reference

REF = reference("ref_aggte.csv")
CASES = sorted({(s, t) for s, t in zip(REF["scenario"], REF["type"], strict=True)})
KEY = {"dynamic": "event_time", "group": "group", "calendar": "time"}


@pytest.mark.parametrize(("scenario", "kind"), CASES)
def test_aggregation_matches_r(scenario, kind):
    expected = REF[(REF["scenario"] == scenario) & (REF["type"] == kind)]
    result = aggte(fitted(scenario), type=kind)
    assert result.overall_att == pytest.approx(expected["overall_att"].iloc[0], abs=ATT_TOL)
    assert result.overall_se == pytest.approx(expected["overall_se"].iloc[0], abs=SE_TOL)
    if kind == "simple":
        return
    frame = result.to_frame()
    assert list(frame.columns) == [KEY[kind], "att", "se", "ci_lower", "ci_upper"]
    np.testing.assert_array_equal(frame[KEY[kind]], expected["egt"])
    np.testing.assert_allclose(frame["att"], expected["att_egt"], rtol=0, atol=ATT_TOL)
    np.testing.assert_allclose(frame["se"], expected["se_egt"], rtol=0, atol=SE_TOL)


def test_every_reference_aggregation_is_covered():
    assert len(CASES) == 20
    assert {kind for _, kind in CASES} == {"simple", "group", "dynamic", "calendar"}


def test_simple_frame_is_the_overall_effect():
    result = aggte(fitted("mpdta_nev_dr"), type="simple")
    frame = result.to_frame()
    assert list(frame.columns) == ["att", "se", "ci_lower", "ci_upper"]
    assert frame["att"].iloc[0] == result.overall_att
    assert (frame["ci_lower"].iloc[0], frame["ci_upper"].iloc[0]) == result.overall_ci


def test_event_window_and_balance():
    attgt = fitted("mpdta_nev_dr")
    window = aggte(attgt, type="dynamic", min_e=-1, max_e=1)
    np.testing.assert_array_equal(window.keys, [-1, 0, 1])
    full = aggte(attgt, type="dynamic").to_frame().set_index("event_time")
    np.testing.assert_allclose(window.att, full.loc[[-1, 0, 1], "att"], atol=1e-15)
    assert window.overall_att == pytest.approx(full.loc[[0, 1], "att"].mean())

    # Cohorts seen at least one period after treatment (2004, 2006): event times -2 to 1.
    balanced = aggte(attgt, type="dynamic", balance_e=1)
    np.testing.assert_array_equal(balanced.keys, [-2, -1, 0, 1])
    cells = attgt.to_frame()
    size = dataset("mpdta").query("year == 2003")["first.treat"].value_counts()
    on_impact = cells[(cells["time"] == cells["group"]) & cells["group"].isin([2004, 2006])]
    weights = size.loc[on_impact["group"]].to_numpy()
    expected = np.sum(on_impact["att"].to_numpy() * weights) / weights.sum()
    assert balanced.att[balanced.keys == 0][0] == pytest.approx(expected, abs=1e-14)


def test_max_e_caps_group_and_simple_exposure():
    attgt = fitted("mpdta_nev_dr")
    capped = aggte(attgt, type="group", max_e=0)
    cells = attgt.to_frame().query("time == group").set_index("group")
    np.testing.assert_allclose(capped.att, cells.loc[capped.keys, "att"], atol=1e-15)


def test_unknown_type_and_missing_cells():
    attgt = fitted("mpdta_nev_dr")
    with pytest.raises(ValueError, match="type must be"):
        aggte(attgt, type="cohort")
    data = dataset("mpdta").copy()
    # A covariate that perfectly predicts cohort 2004 violates overlap for its cells.
    data["x"] = np.where(data["first.treat"] == 2004, 10.0, 0.0) + np.arange(len(data)) * 1e-6
    with pytest.warns(RuntimeWarning, match="overlap"):
        broken = att_gt(data, **MPDTA, xformla="~ x")
    assert np.isnan(broken.att[broken.group == 2004]).all()
    with pytest.raises(ValueError, match="missing for cells"):
        aggte(broken, type="simple")


def test_aggregating_keeps_inference_settings():
    result = aggte(fitted("clustered"), type="dynamic")
    assert result.inference == fitted("clustered").inference
    assert isinstance(result.to_frame(), pd.DataFrame)


def test_event_study_exposes_what_honest_did_reads():
    from pipelines.did import honest_did_from_result

    dynamic = aggte(fitted("universal"), type="dynamic")
    np.testing.assert_array_equal(dynamic.event_times, dynamic.keys.astype(int))
    finite = np.isfinite(dynamic.se)
    np.testing.assert_allclose(np.sqrt(np.diag(dynamic.vcov))[finite], dynamic.se[finite])
    robust = honest_did_from_result(dynamic, "smoothness", [0.0, 0.01])
    assert robust.estimate == pytest.approx(dynamic.att[dynamic.keys == 0][0])
    with pytest.raises(AttributeError):
        _ = aggte(fitted("universal"), type="group").event_times
