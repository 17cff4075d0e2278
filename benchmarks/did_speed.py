"""Speed of our att_gt against csdid 0.4.3 and diff-diff on the same staggered panel.

One synthetic panel (12 periods, four cohorts and never-treated units, one covariate) at
N = 1,500 and N = 50,000 units. Each implementation estimates every ATT(g,t) with the doubly
robust method and never-treated comparisons, once with analytic standard errors and once with
999 multiplier-bootstrap draws; the script checks that the point estimates agree and prints the
best-of-runs wall time, our speed-up over the fastest competitor and each run's peak memory.

    .venv/bin/python benchmarks/did_speed.py            # both sizes, 3 runs each
    .venv/bin/python benchmarks/did_speed.py --runs 1 --sizes 1500

csdid and diff-diff are dev-only oracles (pyproject's dev extra); they are never imported by
the package.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from pipelines.did import att_gt

PERIODS = np.arange(2008, 2020)
COHORTS = np.array([0, 2011, 2013, 2015, 2017])
COHORT_SHARES = np.array([0.4, 0.15, 0.15, 0.15, 0.15])
BOOTSTRAP_DRAWS = 999
# csdid ports R's estimator exactly; diff-diff trims propensity scores at 0.01 and differs in
# the sixth decimal on small samples.
AGREEMENT = {"csdid 0.4.3": 1e-8, "diff-diff": 1e-4}


def staggered_panel(n_units: int, seed: int = 2012) -> pd.DataFrame:
    """Long panel: unit effects correlated with x, x-specific trends, effects growing with e."""
    rng = np.random.default_rng(seed)
    n_periods = len(PERIODS)
    cohort = rng.choice(COHORTS, size=n_units, p=COHORT_SHARES)
    x = rng.normal(size=n_units)
    unit_effect = rng.normal(size=n_units) + 0.3 * x
    trend = np.arange(n_periods) / n_periods
    exposure = PERIODS[None, :] - cohort[:, None]
    effect = np.where((cohort[:, None] > 0) & (exposure >= 0), 0.1 + 0.02 * exposure, 0.0)
    y = (
        unit_effect[:, None]
        + 0.5 * trend[None, :]
        + 0.2 * x[:, None] * trend[None, :]
        + effect
        + rng.normal(size=(n_units, n_periods))
    )
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(1, n_units + 1), n_periods),
            "year": np.tile(PERIODS, n_units),
            "g": np.repeat(cohort, n_periods),
            "x": np.repeat(x, n_periods),
            "y": y.ravel(),
        }
    )


def ours(data: pd.DataFrame, bootstrap: bool) -> pd.DataFrame:
    result = att_gt(
        data,
        yname="y",
        tname="year",
        idname="id",
        gname="g",
        xformla="~ x",
        est_method="dr",
        bstrap=bootstrap,
        biters=BOOTSTRAP_DRAWS,
        random_state=1,
    )
    return result.to_frame()[["group", "time", "att"]]


def csdid(data: pd.DataFrame, bootstrap: bool) -> pd.DataFrame:
    from csdid.att_gt import ATTgt

    model = ATTgt(
        yname="y",
        tname="year",
        idname="id",
        gname="g",
        data=data,
        control_group=["nevertreated"],
        xformla="y ~ x",
        biters=BOOTSTRAP_DRAWS,
    )
    fitted = model.fit(est_method="dr", bstrap=bootstrap)
    table = fitted.results
    return pd.DataFrame({"group": table["group"], "time": table["year"], "att": table["att"]})


def diff_diff(data: pd.DataFrame, bootstrap: bool) -> pd.DataFrame:
    from diff_diff import CallawaySantAnna

    estimator = CallawaySantAnna(
        control_group="never_treated",
        estimation_method="dr",
        n_bootstrap=BOOTSTRAP_DRAWS if bootstrap else 0,
        seed=1,
        cband=bootstrap,
    )
    fitted = estimator.fit(
        data, outcome="y", unit="id", time="year", first_treat="g", covariates=["x"]
    )
    rows = [
        {"group": g, "time": t, "att": effect["effect"]}
        for (g, t), effect in fitted.group_time_effects.items()
    ]
    return pd.DataFrame(rows)


IMPLEMENTATIONS: dict[str, Callable[[pd.DataFrame, bool], pd.DataFrame]] = {
    "ours": ours,
    "csdid 0.4.3": csdid,
    "diff-diff": diff_diff,
}


def measure(function, data: pd.DataFrame, bootstrap: bool, runs: int):
    """Best wall time over runs, peak traced memory (MiB) of one run, and the estimates."""
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        estimates = function(data, bootstrap)
        times.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    function(data, bootstrap)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return min(times), peak, estimates


def largest_gap(ours_frame: pd.DataFrame, other: pd.DataFrame) -> float:
    merged = ours_frame.merge(other, on=["group", "time"], suffixes=("", "_other"))
    if len(merged) != len(ours_frame):
        raise AssertionError(f"cells differ: {len(merged)} matched of {len(ours_frame)}")
    return float(np.max(np.abs(merged["att"] - merged["att_other"])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_500, 50_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for n_units in args.sizes:
        data = staggered_panel(n_units)
        for bootstrap in (False, True):
            label = f"{BOOTSTRAP_DRAWS} bootstrap draws" if bootstrap else "analytic SEs"
            print(f"\nN = {n_units:,} units x {len(PERIODS)} periods, DR, {label}")
            results = {
                name: measure(function, data, bootstrap, args.runs)
                for name, function in IMPLEMENTATIONS.items()
            }
            our_time, _, our_estimates = results["ours"]
            for name, (seconds, peak, estimates) in results.items():
                note = ""
                if name != "ours":
                    gap = largest_gap(our_estimates, estimates)
                    if gap > AGREEMENT[name]:
                        raise AssertionError(f"{name} disagrees with ours by {gap:.1e}")
                    note = f"  max |ATT diff| {gap:.1e}"
                print(f"  {name:12s} {seconds:8.3f} s  peak {peak:8.1f} MiB{note}")
            fastest = min(
                (seconds, name) for name, (seconds, _, _) in results.items() if name != "ours"
            )
            speedup = fastest[0] / our_time
            print(f"  ours is {speedup:.1f}x faster than the fastest other ({fastest[1]})")


if __name__ == "__main__":
    main()
