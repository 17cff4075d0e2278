"""What the subgroup estimates add to a nightly run: the school_subgroups mart and estimation.

Uses the state in ``benchmarks/out/<scale>`` that ``pipeline_scale.py`` publishes (raw files,
warehouse, published marts); when it is not there, generates it and runs ingest and marts once
(in process, not timed). Then times, best of ``--runs``:

- rebuilding ``marts.school_subgroups`` in the warehouse (the SQL of the mart, with its
  prior-achievement terciles) and publishing it (one Parquet file);
- estimating every subject × dimension × subgroup with the analysis file's settings, the
  equality tests, q-values and suppression (``pipelines.estimates.subgroups``).

Target on this machine (2 cores) at ``state`` scale: the two together add at most 20 s.

    .venv/bin/python benchmarks/subgroup_speed.py [--scale state] [--seed 2012] [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

from run_scale import state_environment

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 20.0


def use_state(out: Path) -> None:
    """Point this process's pipeline settings at the state in ``out``."""
    wanted = state_environment(out, out)
    for name in [n for n in os.environ if n not in wanted]:
        del os.environ[name]
    os.environ.update(wanted)


def prepare_state(out: Path, scale: str, seed: int) -> None:
    """Raw files and published marts of the state, made once."""
    from dagster import AssetSelection, DagsterInstance, materialize

    from pipelines.definitions import defs
    from pipelines.sample.generate import generate_sample

    if not (out / "raw").is_dir():
        print(f"generating the {scale} state (not timed) ...", flush=True)
        generate_sample(out / "raw", scale=scale, seed=seed)
        shutil.move(str(out / "raw" / ".." / "sample_truth.json"), str(out / "sample_truth.json"))
    if not (out / "marts" / "school_subgroups.parquet").exists():
        print("ingest and marts (not timed) ...", flush=True)
        result = materialize(
            list(defs.assets),
            resources=dict(defs.resources),
            instance=DagsterInstance.ephemeral(),
            selection=AssetSelection.all() - AssetSelection.groups("estimates", "report"),
            raise_on_error=True,
        )
        assert result.success


def _time_mart(out: Path) -> tuple[float, int]:
    import duckdb

    from pipelines.marts.build import build_mart
    from pipelines.marts.publish import publish_marts  # noqa: F401  (same writer as the run)

    with duckdb.connect(str(out / "warehouse.duckdb")) as conn:
        started = time.perf_counter()
        rows = build_mart(conn, "school_subgroups")
        target = out / "benchmark_school_subgroups.parquet"
        conn.execute(f"COPY marts.school_subgroups TO '{target}' (FORMAT parquet)")
        seconds = time.perf_counter() - started
    target.unlink()
    return seconds, rows


def _time_estimates(out: Path) -> tuple[float, int, dict[str, float]]:
    import pandas as pd

    from pipelines.estimates import subgroups
    from pipelines.estimates.panel import subject_panels
    from pipelines.estimates.specification import load_analysis

    marts = (out / "marts").resolve()
    panel = pd.read_parquet(marts / "school_panel.parquet")
    school_subgroups = pd.read_parquet(marts / "school_subgroups.parquet")
    analysis = load_analysis()
    started = time.perf_counter()
    per_subject, cells = {}, 0
    for subject_panel in subject_panels(panel, analysis):
        subject_started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = subgroups.estimate_subject(subject_panel, school_subgroups, analysis).cells
        cells += int((~table["suppressed"].astype(bool)).sum())
        per_subject[subject_panel.subject] = time.perf_counter() - subject_started
    return time.perf_counter() - started, cells, per_subject


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="state", choices=["small", "demo", "state"])
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    out = PROJECT_ROOT / "benchmarks" / "out" / args.scale
    use_state(out)
    prepare_state(out, args.scale, args.seed)
    mart_runs = [_time_mart(out) for _ in range(args.runs)]
    estimate_runs = [_time_estimates(out) for _ in range(args.runs)]
    mart_seconds, mart_rows = min(mart_runs)
    estimate_seconds, cells, per_subject = min(estimate_runs, key=lambda run: run[0])
    total = mart_seconds + estimate_seconds
    print(f"{args.scale} state, best of {args.runs} run(s), {os.cpu_count()} cores")
    print(f"  school_subgroups mart: {mart_seconds:6.1f} s ({mart_rows:,} rows)")
    print(f"  subgroup estimates:    {estimate_seconds:6.1f} s ({cells} cells estimated)")
    for subject, seconds in per_subject.items():
        print(f"    {subject:8} {seconds:6.1f} s")
    verdict = "within" if total <= TARGET_SECONDS else "OVER"
    print(
        f"  added to the nightly run: {total:.1f} s ({verdict} the {TARGET_SECONDS:.0f} s target)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
