"""Time the impact report at state scale and measure its size.

Illustrative inputs shaped like the state (≈1,400 schools, 17 spring years, 2 subjects) are
made once; then, each repeat times the report's own work: aggregating the school panel to
trends (what the Dagster asset will call) and rendering the HTML file.
Targets: generation ≤ 10 s and file ≤ 10 MB.

With ``--published DATA_DIR`` it times instead the pipeline's own report step, exactly as the
``impact_report`` asset runs it (read the published marts and estimate tables, build the
report's inputs, render, write atomically), on a real run's data folder, e.g. the state run
that ``benchmarks/run_scale.py`` leaves in ``benchmarks/out/run_state/data``.

    .venv/bin/python benchmarks/report_speed.py [--schools 1400] [--repeat 3]
    .venv/bin/python benchmarks/report_speed.py --published benchmarks/out/run_state/data
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pipelines.report.render import build_report
from pipelines.report.render.aggregate import trends_from_panel
from pipelines.report.render.example import example_inputs, example_panel

TARGET_SECONDS = 10.0
TARGET_MB = 10.0
FIRST_YEAR, LAST_YEAR = 2006, 2022


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Time the impact report at state scale.")
    parser.add_argument("--schools", type=int, default=1400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--published", type=Path, metavar="DATA_DIR")
    args = parser.parse_args(argv)
    if args.published is not None:
        return _time_published(args.published.resolve(), args.repeat)

    inputs = example_inputs(n_schools=args.schools, first_year=FIRST_YEAR, last_year=LAST_YEAR)
    panel = example_panel(args.schools, FIRST_YEAR, LAST_YEAR, seed=2012)
    timings = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "impact_report.html"
        for _ in range(args.repeat):
            start = time.perf_counter()
            trends = trends_from_panel(panel)
            build_report(dataclasses.replace(inputs, trends=trends), out)
            timings.append(time.perf_counter() - start)
        size_mb = out.stat().st_size / 1e6

    return _print_figures(
        f"impact report at state scale: {args.schools:,} schools × "
        f"{LAST_YEAR - FIRST_YEAR + 1} years × {len(inputs.subjects)} subjects "
        f"({len(panel):,} school-subject-year rows)",
        timings,
        size_mb,
    )


def _time_published(data: Path, repeat: int) -> int:
    """The report asset's own call on a real run's published folders (read, never changed)."""
    from pipelines.report.build import REPORT_NAME, VERSION_FILE, publish_report
    from pipelines.settings import get_settings

    timings = []
    with tempfile.TemporaryDirectory() as scratch:
        # A data folder whose published folders are the run's, and whose report is ours.
        home = Path(scratch)
        for name in ("marts", "estimates", "raw"):
            (home / name).symlink_to(data / name)
        settings = dataclasses.replace(get_settings(), data_dir=home)
        for _ in range(repeat):
            (settings.reports_dir / VERSION_FILE).unlink(missing_ok=True)  # force a rebuild
            start = time.perf_counter()
            outcome = publish_report(settings)
            timings.append(time.perf_counter() - start)
            if outcome.problem:
                raise SystemExit(f"no report: {outcome.problem}")
        size_mb = (settings.reports_dir / REPORT_NAME).stat().st_size / 1e6
    return _print_figures(f"the pipeline's report step on {data}", timings, size_mb)


def _print_figures(what: str, timings: list[float], size_mb: float) -> int:
    generation = statistics.median(timings)
    print(what)
    print(
        f"  generation: median {generation:.2f} s over {len(timings)} runs "
        f"(min {min(timings):.2f}, max {max(timings):.2f}); target ≤ {TARGET_SECONDS:.0f} s"
    )
    print(f"  file size:  {size_mb:.2f} MB; target ≤ {TARGET_MB:.0f} MB")
    within = generation <= TARGET_SECONDS and size_mb <= TARGET_MB
    print("  within targets" if within else "  OVER TARGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
