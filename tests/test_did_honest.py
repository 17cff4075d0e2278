"""HonestDiD (Rambachan & Roth 2023) against the R package's documented output.

Reference values come from the HonestDiD repository (github.com/asheshrambachan/HonestDiD):
the README's tables for the Medicaid-expansion example (ehec_data), printed with 3
significant digits, and the full-precision objects knitr cached when it rendered them
(README_cache/gfm/*.rdb); the vignette's tables for Benzarti & Carloni and Lovenheim & Willen
(vignettes/HonestDiD_Example.pdf at commit fdadae3) and the full-precision results it was
built from (data/VignetteResults.rda).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog, minimize
from scipy.stats import foldnorm

from pipelines.did._honest import arp as _honest_arp
from pipelines.did._honest import conditional as _honest_conditional
from pipelines.did._honest import flci as _honest_flci
from pipelines.did._honest.rng import (
    SimulatedFoldedNormalQuantile,
    r_multivariate_normals,
    r_quantile,
    r_standard_normals,
)
from pipelines.did.honest import honest_did, honest_did_from_result
from tests.conftest import REFERENCE_DIR


def _load_event_study(name: str) -> tuple[np.ndarray, np.ndarray, int, int]:
    data = json.loads((REFERENCE_DIR / f"honestdid_{name}_EventStudy.json").read_text())
    return (
        np.asarray(data["betahat"]),
        np.asarray(data["sigma"]),
        len(data["prePeriodIndices"]),
        len(data["postPeriodIndices"]),
    )


def _ehec_event_study() -> tuple[np.ndarray, np.ndarray]:
    """The README's event study, computed independently of pipelines.did.twfe.

    dins on year × (first expanded in 2014) dummies, 2013 omitted, with state and year fixed
    effects, on 2008-2015 without the 2015 cohort; CRV1 by state with fixest's small-sample
    factor (state effects nested in the clusters are not counted).
    """
    data = pd.read_csv(REFERENCE_DIR / "ehec_data.csv")
    data = data[(data["year"] < 2016) & (data["yexp2"].isna() | (data["yexp2"] != 2015))]
    treated = (data["yexp2"] == 2014).to_numpy()
    years = [2008, 2009, 2010, 2011, 2012, 2014, 2015]
    design = np.column_stack([(data["year"].to_numpy() == y) & treated for y in years]).astype(
        float
    )

    def two_way_demean(values: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(values)
        frame = frame - frame.groupby(data["stfips"].to_numpy()).transform("mean")
        return (frame - frame.groupby(data["year"].to_numpy()).transform("mean")).to_numpy()

    x = two_way_demean(design)
    y = two_way_demean(data[["dins"]].to_numpy()).ravel()
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    residual = y - x @ beta
    clusters = data["stfips"].to_numpy()
    scores = np.vstack([x[clusters == c].T @ residual[clusters == c] for c in np.unique(clusters)])
    n, n_clusters = len(y), len(np.unique(clusters))
    n_params = len(years) + data["year"].nunique()
    adjustment = n_clusters / (n_clusters - 1) * (n - 1) / (n - n_params)
    return beta, adjustment * bread @ scores.T @ scores @ bread


@pytest.fixture(scope="module")
def ehec() -> tuple[np.ndarray, np.ndarray]:
    return _ehec_event_study()


def _assert_printed(values, printed, decimals_of):
    """Agreement with R's printed table: within one unit of the last printed digit."""
    for value, shown in zip(values, printed, strict=True):
        assert abs(value - shown) <= decimals_of(shown), (value, shown)


def _last_digit(shown: float) -> float:
    text = f"{shown}"
    return 10.0 ** -(len(text.split(".")[1]) if "." in text else 0)


# R's generator ------------------------------------------------------------------------------


def test_normals_reproduce_r_set_seed_streams():
    # R: set.seed(0); rnorm(5) and set.seed(42); rnorm(3), printed with 7 digits.
    np.testing.assert_allclose(
        r_standard_normals(5, 0),
        [1.2629543, -0.3262334, 1.3297993, 1.2724293, 0.4146414],
        atol=5e-8,
    )
    np.testing.assert_allclose(
        r_standard_normals(3, 42), [1.3709584, -0.5646982, 0.3631284], atol=5e-8
    )


def test_multivariate_draws_use_the_symmetric_square_root():
    sigma = np.array([[2.0, 0.6], [0.6, 1.0]])
    draws = r_multivariate_normals(4, sigma, seed=1)
    normals = r_standard_normals(8, 1).reshape(4, 2)  # rmvnorm fills by row
    w, v = np.linalg.eigh(sigma)
    np.testing.assert_allclose(draws, normals @ (v * np.sqrt(w)) @ v.T, atol=1e-14)


def test_simulated_folded_quantile_selects_the_same_order_statistics():
    quantile = SimulatedFoldedNormalQuantile(seed=0)
    draws = r_standard_normals(10**6, 0)
    for mu in (0.0, 0.37, -1.2, 4.0):
        assert quantile(mu, 0.95) == pytest.approx(np.quantile(np.abs(draws + mu), 0.95), abs=1e-14)
    assert r_quantile(np.arange(1000.0), 0.995) == pytest.approx(994.005, abs=1e-10)


def test_exact_folded_quantile():
    for mu in (0.0, 0.5, 2.0, 7.5):
        assert _honest_flci.exact_folded_normal_quantile(mu, 0.95) == pytest.approx(
            foldnorm.ppf(0.95, mu), abs=1e-10
        )


# Building blocks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num_pre", "num_post", "linear_trend", "l_vec"),
    [
        (5, 2, False, [1.0, 0.0]),
        (5, 2, False, [0.5, 0.5]),
        (4, 6, False, [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]),
        (4, 4, True, [1.0, 0.0, 0.0, 0.0]),
        (3, 5, True, [0.2, 0.2, 0.2, 0.2, 0.2]),
    ],
)
def test_dual_vertices_solve_the_test_lp(num_pre, num_post, linear_trend, l_vec):
    # η = min over nuisance τ̃ (l'τ̃ = 0) of max_i (y_i − (A_post τ̃)_i)/σ_i, solved by linprog,
    # must equal the closed-form maximum over the dual vertices.
    rng = np.random.default_rng(11)
    l_vec = np.asarray(l_vec)
    piece = _honest_arp.pieces(num_pre, linear_trend)[1]
    rows = _honest_arp.constraint_rows(num_pre, num_post, 1.3, piece, linear_trend, True)
    post = rows[:, num_pre:]
    root = rng.normal(size=(num_pre + num_post, num_pre + num_post))
    sd = np.sqrt(np.diag(rows @ (root @ root.T) @ rows.T))
    vertices = _honest_arp._dual_vertices(post[:num_post], l_vec, sd)
    null_basis = np.linalg.svd(l_vec[None, :])[2][1:].T
    nuisance = post @ null_basis
    for _ in range(20):
        y = rng.normal(size=len(sd))
        lp = linprog(
            np.r_[1.0, np.zeros(nuisance.shape[1])],
            A_ub=-np.column_stack([sd, nuisance]),
            b_ub=-y,
            bounds=[(None, None)] * (1 + nuisance.shape[1]),
            method="highs",
        )
        assert (vertices @ y).max() == pytest.approx(lp.fun, abs=1e-9)


def test_worst_case_bias_formula_matches_a_linear_program():
    # Maximise v'δ_pre + l'δ_post over Δ^SD(1) (δ_0 = 0) directly and compare with C(l) + ‖W‖₁.
    rng = np.random.default_rng(3)
    num_pre, num_post = 4, 3
    l_vec = np.array([0.2, 0.5, 0.3])
    root = rng.normal(size=(7, 7))
    problem = _honest_flci.flci_problem(root @ root.T, num_pre, num_post, l_vec)
    second = _honest_arp.difference_rows(num_pre + num_post + 1, order=2)
    second = np.delete(second, num_pre, axis=1)
    for _ in range(5):
        free = rng.normal(size=num_pre - 1)
        weights = np.r_[problem.estimator(free), l_vec]
        lp = linprog(
            -weights,
            A_ub=np.vstack([second, -second]),
            b_ub=np.ones(2 * len(second)),
            bounds=[(None, None)] * (num_pre + num_post),
            method="highs",
        )
        assert -lp.fun == pytest.approx(problem.sd_and_bias(free)[1], rel=1e-9)


def test_lasso_path_solves_every_penalised_problem():
    rng = np.random.default_rng(5)
    root = rng.normal(size=(6, 6))
    gram, linear = root @ root.T + 0.1 * np.eye(6), rng.normal(size=6)
    segments = _honest_flci._lasso_path(gram, linear)
    assert segments[-1].low == 0.0
    for lam in (0.0, 0.05, 0.3, 1.0, np.abs(linear).max() * 1.5):
        segment = next(s for s in segments if s.low <= lam <= s.high)
        path = segment.intercept + lam * segment.slope

        def objective(w, lam=lam):
            return 0.5 * w @ gram @ w + linear @ w + lam * np.abs(w).sum()

        direct = minimize(objective, path + 0.1, method="Powell", options={"xtol": 1e-10})
        assert objective(path) <= direct.fun + 1e-9


# Relative magnitudes (C-LF) ---------------------------------------------------------------


def test_relative_magnitudes_reproduce_the_readme(ehec):
    # The README's tables were computed on the grid of HonestDiD at the time: the identified
    # set at each Mbar ± 20 SE.
    beta, sigma = ehec
    result = honest_did(beta, sigma, 5, 2, m_values=[0.5, 1, 1.5, 2], grid_bounds="identified_set")
    frame = result.to_frame()
    # README table (createSensitivityResults_relativeMagnitudes, Mbarvec = seq(0.5, 2, 0.5)).
    _assert_printed(frame["lb"], [0.0241, 0.0171, 0.00859, -0.00107], _last_digit)
    _assert_printed(frame["ub"], [0.0673, 0.0720, 0.0796, 0.0883], _last_digit)
    # The same table at full precision (knitr cache of that chunk).
    np.testing.assert_allclose(
        frame["lb"],
        [0.024130122237794344, 0.017093720963044234, 0.008586907802101723, -0.0010670258970860713],
        atol=1e-12,
    )
    np.testing.assert_allclose(
        frame["ub"],
        [0.06726330158312863, 0.07196297648143499, 0.0795988279137052, 0.08834728003302408],
        atol=1e-12,
    )
    assert list(frame.columns) == ["m", "lb", "ub", "method", "delta"]
    assert set(frame["method"]) == {"C-LF"} and set(frame["delta"]) == {"DeltaRM"}
    # "the breakdown value for a significant effect is Mbar = 2": the set holds 0 just below 2.
    assert 1.8 < result.breakdown_m < 2.0


def test_relative_magnitudes_on_r_default_grid(ehec):
    # R's current code tests theta on ±20 SE around 0 (another cached run of the README); it
    # is the default grid.
    beta, sigma = ehec
    frame = honest_did(beta, sigma, 5, 2, m_values=[0, 0.5, 1, 1.5, 2]).to_frame()
    np.testing.assert_allclose(
        frame["lb"],
        [
            0.02876563121251613,
            0.024001896107258697,
            0.017039514030343955,
            0.008244926143714831,
            -0.0009161029048571911,
        ],
        atol=1e-12,
    )
    np.testing.assert_allclose(
        frame["ub"],
        [
            0.06431042392097558,
            0.06724195321651863,
            0.07200568832177609,
            0.07970095272257657,
            0.08812909944726285,
        ],
        atol=1e-12,
    )


def test_relative_magnitudes_for_the_average_effect(ehec):
    # README: l_vec = c(0.5, 0.5), Mbarvec = seq(0, 2, 0.5), and constructOriginalCS.
    beta, sigma = ehec
    result = honest_did(
        beta,
        sigma,
        5,
        2,
        m_values=[0, 0.5, 1, 1.5, 2],
        l_vec=[0.5, 0.5],
        grid_bounds="identified_set",
    )
    frame = result.to_frame()
    np.testing.assert_allclose(
        frame["lb"],
        [
            0.04053046714881314,
            0.03214178319537053,
            0.01938431730559176,
            0.005824264875491425,
            -0.008538374094930495,
        ],
        atol=1e-12,
    )
    np.testing.assert_allclose(
        frame["ub"],
        [
            0.07512256249015431,
            0.07981560160559506,
            0.09014856148539291,
            0.1035014948083135,
            0.11724861535515924,
        ],
        atol=1e-12,
    )
    np.testing.assert_allclose(
        result.original_ci, [0.04036995251077609, 0.07528307712819136], atol=1e-12
    )


def test_deviation_from_linear_trend_reproduces_the_vignette():
    # Vignette, Benzarti & Carloni: bound = "deviation from linear trend", 100 grid points on
    # [-1, 1]; printed with 3 digits, full precision from VignetteResults.rda.
    beta, sigma, num_pre, num_post = _load_event_study("BCdata")
    result = honest_did(
        beta,
        sigma,
        num_pre,
        num_post,
        m_values=[0, 0.5, 1, 1.5, 2],
        bound="linear_trend",
        grid_points=100,
        grid_bounds=(-1, 1),
    )
    frame = result.to_frame()
    _assert_printed(frame["lb"], [0.212, 0.152, 0.0707, -0.0101, -0.111], _last_digit)
    _assert_printed(frame["ub"], [0.313, 0.394, 0.495, 0.596, 0.697], _last_digit)
    grid = np.linspace(-1, 1, 100)
    np.testing.assert_allclose(frame["lb"], grid[[60, 57, 53, 49, 44]], atol=1e-12)
    np.testing.assert_allclose(frame["ub"], grid[[65, 69, 74, 79, 84]], atol=1e-12)
    assert set(frame["delta"]) == {"DeltaSDRM"}
    np.testing.assert_allclose(
        result.original_ci, [0.15877494280765034, 0.23314729268124126], atol=1e-12
    )
    # "the breakdown value of Mbar is about 1.5"
    assert 1.0 < result.breakdown_m < 1.5


@dataclass(frozen=True)
class _EventStudy:
    event_times: np.ndarray
    coef: np.ndarray
    vcov: np.ndarray


@pytest.mark.filterwarnings("ignore:some groups have very few observations")
def test_callaway_santanna_event_study_reproduces_the_readme():
    # README, staggered timing: did::att_gt(control_group = "notyettreated",
    # base_period = "universal"), aggte(type = "dynamic", min_e = -5, max_e = 5), then
    # honest_did(es, e = 0, type = "relative_magnitude") with V = ψ'ψ / n² and 100 grid points.
    from pipelines.did import aggte, att_gt

    data = pd.read_csv(REFERENCE_DIR / "ehec_data.csv")
    data["first_treated"] = data["yexp2"].fillna(0)
    cs = att_gt(
        data,
        yname="dins",
        tname="year",
        idname="stfips",
        gname="first_treated",
        control_group="notyettreated",
        base_period="universal",
    )
    # Some states form one-state cohorts: R keeps them in the aggregation (by default they are
    # left out, their own variance being unestimable).
    es = aggte(cs, type="dynamic", min_e=-5, max_e=5, exclude_small_groups=False)
    influence = es.influence_function
    event_study = _EventStudy(es.keys, es.att, influence.T @ influence / influence.shape[0] ** 2)
    result = honest_did_from_result(
        event_study, m_values=[0.5, 1, 1.5, 2], grid_points=100, grid_bounds="identified_set"
    )
    frame = result.to_frame()
    np.testing.assert_allclose(
        frame["lb"],
        [0.03157602742244109, 0.02360264211624702, 0.017884203742600135, 0.009262331139133967],
        atol=1e-10,
    )
    np.testing.assert_allclose(
        frame["ub"],
        [0.058974392869548364, 0.06184835040403708, 0.07005754927287555, 0.07595284781850575],
        atol=1e-10,
    )
    np.testing.assert_allclose(
        result.original_ci, [0.03347873064897956, 0.05707168964300989], atol=1e-10
    )


def test_sun_abraham_event_study_reproduces_the_readme():
    # README, "Sun and Abraham": feols(dins ~ sunab(year_treated, year) | stfips + year,
    # cluster = "stfips") on all of ehec_data, event-time aggregation with its VCV, then
    # createSensitivityResults_relativeMagnitudes(Mbarvec = 0.5..2, gridPoints = 100).
    from pipelines.did import sun_abraham

    data = pd.read_csv(REFERENCE_DIR / "ehec_data.csv")
    data["first_treated"] = data["yexp2"].fillna(0)
    fit = sun_abraham(data, "dins", "year", "stfips", "first_treated")
    result = honest_did_from_result(
        fit, m_values=[0.5, 1, 1.5, 2], grid_points=100, grid_bounds="identified_set"
    )
    frame = result.to_frame()
    np.testing.assert_allclose(
        frame["lb"],
        [0.009797353861502878, -0.01991882238492075, -0.04793231533161557, -0.07599948699786975],
        atol=1e-10,
    )
    np.testing.assert_allclose(
        frame["ub"],
        [0.07518909790340084, 0.10133887139168887, 0.1288998541536719, 0.1609859387627735],
        atol=1e-10,
    )
    np.testing.assert_allclose(
        result.original_ci, [0.02958309714581496, 0.05540335461908874], atol=1e-10
    )


def test_relative_magnitude_intervals_widen_with_mbar(ehec):
    beta, sigma = ehec
    result = honest_did(beta, sigma, 5, 2, m_values=[0, 0.25, 0.5, 1, 2, 3], breakdown=False)
    frame = result.to_frame()
    assert np.all(np.diff(frame["lb"]) <= 0) and np.all(np.diff(frame["ub"]) >= 0)
    # Mbar = 0 imposes exact parallel trends after treatment: close to the original interval.
    np.testing.assert_allclose(
        frame.loc[0, ["lb", "ub"]].to_numpy(dtype=float), result.original_ci, atol=0.1 * result.se
    )
    assert np.isnan(result.breakdown_m)


def test_breakdown_is_where_zero_enters_the_interval_r_reports(ehec):
    # R reports the set as its smallest and largest accepted theta on R's default grid (1,000
    # points on ±20 SE); the breakdown value is the Mbar at which that interval first holds 0,
    # found continuously, so it does not depend on the Mbar grid asked for. README (current
    # grid): lb 0.00824 at Mbar = 1.5 and -0.000916 at Mbar = 2.
    beta, sigma = ehec
    coarse = honest_did(beta, sigma, 5, 2, m_values=[0.5, 1, 1.5, 2]).breakdown_m
    assert honest_did(beta, sigma, 5, 2, m_values=[1.0]).breakdown_m == coarse
    assert honest_did(beta, sigma, 5, 2).breakdown_m == coarse  # R's default Mbarvec
    assert 1.5 < coarse < 2.0
    edge = honest_did(
        beta, sigma, 5, 2, m_values=[coarse * (1 - 2e-4), coarse], breakdown=False
    ).to_frame()
    assert edge["lb"].iat[0] > 0 >= edge["lb"].iat[1]
    assert coarse == pytest.approx(1.95, abs=1e-3)


def test_breakdown_is_where_zero_enters_the_interval(ehec):
    beta, sigma = ehec
    result = honest_did(beta, sigma, 5, 2, m_values=[1.0])
    below = honest_did(beta, sigma, 5, 2, m_values=[0.99 * result.breakdown_m], breakdown=False)
    above = honest_did(beta, sigma, 5, 2, m_values=[1.01 * result.breakdown_m], breakdown=False)
    assert below.to_frame()["lb"].iat[0] > 0
    assert above.to_frame()["lb"].iat[0] <= 0


# Smoothness (FLCI) -------------------------------------------------------------------------


def test_smoothness_reproduces_the_readme(ehec):
    beta, sigma = ehec
    result = honest_did(beta, sigma, 5, 2, "smoothness", m_values=[0, 0.01, 0.02, 0.03, 0.04, 0.05])
    frame = result.to_frame()
    _assert_printed(frame["lb"], [0.0259, 0.0132, 0.00286, -0.00714, -0.0171, -0.0271], _last_digit)
    _assert_printed(frame["ub"], [0.0607, 0.0787, 0.0907, 0.101, 0.111, 0.121], _last_digit)
    # Full precision: where the optimum is the bias-minimising corner (M >= 0.02) R's convex
    # solver is exact; at M = 0 and 0.01 it stops about 1e-5 from the optimum.
    r_lb = [
        0.02594147902742559,
        0.013197025151447349,
        0.002856995951433544,
        -0.007142576403053387,
        -0.017142576402225745,
        -0.027142576401398125,
    ]
    r_ub = [
        0.06072578637633297,
        0.0786707425358153,
        0.09071603940652409,
        0.10071561176101101,
        0.11071561176018338,
        0.12071561175935576,
    ]
    np.testing.assert_allclose(frame["lb"], r_lb, atol=2e-5)
    np.testing.assert_allclose(frame["ub"], r_ub, atol=2e-5)
    np.testing.assert_allclose(frame["lb"][2:], r_lb[2:], atol=1e-10)
    np.testing.assert_allclose(frame["ub"][2:], r_ub[2:], atol=1e-10)
    assert set(frame["method"]) == {"FLCI"} and set(frame["delta"]) == {"DeltaSD"}
    # "the breakdown value for a significant effect is M ≈ 0.03" (lb < 0 at 0.03, > 0 at 0.02).
    assert 0.02 < result.breakdown_m < 0.03


def test_smoothness_reproduces_the_vignette_for_lovenheim_willen():
    # Vignette: l_vec = basisVector(15 - (-2), 23), Mvec = seq(0, 0.04, 0.005).
    beta, sigma, num_pre, num_post = _load_event_study("LWdata")
    m_values = np.arange(9) * 0.005
    frame = honest_did(
        beta, sigma, num_pre, num_post, "smoothness", m_values, np.eye(num_post)[16]
    ).to_frame()
    r_lb = np.array(
        [3.9054468894744465, 2.1063200338826045, -0.08290561389502837, -2.3839998964394824,
         -4.9460143939409456, -8.1304436469002, -10.559651076657207, -12.775202467828187,
         -14.103774707728325]
    )  # fmt: skip
    r_ub = np.array(
        [8.374721275820278, 8.156882226981828, 8.19083565602173, 8.030196380892102,
         7.505833646636194, 6.220914858897489, 5.548280293436117, 5.03780559439237,
         5.384253362263047]
    )  # fmt: skip
    half, r_half = (frame["ub"] - frame["lb"]) / 2, (r_ub - r_lb) / 2
    centre, r_centre = (frame["ub"] + frame["lb"]) / 2, (r_ub + r_lb) / 2
    # Half-lengths agree to 5e-6; ours is never longer than R's (both use R's simulated
    # quantile, so ours is at least as close to the optimum).
    np.testing.assert_allclose(half, r_half, rtol=5e-6)
    assert np.all(half <= r_half * (1 + 1e-8))
    # The optimum is flat along the bias/variance frontier. Where R's solver converged
    # (M >= 0.01) the centres agree to 1e-4 of the half-length; at M = 0 (R's minimum-variance
    # step is inexact) and M = 0.005 (R stops elsewhere on a flat valley of equal length)
    # they differ by 0.1% and 1% of the half-length.
    np.testing.assert_allclose(centre[2:], r_centre[2:], atol=1e-4 * r_half[2:].max())
    np.testing.assert_allclose(centre[:2], r_centre[:2], atol=0.015 * r_half[:2].max())
    # Printed table (3 significant digits), where R's optimiser converged.
    _assert_printed(frame["lb"][3:6], [-2.38, -4.95, -8.13], _last_digit)
    _assert_printed(frame["ub"][2:6], [8.19, 8.03, 7.51, 6.22], _last_digit)


# Sign and shape restrictions (conditional FLCI hybrid) --------------------------------------


def test_sign_restriction_reproduces_the_vignette_for_benzarti_carloni():
    # Vignette: createSensitivityResults(BC betahat, sigma, l_vec = basisVector(1, 4),
    # Mvec = seq(0, 0.3, 0.1), biasDirection = "negative"), R's default method C-F; the table
    # at full precision from VignetteResults.rda (BC_DeltaSDNB_RobustResults; the vignette
    # shows it as a plot). R's grid is 1,000 points on the alpha/10-level FLCI.
    beta, sigma, num_pre, num_post = _load_event_study("BCdata")
    result = honest_did(
        beta, sigma, num_pre, num_post, "smoothness", [0, 0.1, 0.2, 0.3], bias_direction="negative"
    )
    frame = result.to_frame()
    assert set(frame["method"]) == {"C-F"} and set(frame["delta"]) == {"DeltaSDNB"}
    r_lb = [0.20585589237121615, 0.16410967688077704, 0.16411673241389796, 0.16420316246544925]
    r_ub = [0.23422377899920532, 0.41835290701387573, 0.5184691025050705, 0.6468395434338192]
    # Where the grid is R's (its FLCI is exact for M > 0) the limits are R's grid points.
    np.testing.assert_allclose(frame["lb"][1:], r_lb[1:], atol=1e-9)
    np.testing.assert_allclose(frame["ub"][1:3], r_ub[1:3], atol=1e-9)
    # M = 0: R's FLCI stops 1e-6 short of the optimum, which moves its grid by as much, and R
    # rejects the last grid point (the FLCI's end, a tie of rounding) where we accept it.
    assert frame["lb"].iat[0] == pytest.approx(r_lb[0], abs=1e-6)
    step = (frame["ub"].iat[0] - 0.113235127841909) / 999
    assert 0 < frame["ub"].iat[0] - r_ub[0] <= 1.01 * step
    # M = 0.3: R reports the end of its grid, 0.6468, which its test accepts by the same tie
    # (theta at the end of the FLCI puts gamma'Y exactly on its truncation point); every grid
    # point from 0.6189 to the end but that one is rejected (ours too).
    assert r_ub[3] == pytest.approx(0.6468395434510493, abs=1e-9)  # = our grid's end
    assert frame["ub"].iat[3] == pytest.approx(0.618093175931469, abs=1e-9)
    # The restriction narrows Delta^SD's interval from below: a negative bias can only have
    # pushed the estimate down.
    plain = honest_did(
        beta, sigma, num_pre, num_post, "smoothness", [0.1, 0.2, 0.3], breakdown=False
    )
    assert np.all(frame["lb"][1:].to_numpy() > plain.to_frame()["lb"].to_numpy())


def test_shape_restriction_reproduces_the_vignette_for_lovenheim_willen():
    # Vignette: createSensitivityResults(LW betahat, sigma, monotonicityDirection =
    # "decreasing", l_vec = basisVector(15 - (-2), 23), Mvec = seq(0, 0.04, 0.005)), C-F; full
    # precision from VignetteResults.rda (LW_DeltaSDD_RobustResults; shown as a plot).
    beta, sigma, num_pre, num_post = _load_event_study("LWdata")
    m_values = np.arange(9) * 0.005
    result = honest_did(
        beta,
        sigma,
        num_pre,
        num_post,
        "smoothness",
        m_values,
        np.eye(num_post)[16],
        monotonicity_direction="decreasing",
        breakdown=False,
    )
    frame = result.to_frame()
    assert set(frame["method"]) == {"C-F"} and set(frame["delta"]) == {"DeltaSDD"}
    r_lb = np.array(
        [2.953459488442958, 1.409334321045161, -0.3781849081421344, -2.1755245834114914,
         -4.002950162387201, -5.89035456807683, -6.305320078426394, -6.2887197447266345,
         -6.251311524657899]
    )  # fmt: skip
    r_ub = np.array(
        [9.109366176946152, 9.373515622497543, 9.852424595129841, 10.261391879883586,
         10.58585569042819, 10.783762062763447, 10.813034487128112, 10.53706730218397,
         9.778836603456782]
    )  # fmt: skip
    # One grid step: the grid spans the alpha/10-level FLCI, whose optimum R's solver misses
    # by up to 0.1% of its length here (see the Delta^SD test above).
    test = [
        _honest_conditional.conditional_flci_test(
            beta, sigma, num_pre, num_post, np.eye(num_post)[16], m, 0.05, None, "decreasing",
            SimulatedFoldedNormalQuantile(0),
        )
        for m in m_values
    ]  # fmt: skip
    step = np.array([2 * t.flci_half / 999 for t in test])
    # Below M = 0.025 the lower limit is the grid's first point (the FLCI's lower end), so it
    # moves with R's FLCI by up to 1.1 steps; from M = 0.025 on both limits are interior and
    # agree to 1% of a step.
    assert np.all(np.abs(frame["lb"] - r_lb) <= 1.1 * step)
    assert np.all(np.abs(frame["ub"] - r_ub) <= 1.1 * step)
    np.testing.assert_array_less(np.abs(frame["lb"] - r_lb)[5:], 0.01 * step[5:])
    np.testing.assert_array_less(np.abs(frame["ub"] - r_ub)[5:], 0.01 * step[5:])
    # At M = 0.025 the accepted thetas form two intervals (-5.89 to -3.50 and 5.54 to 10.78);
    # R reports the hull, as we do.
    assert frame["lb"].iat[5] < -5.8 and frame["ub"].iat[5] > 10.7


def test_restriction_sets_are_r_constraints():
    # Delta^SDD: second differences within M and delta weakly decreasing from -K to T, with
    # delta_0 = 0; Delta^SDPB: the same smoothness and delta_post >= 0.
    rng = np.random.default_rng(2)
    matrix, bound = _honest_conditional.constraints(3, 2, 0.5, None, "decreasing")
    for _ in range(200):
        delta = rng.normal(size=5)
        path = np.r_[delta[:3], 0.0, delta[3:]]
        second = np.abs(np.diff(path, 2)) <= 0.5
        inside = bool(second.all() and np.all(np.diff(path) <= 0))
        assert bool(np.all(matrix @ delta <= bound)) == inside
    matrix, bound = _honest_conditional.constraints(3, 2, 0.5, "positive", None)
    for _ in range(200):
        delta = rng.normal(size=5)
        path = np.r_[delta[:3], 0.0, delta[3:]]
        inside = bool(np.all(np.abs(np.diff(path, 2)) <= 0.5) and np.all(delta[3:] >= 0))
        assert bool(np.all(matrix @ delta <= bound)) == inside


def test_degenerate_conditioning_interval_matches_a_direct_search():
    # The Charnes-Cooper LPs give the ends of the set of gamma'Y on which the dual vertex
    # stays optimal; check them against evaluating the dual LP along the line.
    beta, sigma, num_pre, num_post = _load_event_study("BCdata")
    test = _honest_conditional.conditional_flci_test(
        beta, sigma, num_pre, num_post, np.eye(num_post)[0], 0.3, 0.05, "negative", None,
        SimulatedFoldedNormalQuantile(0),
    )  # fmt: skip
    theta = 0.62
    y = test.y_at_zero - test.theta_loading * theta
    sd = np.sqrt(np.diag(test.sigma_y))
    eta, gamma = _honest_conditional._solve_eta(y, test.nuisance, sd)
    assert (gamma > 1e-6).sum() < test.nuisance.shape[1] + 1  # degenerate
    v_lo, v_up = _honest_conditional._degenerate_interval(
        eta, gamma, y, test.sigma_y, sd, test.nuisance
    )
    b = test.sigma_y @ gamma / (gamma @ test.sigma_y @ gamma)
    s = y - b * eta

    def optimal(c: float) -> bool:
        value, _ = _honest_conditional._solve_eta(s + b * c, test.nuisance, sd)
        return abs(value - c) < 1e-7  # HiGHS's feasibility tolerance

    assert np.isfinite(v_lo) and v_lo < eta and not np.isfinite(v_up)
    assert optimal(v_lo + 1e-4) and not optimal(v_lo - 1e-4)
    assert optimal(eta + 50.0)


def test_restrictions_are_validated(ehec):
    beta, sigma = ehec
    with pytest.raises(ValueError, match="not both"):
        honest_did(
            beta, sigma, 5, 2, "smoothness", bias_direction="positive",
            monotonicity_direction="increasing",
        )  # fmt: skip
    with pytest.raises(ValueError, match="bias_direction must be"):
        honest_did(beta, sigma, 5, 2, "smoothness", bias_direction="up")
    with pytest.raises(ValueError, match="monotonicity_direction must be"):
        honest_did(beta, sigma, 5, 2, "smoothness", monotonicity_direction="down")
    with pytest.raises(ValueError, match="method='smoothness'"):
        honest_did(beta, sigma, 5, 2, bias_direction="positive")
    with pytest.raises(ValueError, match="two post-periods"):
        honest_did(beta[:6], sigma[:6, :6], 5, 1, "smoothness", bias_direction="positive")


def test_exact_quantile_differs_from_r_only_by_simulation_error(ehec):
    beta, sigma = ehec
    grid = [0, 0.01, 0.03]
    simulated = honest_did(beta, sigma, 5, 2, "smoothness", grid, breakdown=False).to_frame()
    exact = honest_did(
        beta, sigma, 5, 2, "smoothness", grid, flci_quantile="exact", breakdown=False
    ).to_frame()
    half_sim, half_exact = simulated["ub"] - simulated["lb"], exact["ub"] - exact["lb"]
    np.testing.assert_allclose(half_exact, half_sim, rtol=2e-3)
    # At M = 0 the FLCI is the minimum-variance estimator ± 1.96 sd exactly.
    se_min = half_exact.iat[0] / 2 / 1.959963984540054
    assert se_min < np.sqrt(sigma[5, 5])


def test_smoothness_intervals_widen_with_m(ehec):
    beta, sigma = ehec
    frame = honest_did(
        beta, sigma, 5, 2, "smoothness", np.linspace(0, 0.06, 7), breakdown=False
    ).to_frame()
    assert np.all(np.diff(frame["ub"] - frame["lb"]) > 0)


def test_default_grids_follow_r(ehec):
    beta, sigma = ehec
    rm = honest_did(beta, sigma, 5, 2, breakdown=False).to_frame()
    np.testing.assert_allclose(rm["m"], np.linspace(0, 2, 10))
    sd = honest_did(beta, sigma, 5, 2, "smoothness", breakdown=False).to_frame()
    assert len(sd) == 10 and sd["m"].iat[0] == 0
    # R: DeltaSD_upperBound_Mpre, the largest pre-period |second difference| + 1.645 SE.
    pre = np.r_[beta[:5], 0.0]
    second = pre[2:] - 2 * pre[1:-1] + pre[:-2]
    assert sd["m"].iat[-1] >= np.abs(second).max()


# Entry points and errors --------------------------------------------------------------------


def test_from_result_accepts_a_twfe_event_study(ehec):
    from pipelines.did.twfe import twfe

    data = pd.read_csv(REFERENCE_DIR / "ehec_data.csv")
    data = data[(data["year"] < 2016) & (data["yexp2"].isna() | (data["yexp2"] != 2015))].copy()
    data["first_treated"] = np.where(data["yexp2"] == 2014, 2014, 0)
    fit = twfe(data, "dins", "year", "stfips", "first_treated", dynamic=True)
    via_result = honest_did_from_result(fit, m_values=[1.0], breakdown=False).to_frame()
    beta, sigma = ehec
    direct = honest_did(beta, sigma, 5, 2, m_values=[1.0], breakdown=False).to_frame()
    pd.testing.assert_frame_equal(via_result, direct, atol=1e-12)


def test_from_result_drops_the_reference_period_and_picks_e(ehec):
    beta, sigma = ehec
    times = np.array([-6, -5, -4, -3, -2, -1, 0, 1])
    coef = np.insert(beta, 5, 0.0)
    vcov = np.insert(np.insert(sigma, 5, 0.0, axis=0), 5, 0.0, axis=1)
    result = honest_did_from_result(
        _EventStudy(times, coef, vcov), "smoothness", [0.01], e=1, breakdown=False
    )
    direct = honest_did(beta, sigma, 5, 2, "smoothness", [0.01], [0, 1], breakdown=False)
    pd.testing.assert_frame_equal(result.to_frame(), direct.to_frame())
    gap = _EventStudy(np.array([-6, -4, -3, -2, 0, 1]), beta[1:], sigma[1:, 1:])
    with pytest.raises(ValueError, match="consecutive"):
        honest_did_from_result(gap)
    with pytest.raises(TypeError, match="event_times, coef and vcov"):
        honest_did_from_result(object())


@dataclass(frozen=True)
class _VaryingBaseEventStudy(_EventStudy):
    settings: dict


def test_from_result_refuses_a_varying_base_period(ehec):
    beta, sigma = ehec
    times = np.array([-6, -5, -4, -3, -2, 0, 1])
    event_study = _VaryingBaseEventStudy(times, beta, sigma, {"base_period": "varying"})
    with pytest.raises(ValueError, match="universal"):
        honest_did_from_result(event_study)


def test_invalid_inputs_are_rejected(ehec):
    beta, sigma = ehec
    with pytest.raises(ValueError, match="must match"):
        honest_did(beta, sigma, 4, 2)
    with pytest.raises(ValueError, match="method"):
        honest_did(beta, sigma, 5, 2, "wild")
    with pytest.raises(ValueError, match="l_vec"):
        honest_did(beta, sigma, 5, 2, l_vec=[0, 0])
    with pytest.raises(ValueError, match="positive semi-definite"):
        honest_did(beta, -sigma, 5, 2)
    with pytest.raises(ValueError, match="m_values"):
        honest_did(beta, sigma, 5, 2, m_values=[-1])
    with pytest.raises(ValueError, match="bound"):
        honest_did(beta, sigma, 5, 2, bound="sideways")
    with pytest.raises(ValueError, match="relative_magnitude' only"):
        honest_did(beta, sigma, 5, 2, "smoothness", bound="linear_trend")


def test_open_interval_at_the_grid_edge_warns(ehec):
    beta, sigma = ehec
    with pytest.warns(UserWarning, match="end of the theta grid"):
        honest_did(beta, sigma, 5, 2, m_values=[2.0], grid_bounds=(0.0, 0.05), breakdown=False)


def test_an_empty_set_warns_and_is_nan(ehec):
    beta, sigma = ehec
    with pytest.warns(UserWarning, match="no theta is accepted"):
        result = honest_did(
            beta, sigma, 5, 2, m_values=[1.0], grid_bounds=(1.0, 2.0), breakdown=False
        )
    assert result.to_frame()[["lb", "ub"]].isna().all(axis=None)


def test_summary_and_plot(ehec):
    beta, sigma = ehec
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = honest_did(beta, sigma, 5, 2, m_values=[0.5, 1, 1.5, 2])
    text = result.summary()
    assert "Breakdown value: Mbar = 1.9" in text
    assert "original 95% CI [0.0285, 0.0644]" in text
    figure = result.plot()
    assert [trace.name for trace in figure.data] == ["Original", "C-LF (DeltaRM)"]
    smooth = honest_did(beta, sigma, 5, 2, "smoothness", [0, 0.01, 0.02, 0.03])
    assert "Breakdown value: M = 0.02" in smooth.summary()
    assert [trace.name for trace in smooth.plot().data] == ["Original", "FLCI (DeltaSD)"]
