"""Randomization inference: the fast path against att_gt/aggte, the permutation scheme, p-values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipelines.did import aggte, att_gt
from pipelines.did import randomization as ri
from pipelines.did.randomization import randomization_inference
from tests.conftest import REFERENCE_DIR

MPDTA = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}
EXTRA = REFERENCE_DIR / "r_did_analytic_csdid_refs" / "mpdta_extra.csv"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    data = pd.read_csv(EXTRA)
    # Strata of comparable counties: population terciles (fixed within a county).
    data["size_band"] = pd.qcut(data["lpop"], 3, labels=False)
    return data


def observed_and_reference(data, **options):
    aggregation = {
        key: options.pop(key) for key in ("min_e", "max_e", "balance_e") if key in options
    }
    kind = options.pop("aggregation")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # anticipation drops the first cohort
        result = randomization_inference(
            data, **MPDTA, n_permutations=1, aggregation=kind, **aggregation, **options
        )
        reference = aggte(att_gt(data, **MPDTA, **options), type=kind, **aggregation)
    return result.att, reference.overall_att


@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
@pytest.mark.parametrize("kind", ["simple", "dynamic", "group", "calendar"])
def test_fast_path_statistic_equals_aggte(mpdta, kind, control_group):
    observed, reference = observed_and_reference(
        mpdta, aggregation=kind, control_group=control_group
    )
    assert observed == pytest.approx(reference, abs=1e-10)


@pytest.mark.parametrize(
    "options",
    [
        {"aggregation": "simple", "base_period": "universal"},
        {"aggregation": "dynamic", "anticipation": 1},
        {"aggregation": "group", "weightsname": "wt"},
        {"aggregation": "calendar", "weightsname": "wt", "control_group": "notyettreated"},
        {"aggregation": "simple", "max_e": 1},
        {"aggregation": "dynamic", "min_e": -1, "max_e": 0},
        {"aggregation": "dynamic", "balance_e": 1},
        {"aggregation": "group", "max_e": 1},
    ],
    ids=lambda options: "-".join(f"{k}={v}" for k, v in options.items()),
)
def test_fast_path_statistic_equals_aggte_with_options(mpdta, options):
    observed, reference = observed_and_reference(mpdta, **options)
    assert observed == pytest.approx(reference, abs=1e-10)


@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_every_permutation_equals_a_reestimation(mpdta, control_group):
    """The batched statistic of a reassignment is att_gt/aggte on the relabelled data."""
    spec = {
        **MPDTA,
        "xformla": None,
        "control_group": control_group,
        "est_method": "dr",
        "anticipation": 0,
        "base_period": "varying",
        "weightsname": "wt",
    }
    panel = ri.unit_panel(
        mpdta, **MPDTA, control_group=control_group, anticipation=0, weightsname="wt"
    )
    _, codes = np.unique(panel.unit_group, return_inverse=True)
    strata = ri._strata_codes(mpdta, "countyreal", "size_band", panel.unit_ids)
    assignments = ri._Permuter(codes, strata).draw(4, np.random.default_rng(7))
    assert (assignments != codes).any(axis=1).all()
    for kind in ("simple", "dynamic"):
        plan = {"kind": kind, "min_e": None, "max_e": None, "balance_e": None}
        fast_att, fast_se = ri._FastStatistic(panel, spec, plan).with_se(assignments)
        slow_att, slow_se = ri._slow_statistics(mpdta, panel, assignments, spec, {"type": kind})
        np.testing.assert_allclose(fast_att, slow_att, rtol=0, atol=1e-10)
        # The studentized statistic's standard errors are aggte's, permutation by permutation.
        np.testing.assert_allclose(fast_se, slow_se, rtol=1e-9, atol=0)


def test_permutations_keep_cohort_sizes_within_strata():
    codes = np.array([0, 0, 1, 2, 2, 2, 0, 1, 1, 2, 2, 2])
    strata = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2])
    draws = ri._Permuter(codes, strata).draw(500, np.random.default_rng(0))
    for stratum in np.unique(strata):
        members = strata == stratum
        expected = np.bincount(codes[members], minlength=3)
        counts = np.stack([np.bincount(row, minlength=3) for row in draws[:, members]])
        assert (counts == expected).all()
    # Stratum 2 holds a single label: it never moves. The others do, to every position.
    assert (draws[:, strata == 2] == 2).all()
    assert set(draws[:, 2]) == {0, 1, 2}


def null_panel(rng: np.random.Generator, effect: float) -> pd.DataFrame:
    """60 schools × 6 years, 12 treated in two cohorts, exchangeable schools."""
    n, years = 60, np.arange(2010, 2016)
    cohort = np.zeros(n)
    cohort[:6], cohort[6:12] = 2013, 2014
    z = rng.normal(0, 0.5, n)[:, None] + rng.normal(0, 0.3, (n, len(years)))
    z = z + effect * ((cohort[:, None] > 0) & (years[None, :] >= cohort[:, None]))
    return pd.DataFrame(
        {
            "school": np.repeat(np.arange(n), len(years)),
            "year": np.tile(years, n),
            "z": z.ravel(),
            "cohort": np.repeat(cohort, len(years)),
            "level": np.repeat(np.arange(n) % 2, len(years)),
        }
    )


SCHOOLS = {"yname": "z", "tname": "year", "idname": "school", "gname": "cohort"}


def test_pvalues_are_uniform_under_the_null():
    rng = np.random.default_rng(2024)
    pvalues = np.array(
        [
            randomization_inference(
                null_panel(rng, 0.0), **SCHOOLS, strata="level", n_permutations=99, random_state=rng
            ).pvalue
            for _ in range(150)
        ]
    )
    assert stats.kstest(pvalues, "uniform").pvalue > 0.01
    assert np.mean(pvalues <= 0.05) < 0.12
    assert 0.4 < np.mean(pvalues) < 0.6


def test_pvalue_is_small_under_a_real_effect():
    data = null_panel(np.random.default_rng(5), effect=0.6)
    result = randomization_inference(data, **SCHOOLS, n_permutations=199, random_state=1)
    assert result.pvalue <= 0.01
    assert result.pvalue >= 1 / 200  # the observed assignment always counts


def test_pvalue_counts_the_distribution_and_is_reproducible(mpdta):
    first = randomization_inference(
        mpdta, **MPDTA, strata="size_band", n_permutations=199, random_state=3
    )
    again = randomization_inference(
        mpdta, **MPDTA, strata="size_band", n_permutations=199, random_state=3
    )
    np.testing.assert_array_equal(first.permutation_distribution, again.permutation_distribution)
    extreme = np.sum(np.abs(first.permutation_distribution) >= abs(first.observed))
    assert first.pvalue == pytest.approx((1 + extreme) / 200)
    assert len(first.permutation_distribution) == 199
    assert first.n_units == 500 and first.n_treated == 191 and first.n_strata == 3


def test_covariates_rerun_the_estimator(mpdta):
    result = randomization_inference(
        mpdta, **MPDTA, xformla="~ lpop", n_permutations=3, random_state=0
    )
    reference = aggte(att_gt(mpdta, **MPDTA, xformla="~ lpop"), type="simple")
    assert result.att == pytest.approx(reference.overall_att, abs=1e-12)
    assert result.observed == pytest.approx(reference.overall_att / reference.overall_se)
    assert np.isfinite(result.permutation_distribution).all()
    assert len(np.unique(result.permutation_distribution)) == 3


def test_bad_input(mpdta):
    with pytest.raises(ValueError, match="aggregation must be one of"):
        randomization_inference(mpdta, **MPDTA, aggregation="overall")
    with pytest.raises(ValueError, match="nothing to permute"):
        # Every cluster holds counties of a single cohort.
        randomization_inference(mpdta, **MPDTA, strata="clust")
    with pytest.raises(ValueError, match="strata columns not found"):
        randomization_inference(mpdta, **MPDTA, strata="region")
    varying = mpdta.assign(band=np.arange(len(mpdta)) % 2)
    with pytest.raises(ValueError, match="change over time"):
        randomization_inference(varying, **MPDTA, strata="band")
    with pytest.raises(ValueError, match="n_permutations"):
        randomization_inference(mpdta, **MPDTA, n_permutations=0)


def test_frame_summary_and_plot(mpdta):
    result = randomization_inference(
        mpdta,
        **MPDTA,
        strata=["size_band"],
        aggregation="dynamic",
        n_permutations=99,
        random_state=0,
    )
    frame = result.to_frame()
    assert list(frame.columns) == [
        "aggregation",
        "statistic",
        "att",
        "se",
        "observed",
        "pvalue",
        "p_value_floor",
        "n_permutations",
        "n_units",
        "n_treated",
        "n_strata",
        "null_sd",
        "null_q025",
        "null_q975",
    ]
    assert frame["att"].iloc[0] == result.att
    assert frame["statistic"].iloc[0] == "studentized"
    assert frame["p_value_floor"].iloc[0] == pytest.approx(1 / 100)
    text = result.summary()
    assert result.p_value_text in text and "within 3 strata" in text
    assert "smallest possible p-value is 0.01" in text
    figure = result.plot()
    assert figure.data[0].type == "histogram"
    assert len(figure.data[0].x) == 99
    assert result.p_value_text in figure.layout.title.text


@pytest.mark.parametrize(
    ("pvalue", "n_permutations", "text"),
    [
        (1 / 200, 199, "p < 0.01"),
        (1 / 1000, 999, "p < 0.002"),
        (7 / 200, 199, "p = 0.035"),
        (0.5, 99, "p = 0.50"),
        (3 / 1000, 999, "p = 0.003"),
    ],
)
def test_p_values_are_reported_at_their_resolution(pvalue, n_permutations, text):
    assert ri.format_p_value(pvalue, 1 / (n_permutations + 1)) == text
