"""The 2x2 estimators against the `drdid` Python port (a dev-only oracle installed with csdid).

The R references only exercise covariates with panel DR and outcome regression; this checks
every estimator, panel and repeated cross-section, with covariates and sampling weights, point
estimate and influence function.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.did._group_time import drdid_panel as _drdid_panel
from pipelines.did._group_time import drdid_rc as _drdid_rc

oracle = pytest.importorskip("drdid._estimators")


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(20240601)
    n = 800
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(size=n)])
    d = (rng.uniform(size=n) < 1 / (1 + np.exp(-(0.8 * x[:, 1] - 0.5)))).astype(float)
    w = rng.uniform(0.5, 2.0, size=n)
    y0 = x @ [1.0, 0.5, 0.2] + rng.normal(size=n)
    y1 = y0 + 0.3 * d + 0.4 * x[:, 1] + rng.normal(size=n)
    post = (rng.uniform(size=n) < 0.5).astype(float)
    return {"x": x, "d": d, "w": w, "y0": y0, "y1": y1, "post": post}


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (_drdid_panel.dr_panel, "drdid_panel"),
        (_drdid_panel.ipw_panel, "std_ipw_did_panel"),
        (_drdid_panel.reg_panel, "reg_did_panel"),
    ],
)
def test_panel_estimator_matches_oracle(sample, ours, theirs):
    s = sample
    result = ours((s["y1"] - s["y0"])[:, None], s["d"], s["x"], s["w"])
    att, influence = getattr(oracle, theirs)(s["y1"], s["y0"], s["d"], s["x"], s["w"])
    assert result.att[0] == pytest.approx(att, abs=1e-12)
    np.testing.assert_allclose(result.influence[:, 0], influence, rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (_drdid_rc.dr_rc, "drdid_rc"),
        (_drdid_rc.ipw_rc, "std_ipw_did_rc"),
        (_drdid_rc.reg_rc, "reg_did_rc"),
    ],
)
def test_cross_section_estimator_matches_oracle(sample, ours, theirs):
    s = sample
    y = np.where(s["post"] == 1, s["y1"], s["y0"])
    result = ours(y, s["post"], s["d"], s["x"], s["w"])
    att, influence = getattr(oracle, theirs)(y, s["post"], s["d"], s["x"], s["w"])
    assert result.att[0] == pytest.approx(att, abs=1e-12)
    np.testing.assert_allclose(result.influence[:, 0], influence, rtol=0, atol=1e-10)


def test_batch_of_outcomes_equals_one_at_a_time(sample):
    s = sample
    dy = np.column_stack([s["y1"] - s["y0"], s["y1"], -s["y0"]])
    batch = _drdid_panel.dr_panel(dy, s["d"], s["x"], s["w"])
    for column in range(dy.shape[1]):
        single = _drdid_panel.dr_panel(dy[:, [column]], s["d"], s["x"], s["w"])
        assert batch.att[column] == pytest.approx(single.att[0], abs=1e-13)
        np.testing.assert_allclose(batch.influence[:, column], single.influence[:, 0], atol=1e-11)
