"""Time raw files -> published marts at scale: a first run, then a re-run with no new files.

Generates the synthetic state into ``benchmarks/out/<scale>/raw`` (or reuses it when it is
there), starts from an empty warehouse and empty published folders (re-runnable), and
materializes the ingest and marts layers with their checks in a child process (in-process, as
``partner-impact run`` does; ``run_scale.py`` times the whole run with estimates and report)
twice, printing wall time, rows read per second and the child's peak memory
(``getrusage(RUSAGE_SELF)``, which includes DuckDB's memory). Targets on 2 cores at ``state``
scale: first run <= 60 s and <= 6 GB, re-run with no new files <= 10 s.

    .venv/bin/python benchmarks/pipeline_scale.py [--scale state] [--seed 2012] [--messy 0.0]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from run_scale import clear_products, state_environment

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"first run": 60.0, "no-change re-run": 10.0}
TARGET_PEAK_GB = 6.0

# Raw files -> published marts only: the ingest and marts groups with their checks, in one
# in-process run as the nightly job runs them (benchmarks/run_scale.py times the whole run).
_CHILD = """
import json, resource
from dagster import AssetSelection, DagsterInstance
from pipelines.definitions import EVERYTHING_JOB, defs
from pipelines.settings import configure_dagster_environment
configure_dagster_environment()
graph = defs.resolve_asset_graph()
selection = AssetSelection.groups("ingest", "marts")
job = defs.resolve_job_def(EVERYTHING_JOB).get_subset(
    asset_selection=selection.resolve(graph), asset_check_selection=selection.resolve_checks(graph)
)
with DagsterInstance.get() as instance:
    result = job.execute_in_process(instance=instance, raise_on_error=False)
print(json.dumps({"code": 0 if result.success else 1,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _run_pipeline(out: Path) -> dict:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        env=state_environment(out, out),
        cwd=PROJECT_ROOT,
        check=False,
    )
    seconds = time.perf_counter() - started
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit("the pipeline run failed")
    result = json.loads(lines[-1])
    result["seconds"] = seconds
    return result


def _rows_read(out: Path) -> int:
    import duckdb

    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute("SELECT sum(rows_read) FROM ingest_ledger").fetchall()[0][0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Time raw files -> published marts.")
    parser.add_argument("--scale", default="state", choices=["small", "demo", "state"])
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--messy", type=float, default=0.0)
    args = parser.parse_args(argv)

    out = PROJECT_ROOT / "benchmarks" / "out" / args.scale
    raw = out / "raw"
    if not (out / "sample_truth.json").exists():
        print(f"generating the {args.scale} sample into {raw} ...", flush=True)
        from pipelines.sample import generate_sample

        generate_sample(raw, scale=args.scale, seed=args.seed, messy=args.messy)
    else:
        print(f"reusing the {args.scale} sample in {raw}")
    raw_bytes = sum(path.stat().st_size for path in raw.rglob("*") if path.is_file())
    clear_products(out)
    for leftover in ("dagster", "secrets"):
        shutil.rmtree(out / leftover, ignore_errors=True)

    runs = {"first run": _run_pipeline(out), "no-change re-run": _run_pipeline(out)}
    rows = _rows_read(out)
    print(f"{args.scale}: {rows:,} raw rows in {raw_bytes / 1e6:,.0f} MB of CSV")
    print(f"{'run':<18} {'wall s':>7} {'target':>7} {'rows/s':>11} {'peak MB':>8} {'target':>7}")
    for name, result in runs.items():
        print(
            f"{name:<18} {result['seconds']:>7.1f} {TARGETS[name]:>7.0f} "
            f"{rows / result['seconds']:>11,.0f} {result['peak_kb'] / 1024:>8,.0f} "
            f"{TARGET_PEAK_GB * 1024:>7,.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
