"""Time the impact report at state scale and measure its size.

Illustrative inputs shaped like the state (≈1,400 schools, 17 spring years, 2 subjects) are
made once; then, each repeat times the report's own work: aggregating the school panel to
trends (what the Dagster asset will call) and rendering the HTML file.
Targets: generation ≤ 10 s and file ≤ 10 MB.

    .venv/bin/python benchmarks/report_speed.py [--schools 1400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pipelines.report import build_report
from pipelines.report.aggregate import trends_from_panel
from pipelines.report.example import example_inputs, example_panel

TARGET_SECONDS = 10.0
TARGET_MB = 10.0
FIRST_YEAR, LAST_YEAR = 2006, 2022


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Time the impact report at state scale.")
    parser.add_argument("--schools", type=int, default=1400)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

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

    generation = statistics.median(timings)
    print(
        f"impact report at state scale: {args.schools:,} schools × "
        f"{LAST_YEAR - FIRST_YEAR + 1} years × {len(inputs.subjects)} subjects "
        f"({len(panel):,} school-subject-year rows)"
    )
    print(
        f"  generation: median {generation:.2f} s over {args.repeat} runs "
        f"(min {min(timings):.2f}, max {max(timings):.2f}); target ≤ {TARGET_SECONDS:.0f} s"
    )
    print(f"  file size:  {size_mb:.2f} MB; target ≤ {TARGET_MB:.0f} MB")
    within = generation <= TARGET_SECONDS and size_mb <= TARGET_MB
    print("  within targets" if within else "  OVER TARGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
