"""Time the synthetic-state generator at each scale and measure its peak memory.

Each scale runs in its own Python process (so peak memory is that run's alone, read from
``getrusage(RUSAGE_SELF)`` in the child) writing into a temporary folder.
Targets on 2 cores: small < 5 s, demo < 30 s, state < 3 min with peak memory < 4 GB.

    .venv/bin/python benchmarks/sample_scale.py [--scales small demo state] [--seed 2012]
                                                 [--messy 0.0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = {"small": 5.0, "demo": 30.0, "state": 180.0}
TARGET_PEAK_GB = 4.0

_CHILD = """
import json, resource, sys
from pathlib import Path
from pipelines.sample import generate_sample
summary = generate_sample(Path(sys.argv[1]), scale=sys.argv[2], seed=int(sys.argv[3]),
                          messy=float(sys.argv[4]))
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": summary.rows, "files": summary.files, "scores": summary.scores,
                  "bytes": summary.bytes_written, "peak_kb": peak_kb}))
"""


def _run(scale: str, seed: int, messy: float, out: Path) -> dict:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out / "raw"), scale, str(seed), str(messy)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["seconds"] = time.perf_counter() - started
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Time the synthetic-state generator.")
    parser.add_argument("--scales", nargs="+", default=["small", "demo", "state"])
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--messy", type=float, default=0.0)
    parser.add_argument("--keep", type=Path, help="write the samples here instead of a temp dir")
    args = parser.parse_args(argv)

    print(
        f"{'scale':<6} {'wall s':>7} {'target':>7} {'assessment rows':>16} {'scores':>11} "
        f"{'all rows':>10} {'files':>6} {'MB':>6} {'peak MB':>8}"
    )
    failed = False
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as scratch:
            out = (args.keep / scale) if args.keep else Path(scratch)
            result = _run(scale, args.seed, args.messy, out)
        peak_mb = result["peak_kb"] / 1024
        target = TARGET_SECONDS.get(scale, float("inf"))
        within = result["seconds"] < target and peak_mb < TARGET_PEAK_GB * 1024
        failed |= not within
        print(
            f"{scale:<6} {result['seconds']:>7.1f} {target:>7.0f} "
            f"{result['rows'].get('assessments', 0):>16,} {result['scores']:>11,} "
            f"{sum(result['rows'].values()):>10,} {sum(result['files'].values()):>6} "
            f"{result['bytes'] / 1e6:>6.0f} {peak_mb:>8.0f}" + ("" if within else "  OVER TARGET")
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
