"""Students in grades 3-8, followed from year to year with exits, retention and moves.

Each spring year the body of students is advanced as whole arrays: grade-8 students and a share
of others leave, most are promoted, students whose school does not enroll their new grade move to
a school of the same system that does (elementary to middle), a share move voluntarily, and new
students fill each school-grade up to its size that year.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from pipelines.layouts import GRADES
from pipelines.sample.config import ModelParameters
from pipelines.sample.names import FIRST_NAMES_FEMALE, FIRST_NAMES_MALE, LAST_NAMES
from pipelines.sample.rng import stream
from pipelines.sample.schools import N_SUBJECTS, State

N_GRADES = len(GRADES)
FIRST_GRADE = GRADES[0]
EPOCH = np.datetime64("1990-01-01")
RACES = ("White", "Black", "Hispanic", "Asian", "American Indian", "Two or more")
RACE_SHARES = (0.56, 0.32, 0.07, 0.015, 0.01, 0.025)

_ID_MODULUS = 8_999_999_993  # prime: the affine map below is a bijection onto 10-digit ids
_ID_BASE = 1_000_000_000


class IdAllocator:
    """Unique, random-looking 10-digit state student ids from a counter (a keyed permutation)."""

    def __init__(self, seed: int) -> None:
        rng = stream(seed, "student-ids")
        # Below 2**31 so that multiplier * counter stays inside int64.
        self._multiplier = int(rng.integers(1_000_000, 2**31 - 1))
        self._offset = int(rng.integers(0, _ID_MODULUS))
        self._next = 0

    def take(self, count: int) -> np.ndarray:
        counter = np.arange(self._next, self._next + count, dtype=np.int64)
        self._next += count
        return (counter * self._multiplier + self._offset) % _ID_MODULUS + _ID_BASE


@dataclass
class Students:
    """One year's tested-grade students (all arrays share the same row order)."""

    sid: np.ndarray
    school: np.ndarray
    grade: np.ndarray
    ability: np.ndarray
    """float (student, subject), variance ``VarianceModel.student``."""
    female: np.ndarray
    race: np.ndarray
    econ: np.ndarray
    """Economically disadvantaged (free or reduced-price meals) this year."""
    english_learner: np.ndarray
    disability: np.ndarray
    """Has an IEP (students with disabilities)."""
    section_504: np.ndarray
    """Has a Section 504 plan (and no IEP)."""
    first_name: np.ndarray
    last_name: np.ndarray
    birth_day: np.ndarray
    """Days since 1990-01-01."""

    def __len__(self) -> int:
        return len(self.sid)

    def subset(self, keep: np.ndarray) -> Students:
        return Students(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})

    def concat(self, other: Students) -> Students:
        return Students(
            **{
                f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                for f in fields(self)
            }
        )


def _correlated_normals(
    rng: np.random.Generator, n: int, sd: float, correlation: float
) -> np.ndarray:
    common = rng.normal(size=(n, 1))
    own = rng.normal(size=(n, N_SUBJECTS))
    return (sd * (np.sqrt(correlation) * common + np.sqrt(1.0 - correlation) * own)).astype(
        np.float32
    )


class StudentSimulator:
    """Advances the student body one spring year at a time."""

    def __init__(self, state: State, params: ModelParameters, seed: int) -> None:
        self._state = state
        self._params = params
        self._seed = seed
        self._ids = IdAllocator(seed)
        self._student_sd = np.sqrt(params.variance.student)

    def first_year(self) -> Students:
        year = int(self._state.years[0])
        rng = stream(self._seed, "students", year)
        empty = self._new_students(np.array([], dtype=np.int64), np.array([], dtype=int), year, rng)
        return self._fill(empty, year, rng)

    def advance(self, students: Students, year: int) -> Students:
        """Next spring year's students from last year's."""
        rng = stream(self._seed, "students", year)
        mobility = self._params.mobility
        stays = (students.grade < GRADES[-1]) & (rng.random(len(students)) >= mobility.exit_rate)
        students = students.subset(stays)
        retained = rng.random(len(students)) < mobility.retention_rate
        students.grade = (students.grade + (~retained)).astype(np.int8)
        students.school = self._new_schools(students, year, rng)
        rho = self._params.variance.student_persistence
        innovation = _correlated_normals(
            rng,
            len(students),
            self._student_sd,
            self._params.variance.subject_correlation_student,
        )
        students.ability = (rho * students.ability + np.sqrt(1 - rho**2) * innovation).astype(
            np.float32
        )
        self._churn_flags(students, year)
        return self._fill(students, year, rng)

    def _churn_flags(self, students: Students, year: int) -> None:
        """Yearly changes of the program flags (own stream: the other draws do not move).

        Meal status changes with family income (a tenth of students switch each year, towards
        their school's poverty rate); English learners are reclassified fluent (about a sixth a
        year, more among higher achievers); a few students get an IEP or leave special
        education.
        """
        rng = stream(self._seed, "student-flag-churn", year)
        n = len(students)
        flags = self._params.flags
        poverty = self._state.schools.poverty[students.school, self._state.year_index(year)]
        redraw = rng.random(n) < flags.econ_churn
        fresh = rng.random(n) < _shifted(
            poverty, -flags.econ_ability_slope * _mean_ability(students)
        )
        students.econ = np.where(redraw, fresh, students.econ)
        exit_chance = flags.el_exit_rate * np.exp(0.5 * _mean_ability(students))
        students.english_learner = students.english_learner & (rng.random(n) >= exit_chance)
        gains = ~students.disability & (rng.random(n) < flags.disability_entry_rate)
        leaves = students.disability & (rng.random(n) < flags.disability_exit_rate)
        students.disability = (students.disability | gains) & ~leaves
        students.section_504 = students.section_504 & ~students.disability

    def _new_schools(self, students: Students, year: int, rng: np.random.Generator) -> np.ndarray:
        schools = self._state.schools
        mobility = self._params.mobility
        weights = schools.grade_size[:, self._state.year_index(year)]
        grade_index = students.grade - FIRST_GRADE
        current = students.school.copy()
        forced = ~schools.tested[current, grade_index]
        voluntary = ~forced & (rng.random(len(students)) < mobility.move_rate)
        within = forced | (rng.random(len(students)) < mobility.move_within_system_share)
        movers = np.flatnonzero(forced | voluntary)
        u = rng.random(len(movers))
        for g in range(N_GRADES):
            at_grade = grade_index[movers] == g
            if not at_grade.any():
                continue
            who = movers[at_grade]
            candidates = schools.serving(g)
            chosen = _weighted_choice(
                candidates,
                weights[candidates],
                schools.system[candidates],
                schools.system[current[who]],
                within[who],
                u[at_grade],
            )
            current[who] = chosen
        return current

    def _fill(self, students: Students, year: int, rng: np.random.Generator) -> Students:
        """Add new students so every school-grade reaches its size this year."""
        schools = self._state.schools
        sizes = schools.grade_size[:, self._state.year_index(year)]
        target = np.round(sizes[:, None] * rng.lognormal(0.0, 0.05, size=(schools.n, N_GRADES)))
        target = np.where(schools.tested, target, 0).astype(np.int64)
        cells = students.school.astype(np.int64) * N_GRADES + (students.grade - FIRST_GRADE)
        present = np.bincount(cells, minlength=schools.n * N_GRADES).reshape(schools.n, N_GRADES)
        deficit = np.maximum(target - present, 0).ravel()
        new_cells = np.repeat(np.arange(schools.n * N_GRADES), deficit)
        entrants = self._new_students(new_cells // N_GRADES, new_cells % N_GRADES, year, rng)
        self._draw_flags(entrants, year)
        return students.concat(entrants)

    def _draw_flags(self, entrants: Students, year: int) -> None:
        """English learner, IEP and 504 flags of new students, from their own stream.

        English learners are mostly Hispanic or Asian students; IEPs are more common among low
        achievers and boys; all three are more common in poorer schools.
        """
        rng = stream(self._seed, "student-flags", year)
        n = len(entrants)
        flags = self._params.flags
        ability = _mean_ability(entrants)
        poverty = self._state.schools.poverty[entrants.school, self._state.year_index(year)]
        el_base = np.array(flags.el_share_by_race)[entrants.race]
        entrants.english_learner = rng.random(n) < el_base * (0.6 + 0.8 * poverty)
        swd_logit = (
            np.log(flags.disability_share / (1 - flags.disability_share))
            - flags.disability_ability_slope * ability
            + 0.4 * (~entrants.female)
            + 0.5 * (poverty - 0.5)
        )
        entrants.disability = rng.random(n) < 1 / (1 + np.exp(-swd_logit))
        entrants.section_504 = ~entrants.disability & (rng.random(n) < flags.section_504_share)

    def _new_students(
        self, school: np.ndarray, grade_index: np.ndarray, year: int, rng: np.random.Generator
    ) -> Students:
        n = len(school)
        female = rng.random(n) < 0.49
        first_name = np.where(
            female,
            rng.integers(0, len(FIRST_NAMES_FEMALE), n),
            rng.integers(0, len(FIRST_NAMES_MALE), n),
        )
        grade = (grade_index + FIRST_GRADE).astype(np.int8)
        # Born between September of (year - grade - 7) and August of (year - grade - 6).
        birth_start = (
            np.array([f"{y}-09-02" for y in range(1980, 2030)], dtype="datetime64[D]") - EPOCH
        ).astype(np.int64)
        birth_day = birth_start[year - grade.astype(np.int64) - 7 - 1980] + rng.integers(0, 365, n)
        poverty = self._state.schools.poverty[school, self._state.year_index(year)]
        sid = self._ids.take(n)
        abilities = _correlated_normals(
            rng, n, self._student_sd, self._params.variance.subject_correlation_student
        )
        ability = abilities.mean(axis=1) / self._student_sd
        race = rng.choice(len(RACES), size=n, p=RACE_SHARES).astype(np.int8)
        return Students(
            sid=sid,
            school=school.astype(np.int32),
            grade=grade,
            ability=abilities,
            female=female,
            race=race,
            # One uniform per student as before; the chance shifts with ability (same stream).
            econ=rng.random(n)
            < _shifted(poverty, -self._params.flags.econ_ability_slope * ability),
            english_learner=np.zeros(n, dtype=bool),
            disability=np.zeros(n, dtype=bool),
            section_504=np.zeros(n, dtype=bool),
            first_name=first_name.astype(np.int16),
            last_name=rng.integers(0, len(LAST_NAMES), n).astype(np.int16),
            birth_day=birth_day.astype(np.int32),
        )


def _mean_ability(students: Students) -> np.ndarray:
    """A student's ability averaged over subjects (about unit variance)."""
    return students.ability.mean(axis=1) / np.sqrt(students.ability.var(axis=0).mean() or 1.0)


def _shifted(probability: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``probability`` moved by ``shift`` on the logit scale."""
    p = np.clip(probability, 1e-4, 1 - 1e-4)
    return 1 / (1 + np.exp(-(np.log(p / (1 - p)) + shift)))


def _weighted_choice(
    candidates: np.ndarray,
    weights: np.ndarray,
    candidate_system: np.ndarray,
    mover_system: np.ndarray,
    within_system: np.ndarray,
    u: np.ndarray,
) -> np.ndarray:
    """One candidate per mover, chance proportional to weight, in the mover's system or not.

    Candidates are ordered by system, so a mover of system ``s`` draws the key ``s + u`` in
    keys that run from ``s`` to ``s + 1`` across that system's candidates.
    """
    chosen = np.empty(len(u), dtype=np.int64)
    statewide_keys = np.cumsum(weights) / weights.sum()
    system_totals = np.bincount(candidate_system, weights=weights)
    within_cumulative = (
        np.cumsum(weights)
        - np.concatenate([[0.0], np.cumsum(system_totals)[:-1]])[candidate_system]
    )
    system_keys = candidate_system + within_cumulative / system_totals[candidate_system]
    has_candidates = np.zeros(max(len(system_totals), mover_system.max(initial=0) + 1), bool)
    has_candidates[: len(system_totals)] = system_totals > 0
    local = within_system & has_candidates[mover_system]
    index = np.searchsorted(system_keys, mover_system[local] + u[local], side="right")
    chosen[local] = candidates[np.minimum(index, len(candidates) - 1)]
    index = np.searchsorted(statewide_keys, u[~local], side="right")
    chosen[~local] = candidates[np.minimum(index, len(candidates) - 1)]
    return chosen
