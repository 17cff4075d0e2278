"""Minimum detectable effect: 80% power at the MDE, by the noncentral t (or normal) itself."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pipelines.did.power import minimum_detectable_effect


@pytest.mark.parametrize("df", [8.0, 31.5, 200.0])
def test_the_two_sided_t_test_has_the_requested_power_at_the_mde(df) -> None:
    found = minimum_detectable_effect(0.03, df, alpha=0.05, power=0.8)
    critical = stats.t.ppf(0.975, df)
    shift = found.mde / 0.03
    power = stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift)
    assert power == pytest.approx(0.8, abs=1e-5)
    assert "TTestPower" in found.method


def test_normal_reference_is_the_textbook_2_8_standard_errors() -> None:
    found = minimum_detectable_effect(0.05)
    expected = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 0.05
    assert found.mde == pytest.approx(expected, rel=1e-5) and np.isinf(found.df)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"se": 0.0}, "se must be"),
        ({"se": 0.1, "df": 1}, "df must"),
        ({"se": 0.1, "power": 1}, "power"),
    ],
)
def test_bad_arguments_are_refused(arguments, message) -> None:
    with pytest.raises(ValueError, match=message):
        minimum_detectable_effect(**arguments)
