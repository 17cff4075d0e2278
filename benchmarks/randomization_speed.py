"""Time randomization inference for the CS aggregated ATT on a state-sized school panel.

A synthetic panel shaped like the program: ≈1,400 schools × 12 spring years of mean z-scores
(one subject), school ICC ≈ 0.2, 33 partnered schools in two cohorts (13 first partnered in
2012, 20 in 2013) chosen among low-performing schools, strata = school level × baseline-score
quintile. Each repeat times the whole call (sample preparation, the observed statistic and the
permutations). Target: 999 permutations in ≤ 30 s on 2 cores.

    .venv/bin/python benchmarks/randomization_speed.py [--schools 1400] [--permutations 999]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

from pipelines.did import aggte, att_gt
from pipelines.did.randomization import randomization_inference

TARGET_SECONDS = 30.0
FIRST_YEAR, LAST_YEAR = 2006, 2017
COHORTS = {2012: 13, 2013: 20}
LEVELS = ("elementary", "middle", "high")


def school_panel(n_schools: int, seed: int) -> pd.DataFrame:
    """School × year mean z-scores with partnered schools drawn from the low performers."""
    rng = np.random.default_rng(seed)
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    school_effect = rng.normal(0.0, np.sqrt(0.2), n_schools)
    level = rng.choice(LEVELS, n_schools, p=[0.6, 0.2, 0.2])
    cohort = np.zeros(n_schools)
    low_performers = np.argsort(school_effect)[: n_schools // 4]
    chosen = rng.choice(low_performers, sum(COHORTS.values()), replace=False)
    cohort[chosen] = np.repeat(list(COHORTS), list(COHORTS.values()))
    year_effect = rng.normal(0.0, 0.05, len(years))
    exposure = years[None, :] - cohort[:, None]
    effect = np.where((cohort[:, None] > 0) & (exposure >= 0), 0.03 + 0.01 * exposure, 0.0)
    z = (
        school_effect[:, None]
        + year_effect[None, :]
        + effect
        + rng.normal(0.0, np.sqrt(0.8 / 25), (n_schools, len(years)))
    )
    frl_share = np.clip(0.55 - 0.3 * school_effect + rng.normal(0, 0.1, n_schools), 0, 1)
    baseline = z[:, years < min(COHORTS)].mean(axis=1)
    band = pd.qcut(baseline, 5, labels=False)
    return pd.DataFrame(
        {
            "school": np.repeat(np.arange(n_schools), len(years)),
            "year": np.tile(years, n_schools),
            "z": z.ravel(),
            "cohort": np.repeat(cohort, len(years)),
            "level": np.repeat(level, len(years)),
            "frl_share": np.repeat(frl_share, len(years)),
            "baseline_band": np.repeat(band, len(years)),
        }
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Time randomization inference at state scale.")
    parser.add_argument("--schools", type=int, default=1400)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--covariate-permutations",
        type=int,
        default=20,
        help="permutations timed on the slow path (a covariate re-runs att_gt each time)",
    )
    args = parser.parse_args(argv)

    panel = school_panel(args.schools, seed=2012)
    spec = {"yname": "z", "tname": "year", "idname": "school", "gname": "cohort"}
    start = time.perf_counter()
    reference = aggte(att_gt(panel, **spec), type="simple")
    one_fit = time.perf_counter() - start
    print(
        f"panel: {args.schools:,} schools × {LAST_YEAR - FIRST_YEAR + 1} years, "
        f"{sum(COHORTS.values())} treated in {len(COHORTS)} cohorts; "
        f"one att_gt + aggte fit: {one_fit:.3f} s"
    )
    for aggregation in ("simple", "dynamic"):
        timings = []
        for repeat in range(args.repeat):
            start = time.perf_counter()
            result = randomization_inference(
                panel,
                **spec,
                strata=["level", "baseline_band"],
                n_permutations=args.permutations,
                aggregation=aggregation,
                random_state=repeat,
            )
            timings.append(time.perf_counter() - start)
        if aggregation == "simple":
            gap = abs(result.att - reference.overall_att)
            print(f"observed ATT {result.att:.5f} (|fast path − aggte| = {gap:.1e})")
        median = statistics.median(timings)
        print(
            f"{aggregation:>8}: {args.permutations} permutations in {median:.3f} s "
            f"(median of {args.repeat}; target ≤ {TARGET_SECONDS:g} s), p = {result.pvalue:.3f}"
        )
    if args.covariate_permutations:
        start = time.perf_counter()
        randomization_inference(
            panel,
            **spec,
            xformla="~ frl_share",
            strata=["level", "baseline_band"],
            n_permutations=args.covariate_permutations,
            random_state=0,
        )
        elapsed = time.perf_counter() - start
        per_permutation = elapsed / args.covariate_permutations
        print(
            f"with a covariate (slow path): {args.covariate_permutations} permutations in "
            f"{elapsed:.2f} s, {per_permutation:.3f} s each (≈ {999 * per_permutation:.0f} s "
            "for 999)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
