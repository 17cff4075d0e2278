"""Time ``partner-impact run`` end to end: a first run on a fresh data folder, then a re-run.

For each scale, generates the synthetic state into ``benchmarks/out/run_<scale>/data/raw`` (or
reuses it), removes everything a run produces (warehouse, published folders, report, Dagster
history, key), then runs the real command line in a child process twice: on the fresh folder
and again with no change. Prints wall time and the child's own peak resident memory (from
``wait4``, so one run's peak is not mixed with another's; DuckDB's memory is in it, since every
asset runs in that process), plus the command's summary lines.

    .venv/bin/python benchmarks/run_scale.py [--scales demo state] [--seed 2012]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OUT = PROJECT_ROOT / "benchmarks" / "out"
_PRODUCED = ("warehouse.duckdb", "warehouse.duckdb.wal", "marts", "marts_versions", "estimates",
             "estimates_versions", "reports")  # fmt: skip


def state_environment(data: Path, home: Path) -> dict[str, str]:
    """The environment of a pipeline working on its own state: data folder ``data``, key and
    Dagster folders under ``home``, and none of the caller's ``PARTNER_IMPACT_`` variables (a
    stray one would point the run elsewhere)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNER_IMPACT_")}
    env.update(
        {
            "PARTNER_IMPACT_DATA_DIR": str(data),
            "PARTNER_IMPACT_KEY_FILE": str(home / "secrets" / "pseudonym.key"),
            "DAGSTER_HOME": str(PROJECT_ROOT),
            "PARTNER_IMPACT_DAGSTER_STORAGE": str(home / "dagster" / "storage"),
            "PARTNER_IMPACT_DAGSTER_ARTIFACTS": str(home / "dagster" / "artifacts"),
            "PARTNER_IMPACT_DAGSTER_COMPUTE_LOGS": str(home / "dagster" / "logs"),
        }
    )
    return env


def clear_products(data: Path) -> None:
    """Remove everything a run writes in the data folder ``data`` (links removed, not followed)."""
    for name in _PRODUCED:
        path = data / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _fresh(home: Path, scale: str, seed: int) -> None:
    raw = home / "data" / "raw"
    if not raw.is_dir():
        subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "sample", "--out", str(raw),
             "--scale", scale, "--seed", str(seed)],
            check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    clear_products(home / "data")
    for name in ("dagster", "secrets"):
        shutil.rmtree(home / name, ignore_errors=True)


def _timed_run(home: Path) -> tuple[float, float, int, str]:
    """Seconds, peak GB, exit status and standard output of one ``partner-impact run``."""
    log = home / "run.out"
    started = time.perf_counter()
    with log.open("w") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run", "--no-progress"],
            env=state_environment(home / "data", home),
            cwd=home,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024**2, child.returncode, log.read_text()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["demo", "state"])
    parser.add_argument("--seed", type=int, default=2012)
    args = parser.parse_args(argv)
    failed = False
    for scale in args.scales:
        home = OUT / f"run_{scale}"
        _fresh(home, scale, args.seed)
        raw_bytes = sum(p.stat().st_size for p in (home / "data" / "raw").rglob("*") if p.is_file())
        print(f"== {scale}: {raw_bytes / 1e9:.2f} GB of raw files")
        for label in ("first run", "no-change re-run"):
            seconds, peak_gb, code, output = _timed_run(home)
            print(f"{label:>17}: {seconds:6.1f} s, peak {peak_gb:.2f} GB, exit {code}")
            print("".join(f"{'':>19}{line}\n" for line in output.splitlines() if line.strip()))
            failed |= code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
