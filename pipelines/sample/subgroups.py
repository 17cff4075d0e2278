"""Who gains how much: prior-achievement terciles, effect multipliers and the truth by subgroup.

The true effect of a student is the school's effect times a multiplier
(:class:`pipelines.sample.config.SubgroupEffects`). The truth file's ``att_by_subgroup`` gives,
for every subject x dimension x subgroup the pipeline publishes, the pooled post-period ATT it
estimates (see :func:`att_by_subgroup`), with subgroups defined exactly as the marts define
them (``docs/marts.md``, "Student flags").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipelines.layouts import SUBJECTS, layout_for_year
from pipelines.layouts.demographics import SUBGROUP_DIMENSIONS, declared_flags
from pipelines.sample.config import SubgroupEffects
from pipelines.sample.outcomes import YearTruth
from pipelines.sample.program import Program
from pipelines.sample.students import RACES, Students

TERCILES = ("lowest third", "middle third", "highest third")
YES_NO = ("no", "yes")
GRADE_BANDS = (("grades 3-5", (3, 4, 5)), ("grades 6-8", (6, 7, 8)))
SCHOOL_LEVEL_SUBGROUPS = {
    "Elementary": "elementary",
    "Middle": "middle",
    "Other": "other",
    "High": "other",
}
"""The ``school_level`` subgroup of each roster (CCD) level, as the ``school_subgroups`` mart
maps them: ``other`` holds the K-8 and other spans (and a secondary school's tested grades)."""
CARRIED_FLAGS = ("english_learner", "disability")
"""Flags some eras do not record: those years use the student's earliest recorded value."""
PRIOR_YEARS = 2
"""A student's prior score: the latest of the two springs before the reference year."""


class PriorScores:
    """Students' standardized scores of recent springs, for prior achievement.

    The prior score of spring ``t`` is the latest z of the two springs before
    ``min(t, program_start)``: the previous-year score, frozen at the program's start so that no
    prior score was raised by the program (as the ``school_subgroups`` mart defines it).
    """

    def __init__(self, program_start: int) -> None:
        self._start = program_start
        self._by_year: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def record(self, year: int, sid: np.ndarray, z: np.ndarray) -> None:
        order = np.argsort(sid)
        self._by_year[year] = (sid[order], z[order])
        frozen = range(self._start - PRIOR_YEARS, self._start)
        for old in [y for y in self._by_year if y < year - PRIOR_YEARS and y not in frozen]:
            del self._by_year[old]

    def prior(self, year: int, sid: np.ndarray) -> np.ndarray:
        """(student, subject) prior z (see the class); NaN without one."""
        result = np.full((len(sid), len(SUBJECTS)), np.nan)
        reference = min(year, self._start)
        for back in range(PRIOR_YEARS, 0, -1):  # the later year overwrites the earlier
            if reference - back not in self._by_year:
                continue
            known, z = self._by_year[reference - back]
            at = np.clip(np.searchsorted(known, sid), 0, max(len(known) - 1, 0))
            found = (known[at] == sid) if len(known) else np.zeros(len(sid), bool)
            values = np.where(found[:, None], z[at], np.nan)
            result = np.where(np.isnan(values), result, values)
        return result


def tercile_index(prior: np.ndarray, population: np.ndarray | None = None) -> np.ndarray:
    """(student, subject) tercile 0/1/2 of ``prior`` z, -1 without a prior score.

    Cut points are the 1/3 and 2/3 quantiles (linear interpolation, as DuckDB's
    ``quantile_cont``) of the subject's prior scores among ``population`` (default: everyone);
    a score on a cut point belongs to the lower third.
    """
    index = np.full(prior.shape, -1, dtype=np.int8)
    for j in range(prior.shape[1]):
        values = prior[:, j]
        known = ~np.isnan(values)
        pool = known if population is None else known & population[:, j]
        if not pool.any():
            continue
        low, high = np.quantile(values[pool], [1 / 3, 2 / 3])
        index[known, j] = np.where(values[known] <= low, 0, np.where(values[known] <= high, 1, 2))
    return index


def effect_multipliers(
    students: Students, terciles: np.ndarray, model: SubgroupEffects
) -> np.ndarray:
    """(student, subject) multiplier of the school's true effect.

    Normalized within each school and year (mean 1 over its students), so the school's mean
    effect is the program's design: the subgroups share it out unequally.
    """
    prior = np.where(terciles >= 0, np.array(model.prior_tercile)[np.maximum(terciles, 0)], 1.0)
    econ = np.array(model.economically_disadvantaged)[students.econ.astype(int)]
    raw = prior * econ[:, None]
    n_schools = int(students.school.max()) + 1 if len(students) else 0
    counts = np.bincount(students.school, minlength=n_schools)
    normalized = np.empty_like(raw)
    for j in range(raw.shape[1]):
        sums = np.bincount(students.school, weights=raw[:, j], minlength=n_schools)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(sums > 0, sums / np.maximum(counts, 1), 1.0)
        normalized[:, j] = raw[:, j] / mean[students.school]
    return normalized


@dataclass
class SubgroupTruth:
    """Collects, year by year, the true effects of partnered schools' students by subgroup."""

    program: Program
    frames: list[pd.DataFrame] = field(default_factory=list)
    first_recorded: dict[str, pd.Series] = field(default_factory=dict)

    def add_year(
        self, year: int, truth: YearTruth, prior: np.ndarray, school_level: np.ndarray
    ) -> None:
        """Record ``year``'s students (file order, as ``truth.students``); ``prior`` is their
        prior z (student, subject), ``school_level`` each school's CCD level in ``year``'s
        roster (by school index)."""
        students = truth.students
        recorded = declared_flags(layout_for_year(year))
        flags = {
            "english_learner": students.english_learner,
            "disability": students.disability,
        }
        for flag in CARRIED_FLAGS:
            if flag in recorded:
                known = pd.Series(flags[flag], index=students.sid)
                earlier = self.first_recorded.get(flag)
                self.first_recorded[flag] = (
                    known if earlier is None else earlier.combine_first(known)
                )
        cohort_of = np.zeros(len(students), dtype=np.int64)
        for cohort in self.program.cohorts:
            if year >= cohort.year:
                cohort_of[np.isin(students.school, cohort.school)] = cohort.year
        tested = ~np.isnan(truth.student_z)
        terciles = tercile_index(prior, tested)
        keep = cohort_of > 0
        if not keep.any():
            return
        frame = pd.DataFrame(
            {
                "year": year,
                "cohort": cohort_of[keep],
                "school": students.school[keep],
                "sid": students.sid[keep],
                "grade": students.grade[keep],
                "economically_disadvantaged": students.econ[keep],
                "english_learner": np.where(
                    "english_learner" in recorded, students.english_learner[keep], pd.NA
                ),
                "disability": np.where("disability" in recorded, students.disability[keep], pd.NA),
                "gender": np.where(students.female[keep], "female", "male"),
                "race_ethnicity": np.asarray(RACES, dtype=object)[students.race[keep]],
                "school_level": school_level[students.school[keep]],
            }
        )
        for j, subject in enumerate(SUBJECTS):
            frame[f"effect_{subject}"] = truth.student_effect_z[keep, j]
            frame[f"tercile_{subject}"] = terciles[keep, j]
        self.frames.append(frame)

    def records(self) -> list[dict[str, Any]]:
        """``att_by_subgroup``: see :func:`att_by_subgroup`."""
        if not self.frames:
            return []
        frame = pd.concat(self.frames, ignore_index=True)
        for flag in CARRIED_FLAGS:
            earliest = self.first_recorded.get(flag, pd.Series(dtype=bool))
            missing = frame[flag].isna()
            frame.loc[missing, flag] = frame.loc[missing, "sid"].map(earliest)
        return att_by_subgroup(frame)


def _labels(frame: pd.DataFrame, dimension: str, subject: str) -> pd.Series:
    if dimension == "prior_achievement":
        index = frame[f"tercile_{subject}"]
        return index.map(dict(enumerate(TERCILES))).where(index >= 0)
    if dimension in ("economically_disadvantaged", "english_learner", "disability"):
        values = frame[dimension]
        return values.map({True: "yes", False: "no"}).where(values.notna())
    if dimension == "grade_band":
        bands = {grade: band for band, grades in GRADE_BANDS for grade in grades}
        return frame["grade"].map(bands)
    if dimension == "school_level":
        return frame["school_level"].map(SCHOOL_LEVEL_SUBGROUPS)
    return frame[dimension]


def att_by_subgroup(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The pooled post-period ATT per subject x dimension x subgroup (the estimand published).

    As Callaway & Sant'Anna's simple aggregation on the school x subgroup panel: within each
    cohort g and year t >= g, the mean over the cohort's schools (each school's mean true effect
    over its tested students of the subgroup that year); then the mean over (g, t) cells with
    cohort g weighted by its number of schools that have the subgroup. Effects are in z units.
    """
    records = []
    for subject in SUBJECTS:
        effect = frame[f"effect_{subject}"]
        tested = frame[effect.notna()]
        for dimension in SUBGROUP_DIMENSIONS:
            labels = _labels(tested, dimension, subject)
            data = tested.assign(label=labels, effect=effect[effect.notna()]).dropna(
                subset=["label"]
            )
            schools = data.groupby(["label", "cohort", "year", "school"])["effect"].mean()
            cells = schools.groupby(["label", "cohort", "year"]).mean()
            sizes = data.groupby(["label", "cohort"])["school"].nunique()
            for label, by_cell in cells.groupby(level="label"):
                weights = np.array(
                    [sizes[(label, cohort)] for _, cohort, _ in by_cell.index], dtype=float
                )
                students = data[data["label"] == label]
                records.append(
                    {
                        "subject": subject,
                        "dimension": dimension,
                        "subgroup": str(label),
                        "true_att": round(float(np.average(by_cell, weights=weights)), 6),
                        "n_students": int(students["sid"].nunique()),
                    }
                )
    return records
