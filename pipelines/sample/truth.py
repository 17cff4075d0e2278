"""The ground truth of a synthetic state, written beside (never inside) the raw folder.

Effects are in student-SD units of the z-score (z within test x subject x grade x year): a
student's true effect in latent units times ``sd_scale / sd(scores in the cell)``.
Nothing here names a student: corrupted rows are referenced by file and line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import numpy as np

from pipelines.layouts import NO_TEST_YEARS, SUBJECTS, layout_for_year
from pipelines.sample.activity import Dose
from pipelines.sample.config import ModelParameters, ScaleConfig
from pipelines.sample.messy import Corruption
from pipelines.sample.outcomes import YearTruth
from pipelines.sample.program import Program
from pipelines.sample.schools import State

DIGITS = 6


def _round(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), DIGITS)


def _school_key(state: State, school: int) -> dict[str, str]:
    return {
        "system_code": str(state.systems.code[state.schools.system[school]]),
        "school_code": str(state.schools.code[school]),
    }


def _att_rows(program: Program, year_truths: dict[int, YearTruth]) -> list[dict[str, Any]]:
    """True ATT per cohort, subject and tested year (event time = year - cohort)."""
    rows = []
    for cohort in program.cohorts:
        for year, truth in year_truths.items():
            for j, subject in enumerate(SUBJECTS):
                tested = truth.tested[cohort.school, j]
                if tested.sum() == 0:
                    continue
                effect_sum = truth.effect_z_sum[cohort.school, j]
                with_students = tested > 0
                school_means = effect_sum[with_students] / tested[with_students]
                rows.append(
                    {
                        "cohort": cohort.year,
                        "subject": subject,
                        "year": year,
                        "event_time": year - cohort.year,
                        "att": _round(effect_sum.sum() / tested.sum()),
                        "att_school_mean": _round(school_means.mean()),
                        "n_schools": int(with_students.sum()),
                        "n_students": int(tested.sum()),
                    }
                )
    return rows


def _att_by_event_time(program: Program, year_truths: dict[int, YearTruth]) -> list[dict[str, Any]]:
    """Student-weighted ATT by subject and event time, pooling cohorts."""
    pooled: dict[tuple[str, int], list[float]] = {}
    for cohort in program.cohorts:
        for year, truth in year_truths.items():
            for j, subject in enumerate(SUBJECTS):
                sums = pooled.setdefault((subject, year - cohort.year), [0.0, 0.0])
                sums[0] += truth.effect_z_sum[cohort.school, j].sum()
                sums[1] += truth.tested[cohort.school, j].sum()
    return [
        {"subject": subject, "event_time": e, "att": _round(s / n), "n_students": int(n)}
        for (subject, e), (s, n) in sorted(pooled.items())
        if n > 0
    ]


def _att_by_partnering(program: Program, year_truths: dict[int, YearTruth]) -> list[dict[str, Any]]:
    """Mean true effect of partnered school-years (school means, each school-year weighted
    equally) by years actually partnered (``years_partnered``: still in the program, k = year -
    cohort + 1) and by years since leaving (``years_since_exit``: year - last_year)."""
    pooled: dict[tuple[str, str, int], list[float]] = {}
    schools: dict[tuple[str, str, int], set[int]] = {}
    for cohort in program.cohorts:
        last = np.where(cohort.last_year > 0, cohort.last_year, np.iinfo(np.int64).max)
        for year, truth in year_truths.items():
            if year < cohort.year:
                continue
            inside = year <= last
            keys = np.where(inside, year - cohort.year + 1, year - last)
            for j, subject in enumerate(SUBJECTS):
                tested = truth.tested[cohort.school, j]
                effect = truth.effect_z_sum[cohort.school, j]
                for i in np.flatnonzero(tested > 0):
                    analysis = "years_partnered" if inside[i] else "years_since_exit"
                    key = (subject, analysis, int(keys[i]))
                    sums = pooled.setdefault(key, [0.0, 0.0])
                    sums[0] += effect[i] / tested[i]
                    sums[1] += 1
                    schools.setdefault(key, set()).add(int(cohort.school[i]))
    return [
        {
            "subject": subject,
            "analysis": analysis,
            "key": key,
            "att": _round(total / count),
            "n_school_years": int(count),
            "n_schools": len(schools[subject, analysis, key]),
        }
        for (subject, analysis, key), (total, count) in sorted(pooled.items())
    ]


def _untreated_school_means(truth: YearTruth) -> np.ndarray:
    """Each school's mean z without the true effect (school, subject); NaN when untested."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (truth.z_sum - truth.effect_z_sum) / truth.tested


def _no_effect_did(program: Program, year_truths: dict[int, YearTruth]) -> list[dict[str, Any]]:
    """What a school-level DiD (cohort vs never-partnered schools, unweighted school means, base
    year cohort - 1) would estimate from untreated outcomes: the selection bias of this sample."""
    chosen = program.chosen
    rows = []
    for cohort in program.cohorts:
        base_year = cohort.year - 1
        if base_year not in year_truths:
            continue
        base = _untreated_school_means(year_truths[base_year])
        never = np.ones(len(base), dtype=bool)
        never[chosen] = False
        for year, truth in year_truths.items():
            change = _untreated_school_means(truth) - base
            for j, subject in enumerate(SUBJECTS):
                treated = change[cohort.school, j]
                control = change[never, j]
                if np.isnan(treated).all() or np.isnan(control).all():
                    continue
                rows.append(
                    {
                        "cohort": cohort.year,
                        "subject": subject,
                        "year": year,
                        "event_time": year - cohort.year,
                        "bias": _round(np.nanmean(treated) - np.nanmean(control)),
                    }
                )
    return rows


def _selection(state: State, program: Program, year_truths: dict[int, YearTruth]) -> dict[str, Any]:
    """Each cohort's observed mean z and transient shocks by year: the regression to the mean."""
    rows = []
    for cohort in program.cohorts:
        for year, truth in year_truths.items():
            entry: dict[str, Any] = {"cohort": cohort.year, "year": year}
            for j, subject in enumerate(SUBJECTS):
                tested = truth.tested[cohort.school, j].sum()
                z = truth.z_sum[cohort.school, j].sum() / tested if tested else np.nan
                entry[f"mean_z_{subject}"] = _round(z)
            entry["mean_shock"] = _round(truth.shock[cohort.school].mean())
            rows.append(entry)
    return {
        "no_effect_did": _no_effect_did(program, year_truths),
        "rule": (
            "At the end of the spring before a cohort starts, among schools with tested grades "
            "not yet partnered, rank need = -w_perf * z(observed mean latent score over the "
            "selection window) + w_pov * z(free/reduced-lunch share) + N(0, noise) and take "
            "the top schools. Observed means include transient shocks and sampling noise, so "
            "chosen schools rebound without any program."
        ),
        "cohort_means_by_year": rows,
    }


def _dose(state: State, program: Program, dose: Dose) -> dict[str, Any]:
    model = program.model
    by_year = [
        {
            **_school_key(state, int(school)),
            "year": int(year),
            "contacts": int(dose.contacts[i]),
            "minutes": int(dose.minutes[i]),
            "minutes_with_teachers": int(dose.minutes_with_teachers[i]),
            "teachers_reached": int(dose.teachers_reached[i]),
            "minutes_per_teacher": _round(dose.minutes_per_teacher[i]),
        }
        for i, (school, year) in enumerate(zip(dose.school, dose.year, strict=True))
    ]
    by_school = []
    for cohort in program.cohorts:
        for i, school in enumerate(cohort.school):
            mine = dose.school == school
            by_school.append(
                {
                    **_school_key(state, int(school)),
                    "planned_minutes_per_teacher": _round(cohort.intensity[i]),
                    "mean_minutes_per_teacher": _round(dose.minutes_per_teacher[mine].mean()),
                    "long_run_effect_latent": _round(cohort.long_run_effect[i]),
                }
            )
    return {
        "form": (
            "long_run_effect = effect_by_event_time[-1] + heterogeneity + dose_slope * "
            "ln(planned_minutes_per_teacher / reference_minutes_per_teacher); the realized "
            "minutes_per_teacher (total logged minutes / distinct teachers reached in the "
            "school year) is a noisy measure of the planned dose. Dose is not randomized."
        ),
        "dose_slope": model.dose_slope,
        "reference_minutes_per_teacher": model.reference_minutes_per_teacher,
        "by_school": by_school,
        "by_school_year": by_year,
    }


def _partnered(state: State, program: Program) -> list[dict[str, Any]]:
    rows = []
    for cohort in program.cohorts:
        for i, school in enumerate(cohort.school):
            last = int(cohort.last_year[i])
            rows.append(
                {
                    **_school_key(state, int(school)),
                    "school_name": str(state.schools.name[school]),
                    "cohort": cohort.year,
                    "last_year": last or None,
                    "partner_id": str(cohort.partner_id[i]),
                    "heterogeneity_latent": _round(cohort.heterogeneity[i]),
                    "long_run_effect_latent": _round(cohort.long_run_effect[i]),
                    "selection_need": _round(cohort.need[i]),
                }
            )
    return rows


def build_truth(
    *,
    scale: ScaleConfig,
    params: ModelParameters,
    seed: int,
    messy: float,
    state: State,
    program: Program,
    year_truths: dict[int, YearTruth],
    att_by_subgroup: list[dict[str, Any]],
    dose: Dose,
    corruptions: list[Corruption],
    rows_written: dict[str, int],
    files_written: dict[str, int],
) -> dict[str, Any]:
    """The truth document (JSON-ready, deterministic order)."""
    var = params.variance
    tested_years = [int(y) for y in state.years if layout_for_year(int(y)) is not None]
    return {
        "description": (
            "Ground truth of a synthetic state written by `partner-impact sample`. The "
            "pipeline never reads this file. Effects are in student-SD units of the z-score "
            "(z within test x subject x grade x spring year)."
        ),
        "generator": {
            "scale": scale.name,
            "seed": seed,
            "messy_rate": messy,
            "scale_config": asdict(scale),
            "parameters": asdict(params),
        },
        "years": {
            "rosters": [int(y) for y in state.years],
            "assessments": {str(y): layout_for_year(y).name for y in tested_years},
            "no_test": [y for y in NO_TEST_YEARS if state.years[0] <= y <= state.years[-1]],
        },
        "variance_components": {
            "school": var.school,
            "school_year": var.school_year,
            "student": var.student,
            "occasion": var.occasion,
            "expected_school_icc_one_year": _round(
                (var.school + var.school_year)
                / (var.school + var.school_year + var.student + var.occasion)
            ),
        },
        "design_effect_by_event_time": list(params.program.effect_by_event_time),
        "partnered_schools": _partnered(state, program),
        "att": _att_rows(program, year_truths),
        "att_by_event_time": _att_by_event_time(program, year_truths),
        "att_by_partnering": _att_by_partnering(program, year_truths),
        "att_by_subgroup_estimand": (
            "For each subject x dimension x subgroup (labels as in estimates_subgroups): the "
            "pooled post-period ATT that Callaway & Sant'Anna's simple aggregation estimates on "
            "the school x subgroup panel. Within cohort g and spring year t >= g, the mean over "
            "the cohort's schools of each school's mean true effect (z units) among its tested "
            "students of the subgroup that year; then the mean over (g, t) cells, cohort g "
            "weighted by its number of schools with the subgroup. Subgroups as the marts define "
            "them: prior_achievement is the tercile (statewide, subject x year, among tested "
            "students with one) of the student's latest z in the subject from the two springs "
            "before the year, frozen at the program's start (from the first cohort's year on: "
            "the two springs before it); english_learner and disability use the student's "
            "earliest recorded flag "
            "in years whose export does not carry it; school_level is the level of the "
            "student's school in that year's roster (elementary, middle; other: K-8 and other "
            "spans). n_students: distinct students counted."
        ),
        "att_by_subgroup": att_by_subgroup,
        "dose_response": _dose(state, program, dose),
        "selection": _selection(state, program, year_truths),
        "files": files_written,
        "rows": rows_written,
        "corruption_counts": dict(sorted(Counter(c.kind for c in corruptions).items())),
        "corruptions": [c.to_json() for c in corruptions],
    }
