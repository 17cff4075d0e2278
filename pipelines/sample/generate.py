"""Write a whole synthetic state: rosters, assessments, activity logs, program, truth."""

from __future__ import annotations

import json
import sys
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from pipelines.layouts import ASSESSMENT_LAYOUTS, SYNTHETIC_MARKER, layout_for_year
from pipelines.sample.activity import generate_activity
from pipelines.sample.assessment_files import assessment_table
from pipelines.sample.config import DEFAULT_PARAMETERS, SCALES, ModelParameters, ScaleConfig
from pipelines.sample.csvio import CsvTable, write_csv
from pipelines.sample.messy import (
    ACTIVITY_TARGETS,
    ROSTER_TARGETS,
    Corruption,
    Targets,
    assessment_targets,
    corrupt,
)
from pipelines.sample.outcomes import OutcomeModel, YearTruth
from pipelines.sample.program import Program
from pipelines.sample.rng import stream
from pipelines.sample.rosters import (
    cep_schools,
    program_table,
    roster_table,
    school_levels,
    system_total_systems,
)
from pipelines.sample.schools import State, build_state
from pipelines.sample.students import Students, StudentSimulator
from pipelines.sample.subgroups import (
    PriorScores,
    SubgroupTruth,
    effect_multipliers,
    tercile_index,
)
from pipelines.sample.teachers import build_teachers
from pipelines.sample.truth import build_truth

SOURCES = ("rosters", "assessments", "activity", "program")
TRUTH_FILE_NAME = "sample_truth.json"
_OWN_FILE_PATTERNS = (
    "rosters/ccd_schools_*.csv",
    *(f"assessments/{layout.name}_student_results_*.csv" for layout in ASSESSMENT_LAYOUTS),
    "activity/partnering_log_*.csv",
    "program/partnered_schools.csv",
    SYNTHETIC_MARKER,
)


@dataclass
class SampleSummary:
    """What ``generate_sample`` wrote."""

    out_dir: Path
    truth_path: Path
    scale: str
    seed: int
    messy: float
    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    """Data rows written per source (corrupted and duplicated rows included)."""
    scores: int = 0
    """Student x subject scores in the assessment files."""
    corruptions: int = 0
    bytes_written: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        lines = [
            f"Synthetic state ({self.scale}, seed {self.seed}) written to {self.out_dir} "
            f"in {self.seconds:.1f} s ({self.bytes_written / 1e6:.0f} MB):"
        ]
        for source in SOURCES:
            lines.append(
                f"  {source + '/':<13} {self.files.get(source, 0):>4} files "
                f"{self.rows.get(source, 0):>11,} rows"
            )
        lines.append(f"  assessment scores (student x subject): {self.scores:,}")
        if self.messy:
            lines.append(f"  corrupted rows (--messy {self.messy}): {self.corruptions:,}")
        lines.append(f"Ground truth (never read by the pipeline): {self.truth_path}")
        return "\n".join(lines)


class _Writer:
    """Writes tables under the raw folder, corrupting them first when ``messy`` > 0."""

    def __init__(self, out_dir: Path, seed: int, messy: float, summary: SampleSummary) -> None:
        self.out_dir = out_dir
        self.seed = seed
        self.messy = messy
        self.summary = summary
        self.corruptions: list[Corruption] = []

    def write(self, relative: str, table: CsvTable, targets: Targets | None) -> None:
        if self.messy and targets is not None:
            rng = stream(self.seed, "messy", zlib.crc32(relative.encode()))
            table, records = corrupt(table, targets, self.messy, relative, rng)
            self.corruptions.extend(records)
        source = relative.split("/", 1)[0]
        self.summary.bytes_written += write_csv(self.out_dir / relative, table)
        self.summary.files[source] = self.summary.files.get(source, 0) + 1
        self.summary.rows[source] = self.summary.rows.get(source, 0) + table.n_rows


def _clear_previous_sample(out_dir: Path) -> None:
    """Remove files a previous run wrote under the same names (nothing else is touched)."""
    for pattern in _OWN_FILE_PATTERNS:
        for path in sorted(out_dir.glob(pattern)):
            path.unlink()


def _school_means(students: Students, latent: np.ndarray, n_schools: int) -> np.ndarray:
    """Each school's mean latent reading and math score (NaN without students)."""
    counts = np.bincount(students.school, minlength=n_schools)
    sums = np.bincount(students.school, weights=latent[:, :2].mean(axis=1), minlength=n_schools)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def _select_cohort(
    program: Program,
    state: State,
    cohort_year: int,
    size: int,
    observed: np.ndarray,
) -> None:
    window_years = [
        y
        for y in range(cohort_year - program.model.selection_window, cohort_year)
        if y >= state.years[0] and layout_for_year(y) is not None
    ]
    window = observed[:, [state.year_index(y) for y in window_years]]
    counts = (~np.isnan(window)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, np.nansum(window, axis=1) / counts, np.nan)
    program.select_cohort(
        cohort_year,
        size,
        mean,
        state.schools.poverty[:, state.year_index(cohort_year - 1)],
        state.schools.tested.any(axis=1),
    )


def _progress(enabled: bool, message: str) -> None:
    if enabled:
        print(message, file=sys.stderr, flush=True)


def checked_cohorts(
    config: ScaleConfig, cohorts: Sequence[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    """``cohorts`` sorted by year, or a ValueError saying what a state of this scale allows."""
    # Selection looks at the years before a cohort; the program must leave comparison schools.
    earliest = config.first_year + 1
    years = [year for year, _ in cohorts]
    if not cohorts or len(set(years)) != len(years):
        raise ValueError("cohorts need one or more distinct first partnered years")
    for year, size in cohorts:
        if not earliest <= year <= config.last_year:
            raise ValueError(
                f"cohort {year}: the first partnered year must be in {earliest}-{config.last_year}"
            )
        if size < 1:
            raise ValueError(f"cohort {year}: needs at least one school, not {size}")
    most = config.n_schools // 2
    if sum(size for _, size in cohorts) > most:
        raise ValueError(
            f"at most {most} partnered schools at the {config.name} scale "
            f"({config.n_schools} schools; the rest are the comparison)"
        )
    return tuple(sorted((int(year), int(size)) for year, size in cohorts))


def generate_sample(
    out_dir: Path,
    *,
    scale: str,
    seed: int,
    messy: float = 0.0,
    show_progress: bool = False,
    params: ModelParameters = DEFAULT_PARAMETERS,
    cohorts: Sequence[tuple[int, int]] | None = None,
) -> SampleSummary:
    """Write a synthetic state's raw files under ``out_dir`` and its truth beside it.

    Files: ``rosters/ccd_schools_<year>.csv``,
    ``assessments/<layout>_student_results_<year>.csv``,
    ``activity/partnering_log_<yyyy>_<mm>.csv``, ``program/partnered_schools.csv``; the truth
    goes to ``out_dir.parent / "sample_truth.json"``. The same arguments always give
    byte-identical files. With ``show_progress`` a line per year goes to stderr when it is a
    terminal, and a summary of what was written is printed at the end. ``cohorts`` replaces
    the scale's (first partnered spring year, number of schools) pairs.
    """
    started = time.perf_counter()
    config = SCALES[scale]
    if cohorts is not None:
        config = replace(config, cohort_sizes=checked_cohorts(config, cohorts))
    out_dir = Path(out_dir)
    truth_path = out_dir.parent / TRUTH_FILE_NAME
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous_sample(out_dir)
    summary = SampleSummary(out_dir, truth_path, scale, seed, messy)
    writer = _Writer(out_dir, seed, messy, summary)
    on_terminal = show_progress and sys.stderr.isatty()

    state = build_state(config, params, seed)
    teachers = build_teachers(state, seed)
    simulator = StudentSimulator(state, params, seed)
    outcomes = OutcomeModel(state, params, seed)
    program = Program(params.program, seed, state.schools.n)
    cohort_sizes = dict(config.cohort_sizes)
    totals_for = system_total_systems(state, params, seed)
    cep = cep_schools(state, params, seed)
    observed = np.full((state.schools.n, len(state.years)), np.nan)
    year_truths: dict[int, YearTruth] = {}
    students: Students | None = None
    priors = PriorScores(program_start=min(cohort_sizes))
    subgroup_truth = SubgroupTruth(program)

    for year in (int(y) for y in state.years):
        students = simulator.first_year() if students is None else simulator.advance(students, year)
        # Each student's effect: the school's, scaled by prior achievement and meal status.
        multipliers = effect_multipliers(
            students, tercile_index(priors.prior(year, students.sid)), params.subgroup_effects
        )
        effects = program.effects(year)[students.school] * multipliers
        latent = outcomes.latent(students, year, effects)
        layout = layout_for_year(year)
        if layout is not None:
            observed[:, state.year_index(year)] = _school_means(students, latent, state.schools.n)
            results, year_truth = outcomes.results(students, year, layout, latent, effects)
            year_truths[year] = year_truth
            prior = priors.prior(year, year_truth.students.sid)
            subgroup_truth.add_year(year, year_truth, prior, school_levels(state, year))
            priors.record(year, year_truth.students.sid, year_truth.student_z)
            table = assessment_table(results, state, teachers)
            summary.scores += sum(int(r.tested.sum()) for r in results.subjects.values())
            relative = f"assessments/{layout.name}_student_results_{year}.csv"
            writer.write(relative, table, assessment_targets(layout))
        tested_counts = np.bincount(students.school, minlength=state.schools.n)
        roster = roster_table(state, year, tested_counts, totals_for, cep, params, seed)
        writer.write(f"rosters/ccd_schools_{year}.csv", roster, ROSTER_TARGETS)
        note = layout.test if layout else "no state test"
        if year + 1 in cohort_sizes:
            _select_cohort(program, state, year + 1, cohort_sizes[year + 1], observed)
            note += f"; {cohort_sizes[year + 1]} schools chosen for the {year + 1} cohort"
        _progress(on_terminal, f"  {year}: {len(students):,} students in grades 3-8 ({note})")

    writer.write("program/partnered_schools.csv", program_table(state, program), None)
    monthly, dose = generate_activity(state, program, teachers, seed)
    for (year, month), table in sorted(monthly.items()):
        writer.write(f"activity/partnering_log_{year}_{month:02d}.csv", table, ACTIVITY_TARGETS)
    _progress(on_terminal, f"  activity: {len(monthly)} monthly logs")

    truth = build_truth(
        scale=config,
        params=params,
        seed=seed,
        messy=messy,
        state=state,
        program=program,
        year_truths=year_truths,
        att_by_subgroup=subgroup_truth.records(),
        dose=dose,
        corruptions=writer.corruptions,
        rows_written=dict(summary.rows),
        files_written=dict(summary.files),
    )
    (out_dir / SYNTHETIC_MARKER).write_text(
        "Generated by partner-impact sample: synthetic students, not real records.\n",
        encoding="utf-8",
    )
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    summary.corruptions = len(writer.corruptions)
    summary.seconds = time.perf_counter() - started
    if show_progress:
        print(summary.describe())
    return summary
