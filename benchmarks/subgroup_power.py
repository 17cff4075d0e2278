"""How often the subgroup estimates find what the generator put in, over several demo states.

One demo state tells little about an estimator's power or coverage: this script generates a
state per seed (in ``benchmarks/out/power/<scale>_<seed>``, kept for reruns), runs ingest and
marts once per state (``subgroup_speed.prepare_state``, each seed in its own process so that
the settings of one state never leak into the next), estimates every subgroup with the
analysis file's settings, and compares the published tables with the state's truth
(``att_by_subgroup``). It prints, per subject and confirmatory dimension, the mean estimated
difference of the pair of subgroups the generator set farthest apart against its truth, the
mean minimum detectable difference, and how often the equality test's q-value fell below 0.05;
then the share of published cells and differences whose 95% interval holds the truth.

    .venv/bin/python benchmarks/subgroup_power.py [--scale demo] [--seeds 2012 2013 2014 ...]

Takes about a minute per new state on 2 cores (generation, ingest and marts); estimating is a
few seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

from subgroup_speed import prepare_state, use_state

PROJECT_ROOT = Path(__file__).resolve().parents[1]

KEYS = ["subject", "dimension", "subgroup"]


def _one_state(scale: str, seed: int) -> dict:
    """Estimates of one state against its truth, as plain records."""
    import pandas as pd

    from pipelines.estimates import subgroups
    from pipelines.estimates.panel import subject_panels
    from pipelines.estimates.specification import load_analysis

    out = PROJECT_ROOT / "benchmarks" / "out" / "power" / f"{scale}_{seed}"
    use_state(out)
    prepare_state(out, scale, seed)
    marts = (out / "marts").resolve()
    analysis = load_analysis()
    school_subgroups = pd.read_parquet(marts / "school_subgroups.parquet")
    cells, differences, tests = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for panel in subject_panels(pd.read_parquet(marts / "school_panel.parquet"), analysis):
            result = subgroups.estimate_subject(panel, school_subgroups, analysis)
            cells.append(result.cells.assign(subject=panel.subject))
            differences.append(result.differences.assign(subject=panel.subject))
            tests.append(result.tests.assign(subject=panel.subject))
    truth = pd.DataFrame(json.loads((out / "sample_truth.json").read_text())["att_by_subgroup"])
    true_att = truth.set_index(KEYS)["true_att"]
    cells = pd.concat(cells).merge(truth[[*KEYS, "true_att"]], on=KEYS, how="left")
    differences = pd.concat(differences)
    differences["true_difference"] = [
        true_att.get((s, d, g), float("nan")) - true_att.get((s, d, r), float("nan"))
        for s, d, g, r in differences[
            ["subject", "dimension", "subgroup", "compared_with"]
        ].itertuples(index=False)
    ]
    return {
        "cells": cells.drop(columns="note").to_dict("records"),
        "differences": differences.drop(columns="note").to_dict("records"),
        "tests": pd.concat(tests).drop(columns="test").to_dict("records"),
    }


def _inside(frame, estimate_truth: str) -> tuple[float, int]:
    shown = frame[~frame["suppressed"].astype(bool) & frame[estimate_truth].notna()]
    inside = (shown["ci_lower"] <= shown[estimate_truth]) & (
        shown[estimate_truth] <= shown["ci_upper"]
    )
    return float(inside.mean()), len(shown)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="demo", choices=["small", "demo", "state"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2012, 2013, 2014, 2015, 2016])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one state
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(_one_state(args.scale, args.one), default=float))
        return 0

    import pandas as pd

    runs = []
    for seed in args.seeds:
        print(f"seed {seed} ...", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "--scale", args.scale, "--one", str(seed)],
            check=True,
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
        )
        runs.append((seed, json.loads(done.stdout.strip().splitlines()[-1])))

    def frame(part: str) -> pd.DataFrame:
        return pd.concat(
            [pd.DataFrame(run[part]).assign(seed=seed) for seed, run in runs], ignore_index=True
        )

    cells, differences, tests = frame("cells"), frame("differences"), frame("tests")
    confirmatory = tests[tests["family"] == "confirmatory"]
    print(f"{args.scale} states, seeds {' '.join(map(str, args.seeds))}")
    print(
        "confirmatory dimensions: the largest true difference between two subgroups, its estimate,"
    )
    print("the minimum detectable difference (80% power) and the equality test's detections")
    for (subject, dimension), rows in confirmatory.groupby(["subject", "dimension"], sort=False):
        mine = differences[
            (differences["subject"] == subject) & (differences["dimension"] == dimension)
        ]
        largest = mine.loc[mine["true_difference"].abs().groupby(mine["seed"]).idxmax()]
        print(
            f"  {subject:8} {dimension:27} {largest.iloc[0]['subgroup']:>13} - "
            f"{largest.iloc[0]['compared_with']:<13} truth {largest['true_difference'].mean():6.3f}"
            f"  estimate {largest['difference'].mean():6.3f} (sd {largest['difference'].std():.3f})"
            f"  mde {rows['mde_difference'].mean():.3f}"
            f"  detected {int((rows['q_value'] < 0.05).sum())} of {len(rows)}"
        )
    exploratory = tests[tests["family"] == "exploratory"]
    print(
        f"exploratory tests with q < 0.05: {int((exploratory['q_value'] < 0.05).sum())} of "
        f"{len(exploratory)} (the generator gives them no effect differences of their own, only "
        "what follows from their link with prior achievement and poverty)"
    )
    share, n = _inside(cells, "true_att")
    print(f"published cells whose 95% interval holds the truth: {share:.1%} of {n}")
    share, n = _inside(differences, "true_difference")
    print(f"published differences whose 95% interval holds the truth: {share:.1%} of {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
