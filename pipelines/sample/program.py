"""Which schools are partnered, when, with how much partnering, and what it does to scores.

Cohorts are chosen the way agencies choose them: at the end of the year before the cohort
starts, among schools with tested grades, ranking a noisy "need" that mixes the school's observed
mean score over the last few years (lower is needier) and its poverty. Because observed means
contain transient shocks and sampling noise, the chosen schools were unlucky as well as weak:
their scores rebound without any program (regression to the mean).

The true effect of school ``s`` in spring year ``t`` (latent student-SD units, subject ``j``):

    effect = m_j * theta_s * ramp(t - cohort_s)          while partnered (zero before)
    theta_s = effect_by_event_time[-1] + delta_s + dose_slope * ln(intensity_s / reference)
    ramp(e) = effect_by_event_time[min(e, last)] / effect_by_event_time[-1]
              (1 when effect_by_event_time[-1] is zero: no ramp to scale)

with ``delta_s ~ N(0, heterogeneity_sd^2)`` and ``intensity_s`` the school's planned minutes of
partnering per teacher a year. After a school's last partnered year the effect fades by
``fade_after_exit`` a year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.layouts import SUBJECTS
from pipelines.sample.config import ProgramModel
from pipelines.sample.rng import stream


@dataclass(frozen=True)
class Cohort:
    """The schools partnered from one spring year on."""

    year: int
    school: np.ndarray
    partner_id: np.ndarray
    last_year: np.ndarray
    """0 when the school stays in the program through the last generated year."""
    intensity: np.ndarray
    """Planned minutes of partnering per teacher per school year."""
    heterogeneity: np.ndarray
    long_run_effect: np.ndarray
    need: np.ndarray
    """The selection score that ranked the school (higher = needier)."""


class Program:
    """The partnered schools, cohort by cohort, and their true effects."""

    def __init__(self, model: ProgramModel, seed: int, n_schools: int) -> None:
        self.model = model
        self._seed = seed
        self._n_schools = n_schools
        self.cohorts: list[Cohort] = []
        self._partner_numbers = stream(seed, "partner-ids").permutation(np.arange(1, 10000))

    @property
    def chosen(self) -> np.ndarray:
        if not self.cohorts:
            return np.array([], dtype=np.int64)
        return np.concatenate([c.school for c in self.cohorts])

    def select_cohort(
        self,
        year: int,
        size: int,
        observed_mean: np.ndarray,
        poverty: np.ndarray,
        eligible: np.ndarray,
    ) -> Cohort:
        """Choose ``size`` schools for the cohort starting in spring ``year``.

        ``observed_mean`` is each school's mean latent score over the selection window (NaN
        when untested), ``poverty`` its free/reduced-lunch share the year before.
        """
        model = self.model
        rng = stream(self._seed, "program", year)
        candidates = np.flatnonzero(eligible & ~np.isnan(observed_mean))
        candidates = np.setdiff1d(candidates, self.chosen)
        performance = observed_mean[candidates]
        performance_z = (performance - performance.mean()) / performance.std()
        poverty_z = (poverty[candidates] - poverty[candidates].mean()) / poverty[candidates].std()
        need = (
            -model.selection_weight_performance * performance_z
            + model.selection_weight_poverty * poverty_z
            + rng.normal(0.0, model.selection_noise_sd, size=len(candidates))
        )
        order = np.argsort(-need, kind="stable")[:size]
        school = candidates[order]
        intensity = model.reference_minutes_per_teacher * rng.lognormal(
            0.0, model.intensity_log_sd, size=size
        )
        heterogeneity = rng.normal(0.0, model.effect_heterogeneity_sd, size=size)
        long_run = (
            model.effect_by_event_time[-1]
            + heterogeneity
            + model.dose_slope * np.log(intensity / model.reference_minutes_per_teacher)
        )
        leaves = rng.random(size) < model.exit_share
        exit_year = rng.integers(model.exit_years[0], model.exit_years[1] + 1, size=size)
        last_year = np.where(leaves, np.maximum(exit_year, year + 2), 0)
        taken = sum(len(c.school) for c in self.cohorts)
        cohort = Cohort(
            year=year,
            school=school,
            partner_id=np.array(
                [f"IP{n:04d}" for n in self._partner_numbers[taken : taken + size]]
            ),
            last_year=last_year,
            intensity=intensity,
            heterogeneity=heterogeneity,
            long_run_effect=long_run,
            need=need[order],
        )
        self.cohorts.append(cohort)
        return cohort

    def school_effect(self, cohort: Cohort, year: int) -> np.ndarray:
        """Latent effect (before subject multipliers) of each cohort school in spring ``year``."""
        steps = np.array(self.model.effect_by_event_time, dtype=float)
        # A program without a long-run effect (the null state) has no ramp to scale by it.
        ramp = steps / steps[-1] if steps[-1] != 0 else np.ones(len(steps))
        last = np.where(cohort.last_year > 0, cohort.last_year, np.iinfo(np.int64).max)
        effective_year = np.minimum(year, last)
        event_time = effective_year - cohort.year
        if event_time.max(initial=-1) < 0:
            return np.zeros(len(cohort.school))
        effect = cohort.long_run_effect * ramp[np.clip(event_time, 0, len(ramp) - 1)]
        faded = self.model.fade_after_exit ** np.maximum(year - last, 0)
        return np.where(event_time >= 0, effect * faded, 0.0)

    def effects(self, year: int) -> np.ndarray:
        """Latent effect (school, subject) in spring ``year`` for every school in the state."""
        multipliers = dict(self.model.subject_multipliers)
        result = np.zeros((self._n_schools, len(SUBJECTS)))
        for cohort in self.cohorts:
            effect = self.school_effect(cohort, year)
            for j, subject in enumerate(SUBJECTS):
                result[cohort.school, j] = effect * multipliers[subject]
        return result
