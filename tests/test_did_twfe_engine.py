"""The fixed-effects engine (`_regression/fixed_effects.py`): demeaning, fitted effects, nesting,
delta method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.did._regression.fixed_effects import (
    FixedEffects,
    SingularDesignError,
    absorb,
    delta_method,
    fixest_dof_k,
    is_nested,
    linear_combination,
    ols,
)


@pytest.fixture(scope="module")
def unbalanced_panel():
    rng = np.random.default_rng(11)
    units, periods = 60, 8
    frame = pd.DataFrame(
        {"unit": np.repeat(np.arange(units), periods), "time": np.tile(np.arange(periods), units)}
    )
    frame = frame[rng.random(len(frame)) > 0.3].reset_index(drop=True)
    values = rng.normal(size=(len(frame), 3)) + frame[["unit"]].to_numpy() * 0.1
    weights = rng.uniform(0.2, 3.0, len(frame))
    return frame, values, weights


def _dummies(codes: np.ndarray) -> np.ndarray:
    return (codes[:, None] == np.arange(codes.max() + 1)).astype(float)


def test_absorb_equals_least_squares_on_explicit_dummies(unbalanced_panel):
    frame, values, weights = unbalanced_panel
    fixed_effects = FixedEffects.from_frame(frame, ["unit", "time"])
    absorbed = absorb(values, fixed_effects, weights)
    assert absorbed.iterations > 2  # unbalanced and weighted: no one-sweep shortcut
    dummies = np.column_stack(
        [_dummies(fixed_effects.codes[:, 0]), _dummies(fixed_effects.codes[:, 1])[:, 1:]]
    )
    root_w = np.sqrt(weights)[:, None]
    solution, *_ = np.linalg.lstsq(dummies * root_w, values * root_w, rcond=None)
    np.testing.assert_allclose(absorbed.residual, values - dummies @ solution, atol=1e-10)
    # The accumulated fitted effects rebuild the projection exactly.
    fitted = sum(effect[fixed_effects.codes[:, d]] for d, effect in enumerate(absorbed.effects))
    np.testing.assert_allclose(values - fitted, absorbed.residual, atol=1e-12)


def test_balanced_unweighted_panel_is_solved_in_one_sweep():
    frame = pd.DataFrame({"unit": np.repeat(np.arange(30), 6), "time": np.tile(np.arange(6), 30)})
    values = np.random.default_rng(2).normal(size=len(frame))
    absorbed = absorb(values, FixedEffects.from_frame(frame, ["unit", "time"]))
    closed_form = (
        values
        - frame.assign(v=values).groupby("unit")["v"].transform("mean").to_numpy()
        - frame.assign(v=values).groupby("time")["v"].transform("mean").to_numpy()
        + values.mean()
    )
    np.testing.assert_allclose(absorbed.residual, closed_form, atol=1e-13)
    assert absorbed.iterations == 2  # the exact sweep and the sweep that confirms it


def test_nesting_and_fixest_k():
    unit = np.repeat(np.arange(10), 4)
    time = np.tile(np.arange(4), 10)
    state = unit // 3
    fixed_effects = FixedEffects.from_frame(pd.DataFrame({"u": unit, "t": time}), ["u", "t"])
    assert is_nested(unit, state) and not is_nested(state, unit) and not is_nested(time, state)
    assert fixest_dof_k(2, fixed_effects, unit) == 2 + 4  # unit FE nested: slopes + 4 periods
    assert fixest_dof_k(2, fixed_effects, time) == 2 + 10  # time FE nested
    # neither dimension nested: every FE counts, less the one redundancy between them
    assert fixest_dof_k(2, fixed_effects, (unit + time) % 3) == 2 + 10 + 4 - 1


def test_ols_rank_check_names_the_culprit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    X[:, 2] = X[:, 0] - X[:, 1]
    with pytest.raises(SingularDesignError, match="collinear with the other"):
        ols(rng.normal(size=50), X, ["a", "b", "c"])
    fit = ols(X[:, 0] * 2.0 + 1e-3 * rng.normal(size=50), X[:, :2], ["a", "b"])
    assert fit.coef[0] == pytest.approx(2.0, abs=1e-2)


def test_linear_combination_and_delta_method():
    coef = np.array([1.0, 2.0, 3.0])
    vcov = np.array([[1.0, 0.2, 0.0], [0.2, 2.0, 0.1], [0.0, 0.1, 0.5]])
    estimate, variance = linear_combination(coef, vcov, [0.5, 0.5, 0.0])
    assert estimate[0] == pytest.approx(1.5)
    assert variance[0, 0] == pytest.approx(0.25 * (1.0 + 2.0 + 0.4))
    value, var_ratio = delta_method(lambda b: b[0] / b[1], coef, vcov)
    gradient = np.array([1 / 2.0, -1.0 / 4.0, 0.0])
    assert value[0] == pytest.approx(0.5)
    assert var_ratio[0, 0] == pytest.approx(gradient @ vcov @ gradient, rel=1e-8)
