"""The ``partner-impact`` command: generate a synthetic state, run the pipeline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path


def _add_sample_parser(subparsers: argparse._SubParsersAction) -> None:
    from pipelines.sample.config import SCALES

    parser = subparsers.add_parser(
        "sample",
        help="write a synthetic state's raw files (no real student data)",
        description=(
            "Write a realistic synthetic state into DIR in the agencies' file layouts. "
            "The ground truth goes to DIR/../sample_truth.json, which the pipeline never reads."
        ),
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write (the raw/ dir)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument(
        "--messy",
        type=float,
        default=0.0,
        metavar="RATE",
        help="share of rows to corrupt in realistic ways (recorded in the truth file)",
    )
    parser.add_argument(
        "--effect-scale",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="multiply every true effect of the program by FACTOR (default 1; 0 gives a state "
        "where the program does nothing, for null tests)",
    )
    parser.add_argument(
        "--cohorts",
        type=_cohorts,
        metavar="YEAR:N[,YEAR:N...]",
        help="partnered cohorts: first partnered spring year and number of schools "
        "(default 2012:13,2013:20; small: 2012:4,2013:6)",
    )


def _cohorts(text: str) -> list[tuple[int, int]]:
    try:
        return [
            (int(year), int(size))
            for year, size in (part.split(":") for part in text.split(",") if part.strip())
        ]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write cohorts as YEAR:N pairs separated by commas, e.g. 2012:13,2013:20"
        ) from None


def _run_sample(args: argparse.Namespace) -> int:
    from pipelines.sample import generate_sample
    from pipelines.sample.config import DEFAULT_PARAMETERS, SCALES
    from pipelines.sample.generate import checked_cohorts

    if not 0.0 <= args.messy < 1.0:
        print("--messy must be in [0, 1)", file=sys.stderr)
        return 2
    if args.cohorts is not None:
        try:
            checked_cohorts(SCALES[args.scale], args.cohorts)
        except ValueError as error:
            print(f"--cohorts: {error}", file=sys.stderr)
            return 2
    try:
        program = DEFAULT_PARAMETERS.program.scaled(args.effect_scale)
    except ValueError as error:
        print(f"--effect-scale: {error}", file=sys.stderr)
        return 2
    generate_sample(
        args.out,
        scale=args.scale,
        seed=args.seed,
        messy=args.messy,
        show_progress=True,
        params=replace(DEFAULT_PARAMETERS, program=program),
        cohorts=args.cohorts,
    )
    return 0


def _add_run_parser(subparsers: argparse._SubParsersAction) -> None:
    from pipelines.ops.run import LOG_LEVELS

    parser = subparsers.add_parser(
        "run",
        help="materialize every asset in-process (the nightly job)",
        description=(
            "Materialize every asset and check in-process, as the nightly job does. Prints one "
            "summary line per layer; exits 1 when an asset or a blocking check fails (the "
            "previous marts, estimates and report then stay published)."
        ),
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show each step on standard error as it runs (default: when it is a terminal)",
    )
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="critical",
        help="level of Dagster's own log on the console (default: critical, i.e. off; the "
        "full log is in the run history)",
    )


def _run_pipeline(args: argparse.Namespace) -> int:
    from pipelines.ops.run import run_all

    return run_all(progress=args.progress, log_level=args.log_level)


def _show_status(_args: argparse.Namespace) -> int:
    from pipelines.ops.run import status

    return status()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="partner-impact", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    _add_sample_parser(subparsers)
    _add_run_parser(subparsers)
    subparsers.add_parser("status", help="summarize the ingest ledger and the last run")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``partner-impact`` console script."""
    args = build_parser().parse_args(argv)
    handlers = {"sample": _run_sample, "run": _run_pipeline, "status": _show_status}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
