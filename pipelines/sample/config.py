"""Sizes of the three synthetic states and the parameters of the data model.

Everything the generator draws from is set here, so the truth file can record it whole.
Variances are in student-SD units of the latent score (total variance 1), which is also the unit
of every true effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class ScaleConfig:
    """How big a synthetic state is."""

    name: str
    n_systems: int
    n_county_systems: int
    n_schools: int
    cohort_sizes: tuple[tuple[int, int], ...]
    """(first partnered spring year, number of schools) per cohort."""
    first_year: int = 2008
    last_year: int = 2024


SCALES: dict[str, ScaleConfig] = {
    # Cohorts keep the pilot's proportions (13 then 20) but stay large enough to estimate.
    "small": ScaleConfig("small", 8, 5, 60, ((2012, 4), (2013, 6))),
    "demo": ScaleConfig("demo", 30, 18, 300, ((2012, 13), (2013, 20))),
    "state": ScaleConfig("state", 137, 67, 1400, ((2012, 13), (2013, 20))),
}


@dataclass(frozen=True)
class SchoolMix:
    """How systems are split into schools and how big schools are."""

    county_schools_mean: float = 14.0
    city_schools_mean: float = 6.0
    high_share: float = 0.22
    middle_share: float = 0.23
    k8_share: float = 0.05
    elementary_grade_size_mean: float = 48.0
    """Mean students per grade in an elementary or K-8 school, before clipping."""
    elementary_grade_size_shape: float = 2.2
    """Gamma shape of students per grade: small means a long right tail."""
    grade_size_bounds: tuple[float, float] = (15.0, 150.0)
    middle_grade_size_bounds: tuple[float, float] = (25.0, 260.0)
    system_total_rows_share: float = 0.05
    """Share of systems whose roster also carries a ``0000`` system-total row."""
    cep_poverty_threshold: float = 0.70
    cep_probability: float = 0.3
    cep_first_year: int = 2015
    """From this year, some high-poverty schools report every student as free-lunch eligible
    (Community Eligibility Provision), as real rosters do."""


@dataclass(frozen=True)
class VarianceModel:
    """Latent score = school + school-year shock + student + occasion noise (+ effect)."""

    school: float = 0.190
    school_year: float = 0.015
    student: float = 0.600
    occasion: float = 0.195
    poverty_share_of_school: float = 0.36
    """Share of the persistent school variance explained by poverty (corr about -0.6)."""
    subject_correlation_school: float = 0.85
    subject_correlation_student: float = 0.70
    subject_correlation_shock: float = 0.50
    student_persistence: float = 0.90
    """Year-to-year autocorrelation of a student's latent ability."""
    cell_shift_sd: float = 0.05
    """SD of statewide mean shifts by test x subject x grade x year (standardization removes it)."""


@dataclass(frozen=True)
class Mobility:
    """Yearly student flows."""

    exit_rate: float = 0.03
    retention_rate: float = 0.015
    move_rate: float = 0.07
    move_within_system_share: float = 0.75
    size_drift_sd: float = 0.03
    """Yearly random-walk drift of a school's grade sizes (log scale)."""


@dataclass(frozen=True)
class ProgramModel:
    """Who is partnered, how much partnering they get, and what it does."""

    selection_window: int = 3
    """Spring years before the cohort's first year whose observed school means drive selection."""
    selection_weight_performance: float = 1.0
    selection_weight_poverty: float = 0.6
    selection_noise_sd: float = 0.5
    effect_by_event_time: tuple[float, ...] = (0.03, 0.06, 0.09)
    """Mean true effect in the first, second and third partnered year; constant afterwards."""
    effect_heterogeneity_sd: float = 0.05
    dose_slope: float = 0.02
    """Change in a school's long-run effect per unit of ln(minutes per teacher / reference)."""
    reference_minutes_per_teacher: float = 600.0
    intensity_log_sd: float = 0.4
    intensity_year_log_sd: float = 0.15
    subject_multipliers: tuple[tuple[str, float], ...] = (
        ("ela", 1.0),
        ("math", 1.0),
        ("science", 0.5),
    )
    exit_share: float = 0.15
    """Share of partnered schools that leave the program (they get a ``last_year``)."""
    exit_years: tuple[int, int] = (2016, 2022)
    fade_after_exit: float = 0.5
    """Share of the effect still present each year after a school leaves."""
    students_per_teacher: float = 16.0

    def scaled(self, factor: float) -> ProgramModel:
        """The same program with every true effect times ``factor`` (0: the program does nothing).

        Scales the mean effect by event time, the schools' heterogeneity and the dose slope;
        who is chosen, when and how much partnering they get stay the same.
        """
        if not (factor >= 0 and np.isfinite(factor)):
            raise ValueError(f"the effect scale must be a finite number >= 0, got {factor!r}")
        return replace(
            self,
            effect_by_event_time=tuple(factor * e for e in self.effect_by_event_time),
            effect_heterogeneity_sd=factor * self.effect_heterogeneity_sd,
            dose_slope=factor * self.dose_slope,
        )


@dataclass(frozen=True)
class FlagModel:
    """How students' demographic and program flags are drawn and change from year to year."""

    econ_ability_slope: float = 0.5
    """Logit shift of free/reduced-price meal status per SD of ability (poorer families, lower
    scores), on top of the school's poverty rate."""
    econ_churn: float = 0.10
    """Share of students whose meal status is drawn again each year."""
    el_share_by_race: tuple[float, ...] = (0.005, 0.005, 0.45, 0.30, 0.02, 0.02)
    """Chance that a new student is an English learner, by race (order of ``RACES``)."""
    el_exit_rate: float = 0.15
    """Yearly reclassification of English learners as fluent (higher for higher achievers)."""
    disability_share: float = 0.11
    disability_ability_slope: float = 0.9
    disability_entry_rate: float = 0.008
    disability_exit_rate: float = 0.03
    section_504_share: float = 0.02


@dataclass(frozen=True)
class SubgroupEffects:
    """How the true effect differs by student: a multiplier on the school's effect.

    A student's multiplier is ``prior[tercile] * econ[flag]``, divided by its mean over the
    school's students that year (so the school's mean effect stays the program's design and the
    subgroups share it unequally); nothing else changes it (the
    effect is the same for girls and boys, English learners and others, students with and
    without disabilities, in all grades). The tercile is that of the student's prior score in
    the subject as the marts define it (``pipelines.sample.subgroups.PriorScores``: the
    previous-year score, frozen at the program's start); students without one get 1.
    """

    prior_tercile: tuple[float, float, float] = (2.4, 1.0, 0.0)
    """(lowest, middle, highest third): nothing for the highest third."""
    economically_disadvantaged: tuple[float, float] = (0.2, 1.5)
    """(not disadvantaged, disadvantaged)."""


@dataclass(frozen=True)
class ModelParameters:
    """Every parameter of the data model."""

    schools: SchoolMix = field(default_factory=SchoolMix)
    variance: VarianceModel = field(default_factory=VarianceModel)
    mobility: Mobility = field(default_factory=Mobility)
    program: ProgramModel = field(default_factory=ProgramModel)
    flags: FlagModel = field(default_factory=FlagModel)
    subgroup_effects: SubgroupEffects = field(default_factory=SubgroupEffects)


DEFAULT_PARAMETERS = ModelParameters()
