"""WWC effect-size helpers: Hedges' g, improvement index, baseline equivalence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.did.effect_size import (
    classify_baseline_equivalence,
    hedges_g,
    hedges_g_from_att,
    improvement_index,
    small_sample_correction,
)


def test_hedges_g_by_hand():
    # 105 vs 100 with SD 15 in both groups of 50: d = 1/3, ω = 1 − 3/391.
    g = hedges_g(105.0, 100.0, 15.0, 15.0, 50, 50)
    assert g == pytest.approx((1 - 3 / 391) / 3, rel=1e-12)
    # Unequal groups: the pooled SD weights each variance by its degrees of freedom.
    pooled = math.sqrt((9 * 4.0 + 19 * 9.0) / 28)
    assert hedges_g(1.0, 0.0, 2.0, 3.0, 10, 20) == pytest.approx((1 - 3 / 111) / pooled)


def test_hedges_g_matches_raw_samples_and_vectorises():
    rng = np.random.default_rng(4)
    treated, comparison = rng.normal(0.3, 1.1, 40), rng.normal(0.0, 0.9, 25)
    pooled_var = ((39 * treated.var(ddof=1)) + 24 * comparison.var(ddof=1)) / 63
    expected = (1 - 3 / (4 * 65 - 9)) * (treated.mean() - comparison.mean()) / math.sqrt(pooled_var)
    g = hedges_g(
        treated.mean(), comparison.mean(), treated.std(ddof=1), comparison.std(ddof=1), 40, 25
    )
    assert g == pytest.approx(expected, rel=1e-12)
    many = hedges_g([1.0, 2.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [10, 10], [10, 10])
    np.testing.assert_allclose(many, np.array([1.0, 2.0]) * (1 - 3 / 71))


def test_hedges_g_from_att_in_student_sd_units():
    # With z-scored outcomes the ATT is already in SD units; g only applies ω.
    assert hedges_g_from_att(0.05, 13, 1387) == pytest.approx(0.05 * (1 - 3 / 5591))
    assert hedges_g_from_att(2.0, 100, 100, sd=20.0) == pytest.approx(0.1 * (1 - 3 / 791))
    assert small_sample_correction(5, 5) == pytest.approx(1 - 3 / 31)


def test_improvement_index():
    assert improvement_index(0.0) == pytest.approx(0.0)
    # 100·Φ(g) − 50 with Φ from the error function, independently of scipy.
    for g in (0.05, 0.18, 0.25, -0.4):
        phi = 0.5 * (1 + math.erf(g / math.sqrt(2)))
        assert improvement_index(g) == pytest.approx(100 * phi - 50, abs=1e-10)
    assert round(improvement_index(0.25)) == 10  # WWC's "0.25 SD ≈ 10 percentile points"
    np.testing.assert_allclose(improvement_index([-0.1, 0.1]), [-3.9827837, 3.9827837], atol=1e-6)


@pytest.mark.parametrize(
    ("g", "label"),
    [
        (0.0, "satisfied"),
        (0.05, "satisfied"),
        (-0.05, "satisfied"),
        (0.15 - 0.1, "satisfied"),  # 0.04999999999999999 in floating point
        (0.0501, "requires adjustment"),
        (-0.2, "requires adjustment"),
        (0.25, "requires adjustment"),
        (0.2501, "not satisfied"),
        (-0.6, "not satisfied"),
        (float("nan"), "unknown"),
    ],
)
def test_baseline_equivalence_cut_points(g, label):
    assert classify_baseline_equivalence(g) == label


def test_baseline_equivalence_vectorises():
    labels = classify_baseline_equivalence(np.array([0.01, 0.1, 0.3]))
    assert labels.tolist() == ["satisfied", "requires adjustment", "not satisfied"]


def test_invalid_inputs():
    with pytest.raises(ValueError, match="at least 2"):
        hedges_g(1, 0, 1, 1, 1, 10)
    with pytest.raises(ValueError, match="pooled standard deviation is zero"):
        hedges_g(1, 0, 0, 0, 10, 10)
    with pytest.raises(ValueError, match="sd must be positive"):
        hedges_g_from_att(0.1, 10, 10, sd=0)
