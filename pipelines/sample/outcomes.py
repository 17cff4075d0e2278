"""Latent achievement and a spring year's test results.

latent(student i, school s, year t, subject j) =
    quality[s, j] + shock[s, t, j] + ability[i, j] + occasion noise + true effect[s, t, j]

Scale scores are a linear map of the latent score (plus a statewide shift per test x subject x
grade x year) rounded and clipped to the test's range, so a true effect of ``d`` latent units is
``d * sd_scale / sd(scores in the cell)`` z units once scores are standardized.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.layouts import GRADES, SUBJECTS, AssessmentLayout
from pipelines.sample.assessment_files import NOT_TESTED, SubjectResults, YearResults
from pipelines.sample.config import ModelParameters
from pipelines.sample.rng import stream
from pipelines.sample.scales import (
    scale_parameters,
    to_levels,
    to_scale_scores,
    unmapped_aspire_scores,
)
from pipelines.sample.schools import N_SUBJECTS, State
from pipelines.sample.students import EPOCH, Students

PARTICIPATION = 0.98
"""Share of enrolled students with a score in each subject (absences, exemptions)."""
SUBJECT_DAY_OFFSET = (0, 1, 2)


def _percentile_rank(latent: np.ndarray) -> np.ndarray:
    """National percentile rank 1-99 (logistic approximation of the normal CDF, within 1 point)."""
    return np.clip(np.rint(100 / (1 + np.exp(-1.702 * latent))), 1, 99).astype(np.int64)


@dataclass(frozen=True)
class YearTruth:
    """What the truth file needs from one tested year, per school and subject."""

    tested: np.ndarray
    """int (school, subject): students with a score."""
    effect_z_sum: np.ndarray
    """float (school, subject): sum over tested students of the true effect in z units."""
    z_sum: np.ndarray
    """float (school, subject): sum of standardized scores (z within test x subject x grade)."""
    shock: np.ndarray
    """float (school, subject): the school-year shock (transient, latent units)."""
    students: Students | None = None
    """The year's students in file row order (for the truth by subgroup)."""
    student_z: np.ndarray | None = None
    """float (student, subject): standardized score (sample SD, as the marts), NaN if untested."""
    student_effect_z: np.ndarray | None = None
    """float (student, subject): true effect in z units, NaN if untested."""


class OutcomeModel:
    """Draws latent scores and turns them into a year's results."""

    def __init__(self, state: State, params: ModelParameters, seed: int) -> None:
        self._state = state
        self._params = params
        self._seed = seed
        var = params.variance
        rng = stream(seed, "school-year-shocks")
        n, years = state.schools.n, len(state.years)
        rho = var.subject_correlation_shock
        common = rng.normal(size=(n, years, 1))
        own = rng.normal(size=(n, years, N_SUBJECTS))
        self.shocks = np.sqrt(var.school_year) * (np.sqrt(rho) * common + np.sqrt(1 - rho) * own)

    def latent(self, students: Students, year: int, effects: np.ndarray) -> np.ndarray:
        """Latent scores (student, subject) in spring ``year``; ``effects`` is (student,
        subject), each student's own true effect."""
        rng = stream(self._seed, "occasion-noise", year)
        school = students.school
        noise = rng.normal(0.0, np.sqrt(self._params.variance.occasion), (len(students), 3))
        yi = self._state.year_index(year)
        return (
            self._state.schools.quality[school]
            + self.shocks[school, yi]
            + students.ability
            + noise
            + effects
        )

    def results(
        self,
        students: Students,
        year: int,
        layout: AssessmentLayout,
        latent: np.ndarray,
        effects: np.ndarray,
    ) -> tuple[YearResults, YearTruth]:
        """The year's results in file row order, and the per-school truth of the year."""
        rng = stream(self._seed, "results", year)
        order = np.lexsort((students.sid, students.first_name, students.last_name, students.school))
        students = students.subset(order)
        latent = latent[order]
        student_effects = effects[order]
        n_schools = self._state.schools.n
        shifts = rng.normal(0.0, self._params.variance.cell_shift_sd, (N_SUBJECTS, len(GRADES)))
        test_days = self._test_days(students, year, rng)
        truth = YearTruth(
            tested=np.zeros((n_schools, N_SUBJECTS), dtype=np.int64),
            effect_z_sum=np.zeros((n_schools, N_SUBJECTS)),
            z_sum=np.zeros((n_schools, N_SUBJECTS)),
            shock=self.shocks[:, self._state.year_index(year)],
            students=students,
            student_z=np.full((len(students), N_SUBJECTS), np.nan),
            student_effect_z=np.full((len(students), N_SUBJECTS), np.nan),
        )
        subjects: dict[str, SubjectResults] = {}
        for j, subject in enumerate(SUBJECTS):
            score = np.full(len(students), NOT_TESTED, dtype=np.int64)
            level = np.zeros(len(students), dtype=np.int64)
            present = rng.random(len(students)) < PARTICIPATION
            for g, grade in enumerate(GRADES):
                if layout.score_range(subject, grade) is None:
                    continue
                cell = np.flatnonzero(present & (students.grade == grade))
                if len(cell) == 0:
                    continue
                score[cell] = to_scale_scores(latent[cell, j], layout, subject, grade, shifts[j, g])
                level[cell] = to_levels(score[cell], layout, subject, grade)
                self._add_truth(
                    truth,
                    j,
                    cell,
                    students.school[cell],
                    score[cell],
                    student_effects[cell, j],
                    scale_parameters(layout, subject, grade)[1],
                )
            subjects[subject] = SubjectResults(
                score=score,
                level=level,
                percentile=_percentile_rank(latent[:, j]),
                test_day=test_days + SUBJECT_DAY_OFFSET[j],
            )
        extra = {}
        if layout.name == "act_aspire":
            extra = self._aspire_unmapped(students, latent[:, 0], subjects["ela"], rng)
        results = YearResults(
            year=year,
            layout=layout,
            students=students,
            subjects=subjects,
            extra_subjects=extra,
            middle_initial=rng.integers(0, 27, len(students)),
        )
        return results, truth

    @staticmethod
    def _add_truth(
        truth: YearTruth,
        subject: int,
        rows: np.ndarray,
        school: np.ndarray,
        score: np.ndarray,
        effect: np.ndarray,
        scale_sd: float,
    ) -> None:
        observed_sd = score.std()
        if observed_sd == 0:
            return
        z = (score - score.mean()) / observed_sd
        if len(score) > 1:
            truth.student_z[rows, subject] = (score - score.mean()) / score.std(ddof=1)
        truth.student_effect_z[rows, subject] = effect * scale_sd / observed_sd
        n = truth.tested.shape[0]
        truth.tested[:, subject] += np.bincount(school, minlength=n)
        truth.z_sum[:, subject] += np.bincount(school, weights=z, minlength=n)
        truth.effect_z_sum[:, subject] += np.bincount(
            school, weights=effect * scale_sd / observed_sd, minlength=n
        )

    def _test_days(self, students: Students, year: int, rng: np.random.Generator) -> np.ndarray:
        """Each school's first testing day (a Monday to Wednesday in mid April to early May)."""
        april_sixth = (np.datetime64(f"{year}-04-06") - EPOCH).astype(np.int64)
        monday = april_sixth + (-april_sixth) % 7  # the first Monday from April 6 (epoch: Monday)
        weeks = rng.integers(0, 4, self._state.schools.n)
        weekday = rng.integers(0, 3, self._state.schools.n)
        school_day = monday + 7 * weeks + weekday
        return school_day[students.school]

    def _aspire_unmapped(
        self,
        students: Students,
        ela_latent: np.ndarray,
        reading: SubjectResults,
        rng: np.random.Generator,
    ) -> dict[str, SubjectResults]:
        """English and Writing, correlated with reading, for the same tested students."""
        extra = {}
        for name, loading, offset in (("english", 0.8, 7), ("writing", 0.6, 8)):
            latent = loading * ela_latent + np.sqrt(1 - loading**2) * rng.normal(size=len(students))
            score = np.full(len(students), NOT_TESTED, dtype=np.int64)
            level = np.zeros(len(students), dtype=np.int64)
            for grade in GRADES:
                cell = np.flatnonzero(reading.tested & (students.grade == grade))
                score[cell], level[cell] = unmapped_aspire_scores(latent[cell], name, grade)
            extra[name] = SubjectResults(
                score=score,
                level=level,
                percentile=_percentile_rank(latent),
                test_day=reading.test_day + offset,
            )
        return extra
