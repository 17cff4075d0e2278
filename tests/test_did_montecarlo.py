"""Monte Carlo: coverage of the Callaway-Sant'Anna intervals on panels shaped like the program.

About 1,400 schools over 12 spring years (2008-2019); 13 schools first partnered in 2012 and
20 in 2013, the rest never. School means of standardized scores: a school effect with 20% of the
student variance (ICC 0.2), common year shocks, sampling noise of a school-year mean of 30-150
students, a small school-year shock, and a partnering effect that grows with exposure
(0.03 SD in the first year, +0.015 SD per year). Parallel trends hold, so pre-period ATTs are 0.

Each replication estimates att_gt (no covariates, never-treated comparisons: the fast path)
and the dynamic aggregation, and checks whether each interval covers the truth:
- the default interval (small-sample corrected SEs, Welch t degrees of freedom);
- R's analytic interval (influence-function SEs, normal critical value);
- R's multiplier bootstrap (pointwise, normal critical value);
- the uniform band over event times (default settings with cband=True), jointly;
- what the pipeline reports (analysis.yaml: bootstrap, uniform bands, small-sample defaults):
  the simple aggregation's bootstrap interval (the report's headline), and the dynamic
  aggregation's overall bootstrap interval.
It also records the size of the parallel-trends pre-test (R's and the small-sample one) and
fits a static two-way fixed-effects regression (within transformation) to show its bias when
effects grow. With ~1,370 never-partnered schools TWFE is nearly unbiased (its comparisons are
almost all against them); among the 33 partnered schools alone, where it must compare early
with late cohorts, the already-treated serve as controls and growing effects drag it far down.

A second design makes the partnered schools the noisiest (as small low-performing schools
are: 20-40 students tested against 30-150 elsewhere) and measures, over fewer replications,
the coverage of the headline intervals (the simple aggregation: default analytic and the
pipeline's bootstrap) and the size of randomization inference on the same panels without the
effect: the default studentized statistic and the raw ATT.

Run with `-s` to print the coverage table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.did import aggte, att_gt
from pipelines.did.randomization import randomization_inference

pytestmark = pytest.mark.slow

N_SCHOOLS = 1_400
YEARS = np.arange(2008, 2020)
COHORTS = {2012: 13, 2013: 20}
REPLICATIONS = 1_000
SEED = 20120901
BOOTSTRAP_DRAWS = 499
NOISY_REPLICATIONS = 250
NOISY_STUDENTS = (20, 41)  # students tested in a partnered school (others: 30-150)
PERMUTATIONS = 99


def effect(exposure: np.ndarray) -> np.ndarray:
    return np.where(exposure >= 0, 0.03 + 0.015 * exposure, 0.0)


def cohort_of_school() -> np.ndarray:
    cohort = np.zeros(N_SCHOOLS)
    start = 0
    for year, size in COHORTS.items():
        cohort[start : start + size] = year
        start += size
    return cohort


def simulate_panel(
    rng: np.random.Generator, cohort: np.ndarray, noisy_treated: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes (schools x years) and the treatment indicator. With `noisy_treated` the
    partnered schools test the fewest students, so their means are the noisiest."""
    n_years = len(YEARS)
    students = rng.integers(30, 151, size=N_SCHOOLS)
    if noisy_treated:
        partnered = cohort > 0
        students[partnered] = rng.integers(*NOISY_STUDENTS, size=int(partnered.sum()))
    school = rng.normal(0.0, np.sqrt(0.2), size=N_SCHOOLS)
    year = rng.normal(0.0, 0.05, size=n_years)
    noise = rng.normal(size=(N_SCHOOLS, n_years)) * np.sqrt(0.8 / students)[:, None]
    noise += rng.normal(0.0, 0.03, size=(N_SCHOOLS, n_years))
    exposure = YEARS[None, :] - cohort[:, None]
    treated = (cohort[:, None] > 0) & (exposure >= 0)
    outcome = school[:, None] + year[None, :] + noise + np.where(treated, effect(exposure), 0.0)
    return outcome, treated.astype(float)


def long_frame(outcome: np.ndarray, cohort: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school": np.repeat(np.arange(N_SCHOOLS), len(YEARS)),
            "year": np.tile(YEARS, N_SCHOOLS),
            "cohort": np.repeat(cohort, len(YEARS)),
            "score": outcome.ravel(),
        }
    )


def twfe_static(outcome: np.ndarray, treated: np.ndarray) -> float:
    """Static TWFE coefficient on a balanced panel by the two-way within transformation."""

    def within(matrix: np.ndarray) -> np.ndarray:
        return matrix - matrix.mean(axis=1, keepdims=True) - matrix.mean(axis=0) + matrix.mean()

    d = within(treated)
    return float((d * within(outcome)).sum() / (d * d).sum())


def covers(estimate, se, crit, truth) -> np.ndarray:
    return np.abs(np.asarray(estimate) - truth) <= np.asarray(crit) * np.asarray(se)


@pytest.fixture(scope="module")
def simulation() -> dict:
    rng = np.random.default_rng(SEED)
    cohort = cohort_of_school()
    sizes = np.array(list(COHORTS.values()))
    records: dict[str, list] = {key: [] for key in ("default", "r_analytic", "r_bootstrap")}
    records.update(
        band=[], overall=[], pretest=[], r_pretest=[], twfe=[], twfe_treated=[], simple=[]
    )
    records.update(headline=[], dynamic_overall_bootstrap=[])
    simple_truth = _simple_truth(sizes)
    partnered = cohort > 0
    for _ in range(REPLICATIONS):
        outcome, treated = simulate_panel(rng, cohort)
        result = att_gt(long_frame(outcome, cohort), "score", "year", "school", "cohort")
        default = aggte(result, type="dynamic")
        event_times = default.keys
        truth = effect(event_times)
        overall_truth = truth[event_times >= 0].mean()
        r_analytic = aggte(result, type="dynamic", small_sample=False)
        r_boot = aggte(result, type="dynamic", small_sample=False, bstrap=True, random_state=rng)
        band = aggte(result, type="dynamic", cband=True, random_state=rng)
        for name, agg in (
            ("default", default),
            ("r_analytic", r_analytic),
            ("r_bootstrap", r_boot),
        ):
            records[name].append(covers(agg.att, agg.se, agg.crit_val, truth))
            records["overall"].append(
                (
                    name,
                    bool(
                        covers(agg.overall_att, agg.overall_se, agg.overall_crit_val, overall_truth)
                    ),
                )
            )
        records["band"].append(bool(covers(band.att, band.se, band.crit_val, truth).all()))
        records["dynamic_overall_bootstrap"].append(
            bool(covers(band.overall_att, band.overall_se, band.overall_crit_val, overall_truth))
        )
        headline = aggte(result, type="simple", bstrap=True, random_state=rng)
        records["headline"].append(
            bool(
                covers(
                    headline.overall_att,
                    headline.overall_se,
                    headline.overall_crit_val,
                    simple_truth,
                )
            )
        )
        records["pretest"].append(result.pretest_pvalue < 0.05)
        records["r_pretest"].append(r_result_pretest(result) < 0.05)
        records["twfe"].append(twfe_static(outcome, treated))
        records["twfe_treated"].append(twfe_static(outcome[partnered], treated[partnered]))
        simple = aggte(result, type="simple")
        records["simple"].append(simple.overall_att)
    summary = {
        "event_times": event_times,
        "coverage": {
            k: np.mean(records[k], axis=0) for k in ("default", "r_analytic", "r_bootstrap")
        },
        "overall": {
            name: np.mean([hit for label, hit in records["overall"] if label == name])
            for name in ("default", "r_analytic", "r_bootstrap")
        },
        "band": float(np.mean(records["band"])),
        "headline": float(np.mean(records["headline"])),
        "dynamic_overall_bootstrap": float(np.mean(records["dynamic_overall_bootstrap"])),
        "pretest_rejection": float(np.mean(records["pretest"])),
        "r_pretest_rejection": float(np.mean(records["r_pretest"])),
        "twfe": np.array(records["twfe"]),
        "twfe_treated": np.array(records["twfe_treated"]),
        "simple": np.array(records["simple"]),
        "simple_truth": simple_truth,
    }
    _print(summary)
    return summary


@pytest.fixture(scope="module")
def noisy_treated() -> dict:
    """Headline coverage and randomization-inference size when partnered schools are noisiest."""
    rng = np.random.default_rng(SEED + 1)
    cohort = cohort_of_school()
    truth = _simple_truth(np.array(list(COHORTS.values())))
    records: dict[str, list[bool]] = {
        "default": [], "headline": [], "ri_studentized": [], "ri_att": [],
    }  # fmt: skip
    for _ in range(NOISY_REPLICATIONS):
        outcome, treated = simulate_panel(rng, cohort, noisy_treated=True)
        result = att_gt(long_frame(outcome, cohort), "score", "year", "school", "cohort")
        default = aggte(result, type="simple")
        headline = aggte(result, type="simple", bstrap=True, random_state=rng)
        for name, agg in (("default", default), ("headline", headline)):
            hit = covers(agg.overall_att, agg.overall_se, agg.overall_crit_val, truth)
            records[name].append(bool(hit))
        applied = np.where(treated > 0, effect(YEARS[None, :] - cohort[:, None]), 0.0)
        null = long_frame(outcome - applied, cohort)
        seed = int(rng.integers(2**31))
        for statistic in ("studentized", "att"):
            test = randomization_inference(
                null,
                "score",
                "year",
                "school",
                "cohort",
                n_permutations=PERMUTATIONS,
                statistic=statistic,
                random_state=seed,
            )
            records[f"ri_{statistic}"].append(test.pvalue <= 0.05)
    summary = {name: float(np.mean(values)) for name, values in records.items()}
    print(
        f"\nPartnered schools noisiest ({NOISY_STUDENTS[0]}-{NOISY_STUDENTS[1] - 1} students), "
        f"{NOISY_REPLICATIONS} replications:\n"
        f"headline (simple) 95% coverage: default {summary['default']:.3f}, "
        f"bootstrap (reported) {summary['headline']:.3f}\n"
        f"randomization inference at 5% without the effect ({PERMUTATIONS} permutations): "
        f"studentized {summary['ri_studentized']:.3f}, raw ATT {summary['ri_att']:.3f}"
    )
    return summary


def _simple_truth(sizes: np.ndarray) -> float:
    """The simple aggregation's target: post-period effects weighted by cohort size."""
    exposure_truth = np.concatenate([effect(YEARS[year <= YEARS] - year) for year in COHORTS])
    weights = np.concatenate(
        [np.full((year <= YEARS).sum(), size) for year, size in zip(COHORTS, sizes, strict=True)]
    )
    return float(np.sum(exposure_truth * weights) / weights.sum())


def r_result_pretest(result) -> float:
    """p-value of R's chi-squared pre-test for the same estimates."""
    from pipelines.did._influence.analytic import wald_pretest

    pre = result.group > result.time
    test = wald_pretest(result.att, result.influence_function, result.cluster, pre)
    return test.pvalue


def _print(summary: dict) -> None:
    print(f"\nCoverage of nominal 95% intervals over {REPLICATIONS} replications")
    print("event time " + " ".join(f"{e:6.0f}" for e in summary["event_times"]))
    for name, values in summary["coverage"].items():
        print(f"{name:11s}" + " ".join(f"{v:6.3f}" for v in values))
    for name, value in summary["overall"].items():
        print(f"overall ATT ({name}): {value:.3f}")
    print(f"uniform band over all event times, joint coverage: {summary['band']:.3f}")
    print(f"reported headline (simple, bootstrap): {summary['headline']:.3f}")
    print(f"reported dynamic overall (bootstrap): {summary['dynamic_overall_bootstrap']:.3f}")
    print(
        "pre-test rejection rate at 5% (parallel trends hold): "
        f"default {summary['pretest_rejection']:.3f}, R {summary['r_pretest_rejection']:.3f}"
    )
    simple, truth = summary["simple"], summary["simple_truth"]
    print(f"simple ATT: truth {truth:.4f}, Callaway-Sant'Anna mean {simple.mean():.4f}")
    for label, key in (("all schools", "twfe"), ("partnered schools only", "twfe_treated")):
        values = summary[key]
        print(
            f"static TWFE, {label}: mean {values.mean():.4f} (bias {values.mean() - truth:+.4f}, "
            f"MC s.e. {values.std() / np.sqrt(len(values)):.4f})"
        )


def _band(coverage: float) -> bool:
    return 0.925 <= coverage <= 0.975


def test_default_interval_covers_overall_effect(simulation):
    assert _band(simulation["overall"]["default"])


def test_default_interval_covers_event_study(simulation):
    coverage = simulation["coverage"]["default"]
    # Pooled over event times (Monte Carlo error about 0.2 points), and no event time far off.
    assert _band(coverage.mean())
    assert coverage.min() >= 0.91


def test_the_intervals_the_pipeline_reports_cover(simulation):
    """analysis.yaml's settings (bootstrap, uniform bands): the report's headline interval,
    the event study's overall interval and its uniform band over event times."""
    assert _band(simulation["headline"])
    assert _band(simulation["dynamic_overall_bootstrap"])
    assert _band(simulation["band"])


def test_large_sample_intervals_under_cover_with_few_treated_schools(simulation):
    default = simulation["coverage"]["default"].mean()
    r_analytic = simulation["coverage"]["r_analytic"].mean()
    assert r_analytic < default - 0.01
    assert simulation["coverage"]["r_bootstrap"].mean() < default - 0.01


def test_small_sample_pretest_has_about_nominal_size(simulation):
    assert simulation["r_pretest_rejection"] > 0.12  # R's chi-squared test over-rejects
    assert 0.025 <= simulation["pretest_rejection"] <= 0.09


def test_twfe_is_biased_when_effects_grow_and_callaway_santanna_is_not(simulation):
    simple, truth = simulation["simple"], simulation["simple_truth"]
    assert abs(simple.mean() - truth) < 4 * simple.std() / np.sqrt(len(simple))
    # With the never-partnered schools as comparisons TWFE stays close to the ATT...
    assert abs(simulation["twfe"].mean() - truth) < 0.05 * truth
    # ...but comparing partnered cohorts with each other it loses most of the effect.
    assert simulation["twfe_treated"].mean() < 0.5 * truth


def test_headline_intervals_cover_when_partnered_schools_are_noisiest(noisy_treated):
    # 250 replications: Monte Carlo standard error of a 95% coverage about 1.4 points.
    assert 0.92 <= noisy_treated["default"] <= 0.98
    assert 0.92 <= noisy_treated["headline"] <= 0.98


def test_randomization_inference_keeps_its_size_when_partnered_schools_are_noisiest(
    noisy_treated,
):
    assert noisy_treated["ri_studentized"] <= 0.08
    assert noisy_treated["ri_att"] > noisy_treated["ri_studentized"]
