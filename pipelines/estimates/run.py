"""Run the whole analysis on the published marts and return the estimate tables.

Every step (a specification, a robustness check, a dose estimate on one subject) either adds
rows or records why it could not: ``estimates_status`` has one row per step with ``ok``,
``warning`` (with the estimator's warnings), ``not_estimable`` (an expected refusal, said in
words: some cells have no overlap; the rest is published) or ``failed`` (with its error); only
``failed`` is a failure of the night. Estimators refuse data they cannot use (too few schools,
a singular design) with a ``ValueError``;
any other error of one step is recorded with its type, so one estimator's edge case does not
stop the others. Failures are never silent: they are in the table and in the asset's metadata,
and the tests require no failure on the synthetic samples except the documented ones.
"""

from __future__ import annotations

import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from pipelines.estimates import callaway, dose, exit, power, regressions, robustness, subgroups
from pipelines.estimates.covariates import GROUP, ID
from pipelines.estimates.describe import method_text
from pipelines.estimates.panel import SubjectPanel, subject_panels
from pipelines.estimates.specification import Analysis
from pipelines.estimates.tables import assemble

NOT_ESTIMABLE = "not_estimable"
"""Status of a step refused for an expected reason (no overlap), with the reason in words."""

# Specification names of the steps that are not specifications.
BACON, BALANCE, DOSE_RESPONSE = "robustness.bacon", "robustness.balance", "dose.response"


@dataclass
class _Collector:
    parts: dict[str, list[pd.DataFrame]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, frame: pd.DataFrame, specification: str, subject: str) -> None:
        frame = frame.copy()
        frame.insert(0, "subject", subject)
        frame.insert(0, "specification", specification)
        self.parts[table].append(frame)

    def attempt(self, specification: str, subject: str, step: str, work: Callable[[], object]):
        """Run ``work``; record its outcome; return its value, or None if it failed."""
        started = time.perf_counter()
        value, status, message = None, "ok", ""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = work()
            except ValueError as error:
                status, message = "failed", str(error)
            except Exception as error:  # an estimator's edge case must not stop the others
                status, message = "failed", f"{type(error).__name__}: {error}"
        refusal = getattr(value, "not_estimable", "")
        if status == "ok" and refusal:
            status, message = NOT_ESTIMABLE, refusal
        elif status == "ok" and caught:
            status = "warning"
            message = "; ".join(dict.fromkeys(str(w.message) for w in caught))
        status_row = {
            "step": step,
            "status": status,
            "message": message[:2000],
            "seconds": round(time.perf_counter() - started, 3),
        }
        self.add("estimates_status", pd.DataFrame([status_row]), specification, subject)
        return value


def estimate_all(
    school_panel: pd.DataFrame,
    partnering_dose: pd.DataFrame,
    analysis: Analysis,
    treatment: pd.DataFrame | None = None,
    school_subgroups: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Every estimate table of ``analysis`` (see :mod:`pipelines.estimates.tables`).

    ``treatment`` (the mart: ``school_id``, ``last_year``) gives the years schools left the
    program, for the exit-aware analysis; without it no school is taken to have left. The
    subgroup tables need the ``school_subgroups`` mart.
    """
    collector = _Collector()
    if treatment is None:
        treatment = pd.DataFrame({ID: pd.Series(dtype="int64"), exit.LAST: pd.Series(dtype=float)})
    panels = subject_panels(school_panel, analysis)
    for subject in sorted(set(analysis.subjects) - {panel.subject for panel in panels}):
        collector.attempt(
            analysis.headline, subject, "estimate", lambda subject=subject: _no_rows(subject)
        )
    for panel in panels:
        fits = _specifications(collector, panel, analysis)
        _detectable(collector, panel, analysis, fits)
        _exit(collector, panel, analysis, treatment)
        _robustness(collector, panel, analysis, fits)
        _dose(collector, panel, partnering_dose, analysis)
        if analysis.subgroups is not None and school_subgroups is not None:
            _subgroups(collector, panel, school_subgroups, analysis)
    return assemble(collector.parts)


def _subgroups(
    collector: _Collector, panel: SubjectPanel, school_subgroups: pd.DataFrame, analysis: Analysis
) -> None:
    """Effects by subgroup: one step per subject. Subgroups too small to estimate are expected
    and said in their cell's ``note``, not as steps of their own."""
    name, subject = analysis.subgroups.specification, panel.subject
    tables = collector.attempt(
        name,
        subject,
        "subgroups",
        lambda: subgroups.estimate_subject(panel, school_subgroups, analysis),
    )
    if tables is not None:
        collector.add("estimates_subgroups", tables.cells, name, subject)
        collector.add("estimates_subgroup_differences", tables.differences, name, subject)
        collector.add("estimates_subgroup_tests", tables.tests, name, subject)


def _no_rows(subject: str) -> None:
    raise ValueError(f"the school_panel mart has no rows for subject {subject!r}")


def _specifications(collector: _Collector, panel: SubjectPanel, analysis: Analysis) -> dict:
    fits = {}
    for name, spec in analysis.specifications.items():
        frame, _, dropped = panel.sample(spec.covariates)
        adjustment = panel.adjustments[spec.covariates]

        def work(spec=spec, frame=frame, adjustment=adjustment):
            if spec.is_callaway_santanna:
                return callaway.estimate_callaway(
                    frame, panel.outcome, adjustment.xformla, spec, analysis
                )
            return regressions.estimate_regression(
                frame, panel.outcome, adjustment.regression_columns, spec, analysis
            )

        fit = collector.attempt(name, panel.subject, "estimate", work)
        if fit is None:
            continue
        fits[name] = fit
        if spec.is_callaway_santanna:
            collector.add("estimates_attgt", fit.attgt, name, panel.subject)
            collector.add(
                "estimates_aggregate",
                fit.aggregate.assign(estimand=exit.ESTIMAND),
                name,
                panel.subject,
            )
            collector.add("estimates_pretrend", fit.pretrend, name, panel.subject)
            collector.add("estimates_overlap", fit.overlap, name, panel.subject)
            dropped += fit.n_set_aside
            if fit.not_estimable:
                # Its aggregates leave cohorts out: no overall effect beside the others.
                continue
        if not fit.event_study.empty:
            collector.add(
                "estimates_event_study",
                fit.event_study.assign(estimator=spec.label),
                name,
                panel.subject,
            )
        if fit.overall is not None:
            row = pd.DataFrame([fit.overall]).assign(
                estimator=spec.label,
                method=method_text(spec, analysis),
                n_schools_dropped=dropped,
                estimand=exit.ESTIMAND,
            )
            collector.add("estimates_comparison", row, name, panel.subject)
    return fits


def _detectable(collector: _Collector, panel: SubjectPanel, analysis: Analysis, fits) -> None:
    """The headline's minimum detectable effect (80% power, two-sided ``alpha``)."""
    fit = fits.get(analysis.headline)
    if fit is None or fit.not_estimable:
        return
    row = collector.attempt(
        analysis.headline,
        panel.subject,
        "mde",
        lambda: power.mde_row(fit.overall, analysis.alpha),
    )
    if row is not None:
        collector.add("estimates_mde", row, analysis.headline, panel.subject)


def _exit(
    collector: _Collector, panel: SubjectPanel, analysis: Analysis, treatment: pd.DataFrame
) -> None:
    """Effects by years partnered and after leaving, with the headline's covariates."""
    spec = analysis.headline_specification
    sample, _, _ = panel.sample(spec.covariates)
    # Each cohort adjusted for its own pre-treatment covariates, as the headline is.
    covariates = panel.adjustments[spec.covariates].xformla
    frame = collector.attempt(
        spec.name,
        panel.subject,
        "exit",
        lambda: exit.exit_analysis(
            exit.with_last_year(sample, treatment), panel.outcome, covariates
        ),
    )
    if frame is not None:
        collector.add("estimates_exit", frame, spec.name, panel.subject)


def _robustness(collector: _Collector, panel: SubjectPanel, analysis: Analysis, fits) -> None:
    subject, outcome = panel.subject, panel.outcome
    if analysis.bacon:
        bacon = collector.attempt(
            BACON, subject, "bacon", lambda: robustness.bacon_by_type(panel.frame, outcome)
        )
        if bacon is not None:
            collector.add("estimates_bacon", bacon, BACON, subject)
    honest = analysis.honest_did
    if honest is not None and honest.specification in fits:
        result = fits[honest.specification].result
        frame = collector.attempt(
            honest.specification,
            subject,
            "honest_did",
            lambda: robustness.honest_sensitivity(result, honest, analysis.alpha),
        )
        if frame is not None:
            collector.add("estimates_honest_did", frame, honest.specification, subject)
    randomization = analysis.randomization
    if randomization is not None:
        spec = analysis.specifications[randomization.specification]
        sample, _, _ = panel.sample(spec.covariates)
        covariates = panel.adjustments[spec.covariates].xformla
        frame = collector.attempt(
            spec.name,
            subject,
            "randomization",
            lambda: robustness.randomization_test(
                sample, outcome, covariates, spec, randomization, analysis
            ),
        )
        if frame is not None:
            collector.add("estimates_randomization", frame, spec.name, subject)
    if analysis.balance_variables:
        balance = collector.attempt(
            BALANCE,
            subject,
            "balance",
            lambda: robustness.baseline_balance(panel.frame, outcome, analysis.balance_variables),
        )
        if balance is not None:
            collector.add("estimates_balance", balance, BALANCE, subject)


def _dose(
    collector: _Collector, panel: SubjectPanel, partnering_dose: pd.DataFrame, analysis: Analysis
) -> None:
    settings = analysis.dose
    if settings is None:
        return
    subject, outcome = panel.subject, panel.outcome
    cohorts = panel.frame.groupby(ID)[GROUP].first()
    doses = collector.attempt(
        settings.specification,
        subject,
        "dose",
        lambda: dose.first_year_dose(partnering_dose, cohorts[cohorts > 0], settings.measure),
    )
    if doses is None:
        return
    spec = analysis.specifications[settings.specification]
    sample, _, _ = panel.sample(spec.covariates)
    covariates = panel.adjustments[spec.covariates].xformla
    groups = collector.attempt(
        spec.name,
        subject,
        "dose_groups",
        lambda: dose.dose_groups(
            sample,
            outcome,
            covariates,
            doses,
            spec,
            settings,
            analysis,
            panel.students_before(),
        ),
    )
    if groups is not None:
        collector.add("estimates_dose_groups", groups, spec.name, subject)
    curve = collector.attempt(
        DOSE_RESPONSE,
        subject,
        "dose_response",
        lambda: dose.dose_response_curve(panel.frame, outcome, doses, settings, analysis),
    )
    if curve is not None:
        collector.add("estimates_dose_response", curve, DOSE_RESPONSE, subject)
