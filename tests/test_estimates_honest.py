"""The published HonestDiD table: R's default M-bar grid and R's breakdown value.

R's `createSensitivityResults_relativeMagnitudes` defaults to 10 values of M-bar on [0, 2] and
tests theta on 1,000 points of +-20 SE; the breakdown value is where the interval it reports
first contains 0. The pipeline publishes that, not a value read off its own M-bar grid.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pipelines.did import att_gt, honest_did_from_result
from pipelines.estimates import robustness
from pipelines.estimates.callaway import honest_event_study
from pipelines.estimates.specification import HonestSettings, default_analysis_text, parse_analysis
from tests.conftest import REFERENCE_DIR


@pytest.fixture(scope="module")
def ehec_cs():
    # The HonestDiD README's staggered example: did::att_gt(control_group = "notyettreated",
    # base_period = "universal") on the Medicaid-expansion data.
    data = pd.read_csv(REFERENCE_DIR / "ehec_data.csv")
    data["first_treated"] = data["yexp2"].fillna(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return att_gt(
            data,
            yname="dins",
            tname="year",
            idname="stfips",
            gname="first_treated",
            control_group="notyettreated",
            base_period="universal",
        )


def test_published_sensitivity_uses_r_defaults(ehec_cs):
    settings = HonestSettings(
        specification="cs", method="relative_magnitude", m_values=None, min_e=-5, max_e=2
    )
    frame = robustness.honest_sensitivity(ehec_cs, settings, alpha=0.05)
    np.testing.assert_allclose(frame["m"], np.linspace(0, 2, 10))  # R's default Mbarvec
    # The breakdown value is the library's R-consistent one, whatever M-bar grid is published.
    n_post = 3
    direct = honest_did_from_result(
        honest_event_study(ehec_cs, -5, 2),
        "relative_magnitude",
        [1.0],
        l_vec=np.full(n_post, 1 / n_post),
    )
    assert frame["breakdown_m"].nunique() == 1
    assert frame["breakdown_m"].iat[0] == direct.breakdown_m
    coarse = robustness.honest_sensitivity(
        ehec_cs,
        HonestSettings("cs", "relative_magnitude", (0.0, 1.0, 2.0), -5, 2),
        alpha=0.05,
    )
    assert coarse["breakdown_m"].iat[0] == direct.breakdown_m
    # It is where the published lower limit changes sign, not a grid value.
    below, above = frame[frame["m"] < direct.breakdown_m], frame[frame["m"] >= direct.breakdown_m]
    assert (below["ci_lower"] > 0).all() and (above["ci_lower"] <= 0).all()


def test_analysis_file_takes_r_defaults_and_restrictions():
    analysis = parse_analysis(default_analysis_text())
    assert analysis.honest_did.m_values is None  # R's default grid
    text = default_analysis_text().replace(
        "method: relative_magnitude", "method: smoothness\n    bias_direction: negative"
    )
    assert parse_analysis(text).honest_did.bias_direction == "negative"
    with pytest.raises(ValueError, match=r"bias_direction.*'sideways' is not one of"):
        parse_analysis(text.replace("bias_direction: negative", "bias_direction: sideways"))
    wrong = default_analysis_text().replace(
        "method: relative_magnitude",
        "method: relative_magnitude\n    monotonicity_direction: increasing",
    )
    with pytest.raises(ValueError, match="method: smoothness"):
        parse_analysis(wrong)
