"""Growing effects on the synthetic state: who recovers them, why TWFE does not.

The data are the project's own generator output (the ``demo`` state, seed 2012) run through
the whole nightly pipeline; the estimators read the published ``school_panel`` mart, and the
generator's truth file (moved out of the data folder, never read by the pipeline) says what
they should find. The true effect grows with exposure: about 1/3, 2/3 and then all of a
school's long-run effect in its first, second and later partnered years.

Why ``demo`` and ``math``: the ``small`` state has 4 + 6 partnered schools, too few to resolve
anything; ``demo`` has the program's real 13 + 20 (standard errors depend on the treated
schools, so ``state`` would not be more precise and takes longer). Science's effect is half
the size and is not resolved on this state (and imputation's 95% interval misses its truth);
ELA behaves like math.

Design, and why each sample:

- **Callaway–Sant'Anna, Sun–Abraham, imputation on the whole panel**, with the pipeline's
  own ``selection`` covariates (each cohort's prior achievement and poverty; conditioning on
  how schools were chosen removes their bounce-back, see ``tests/test_report_pipeline_demo``).
  Restricting them to partnered schools would identify almost nothing: after 2013 no school
  is not yet treated, so only the 2012 cohort's first year has a comparison.
- **TWFE and the Bacon decomposition on the partnered schools only** (the 2012 and 2013
  cohorts). With ~200 never-partnered schools, "treated vs never treated" comparisons carry
  99% of the full-sample TWFE weight and TWFE is nearly unbiased there (checked below). Among
  partnered schools the textbook problem is all there is: TWFE uses the 2012 cohort, whose
  effect is still growing, as the control for the 2013 cohort.
- **TWFE's bias is shown on its estimand, not only on one noisy estimate.** The TWFE
  coefficient is linear in the outcome with weights that, on a balanced panel, depend only on
  cohort and year; so running it on a panel holding each school-year's true effect (the truth
  file's cohort × year mean) gives exactly the effect part of what TWFE estimates on the data.
  That is necessary: among 33 schools TWFE's own standard error is ~0.056 SD, as large as the
  effect, so the single estimate on the data (0.035 against a truth of 0.084) cannot by
  itself reject the truth. The data-level assertions on TWFE and Bacon are therefore the
  decomposition identity and the direction of the gap, not a significance claim.

Tolerances come from each estimate's own standard error: overall 95% intervals must contain
the truth and exclude zero (so an estimator that finds nothing fails); event times 0-3 (the
growth, then the plateau) must each lie within 3 SE of the truth and jointly not reject the
true path at 1%, while jointly rejecting "no effect" at 5%. Growth itself (event time 2-3
against 0) is not asserted: its standard error (~0.035) is about half the true growth, so
one state cannot resolve it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipelines.did import aggte, att_gt, bacon_decomposition, did_imputation, sun_abraham, twfe
from pipelines.estimates.covariates import year_interactions
from pipelines.estimates.panel import subject_panels
from pipelines.estimates.specification import load_analysis
from tests.test_report_pipeline import shared_run
from tests.test_report_pipeline_demo import true_overall_effect

pytestmark = pytest.mark.slow  # one demo pipeline run (~45 s), then ~1 s of estimation

SUBJECT = "math"
EVENT_TIMES = [0, 1, 2, 3]  # the ramp (1/3, 2/3, 1) and the first plateau year
ID, TIME, GROUP, OUTCOME = "school_id", "school_year", "cohort", "mean_z"
ROBUST = ("callaway_santanna", "sun_abraham", "imputation")
LATER_VS_EARLIER = "later vs earlier treated"


@dataclass(frozen=True)
class SyntheticState:
    panel: pd.DataFrame  # the published school_panel mart, every subject
    truth: dict


@dataclass(frozen=True)
class RobustEstimate:
    overall: float
    overall_se: float
    overall_ci: tuple[float, float]
    event: np.ndarray  # effects at EVENT_TIMES
    event_vcov: np.ndarray


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> SyntheticState:
    run = shared_run(tmp_path_factory, "demo", 2012)
    assert run.result.success
    marts = (run.data / "marts").resolve()  # one published version, fixed while we read
    return SyntheticState(
        pd.read_parquet(marts / "school_panel.parquet"), json.loads(run.truth.read_text())
    )


def true_att_by_event_time(truth: dict, subject: str) -> pd.Series:
    """Mean true effect per event time, cohorts weighted by size (as all three estimators do)."""
    att = pd.DataFrame(truth["att"])
    att = att[att["subject"] == subject]
    sizes = pd.DataFrame(truth["partnered_schools"]).groupby("cohort").size()
    att = att.assign(size=att["cohort"].map(sizes))
    att = att.assign(weighted=att["att_school_mean"] * att["size"])
    sums = att.groupby("event_time")[["weighted", "size"]].sum()
    return sums["weighted"] / sums["size"]


def with_true_effect(panel: pd.DataFrame, truth: dict, subject: str) -> pd.DataFrame:
    """``panel`` plus ``effect``: its cohort's true mean effect that year (0 if never partnered),
    and ``partnered``, the 0/1 treatment the Bacon decomposition takes."""
    att = pd.DataFrame(truth["att"])
    att = att[att["subject"] == subject].rename(columns={"year": TIME})
    frame = panel.merge(att[[GROUP, TIME, "att_school_mean"]], on=[GROUP, TIME], how="left")
    treated = (frame[GROUP] > 0) & (frame[TIME] >= frame[GROUP])
    return frame.assign(
        effect=frame["att_school_mean"].fillna(0.0), partnered=treated.astype(int)
    ).drop(columns="att_school_mean")


def _event_block(
    coef: pd.Series, vcov: pd.DataFrame, terms: dict[int, str]
) -> tuple[np.ndarray, np.ndarray]:
    """The estimates at EVENT_TIMES and their covariance, from a regression result."""
    names = [terms[e] for e in EVENT_TIMES]
    return coef[names].to_numpy(), vcov.loc[names, names].to_numpy()


@pytest.fixture(scope="module")
def robust(state: SyntheticState) -> dict[str, RobustEstimate]:
    """The three heterogeneity-robust estimators, as the pipeline specifies them."""
    panels = {p.subject: p for p in subject_panels(state.panel, load_analysis())}
    frame, covariates, dropped = panels[SUBJECT].sample("selection")
    assert dropped == 0  # no school lacks a selection covariate: all 33 partnered are estimated

    results = {}
    cs = att_gt(
        frame,
        OUTCOME,
        TIME,
        ID,
        GROUP,
        xformla=covariates,
        control_group="nevertreated",
        est_method="reg",
        base_period="universal",
    )
    simple, dynamic = aggte(cs, type="simple"), aggte(cs, type="dynamic")
    index = [list(dynamic.event_times).index(e) for e in EVENT_TIMES]
    # aggte's vcov is R's large-sample one; its reported SEs are the small-sample ones. Keep the
    # correlations and use the reported SEs, so the joint test matches the intervals.
    large = dynamic.vcov[np.ix_(index, index)]
    scale = dynamic.se[index] / np.sqrt(np.diag(large))
    results["callaway_santanna"] = RobustEstimate(
        simple.overall_att,
        simple.overall_se,
        simple.overall_ci,
        dynamic.att[index],
        large * np.outer(scale, scale),
    )

    # With school effects a school-level covariate drops out: the pipeline lets each shift
    # every year's mean instead (conditional parallel trends, the regression way).
    data, terms = year_interactions(frame, covariates)
    for name, fit in (
        ("sun_abraham", sun_abraham(data, OUTCOME, TIME, ID, GROUP, xformla=terms)),
        ("imputation", did_imputation(data, OUTCOME, TIME, ID, GROUP, xformla=terms)),
    ):
        event, vcov = _event_block(
            fit.coef, fit.vcov, dict(zip(fit.event_times, fit.event_terms, strict=True))
        )
        results[name] = RobustEstimate(fit.overall_att, fit.overall_se, fit.overall_ci, event, vcov)
    return results


def _twfe(frame: pd.DataFrame, outcome: str) -> pd.Series:
    return twfe(frame, outcome, TIME, ID, GROUP).to_frame().iloc[0]


@pytest.fixture(scope="module")
def partnered(state: SyntheticState) -> pd.DataFrame:
    """The partnered schools' rows of SUBJECT, with their true effects."""
    rows = state.panel[(state.panel["subject"] == SUBJECT) & (state.panel[GROUP] > 0)]
    return with_true_effect(rows[[ID, TIME, GROUP, OUTCOME]], state.truth, SUBJECT)


@pytest.mark.parametrize("name", ROBUST)
def test_robust_estimators_recover_the_true_overall_effect(
    state: SyntheticState, robust: dict[str, RobustEstimate], partnered: pd.DataFrame, name: str
) -> None:
    truth = true_overall_effect(state.truth)[SUBJECT]
    twfe_estimand = _twfe(partnered, "effect")["estimate"]
    fit = robust[name]
    lower, upper = fit.overall_ci
    print(
        f"{name}: {fit.overall:.4f} (SE {fit.overall_se:.4f}, 95% CI {lower:.4f} to "
        f"{upper:.4f}); truth {truth:.4f}; TWFE's estimand among partnered {twfe_estimand:.4f}"
    )
    assert lower < truth < upper
    assert lower > 0  # the effect is detected, not just "not contradicted"
    # Closer to the truth than to what TWFE estimates among the partnered schools.
    assert abs(fit.overall - truth) < abs(fit.overall - twfe_estimand)


@pytest.mark.parametrize("name", ROBUST)
def test_robust_event_studies_follow_the_true_path(
    state: SyntheticState, robust: dict[str, RobustEstimate], name: str
) -> None:
    truth = true_att_by_event_time(state.truth, SUBJECT).loc[EVENT_TIMES].to_numpy()
    fit = robust[name]
    se = np.sqrt(np.diag(fit.event_vcov))
    for e, estimate, s, true in zip(EVENT_TIMES, fit.event, se, truth, strict=True):
        print(f"{name} e={e}: {estimate:.4f} (SE {s:.4f}), truth {true:.4f}")
        assert abs(estimate - true) < 3 * s

    def wald_p(target: np.ndarray) -> float:
        gap = fit.event - target
        statistic = float(gap @ np.linalg.solve(fit.event_vcov, gap))
        return float(stats.chi2.sf(statistic, len(gap)))

    p_truth, p_zero = wald_p(truth), wald_p(np.zeros_like(truth))
    print(f"{name}: joint p against the true path {p_truth:.3f}, against zero {p_zero:.4f}")
    assert p_truth > 0.01
    assert p_zero < 0.05


def test_twfe_among_partnered_schools_estimates_a_fraction_of_the_effect(
    state: SyntheticState, partnered: pd.DataFrame
) -> None:
    truth = true_overall_effect(state.truth)[SUBJECT]
    rows = state.panel[state.panel["subject"] == SUBJECT][[ID, TIME, GROUP, OUTCOME]]
    full = with_true_effect(rows, state.truth, SUBJECT)
    estimand_partnered = _twfe(partnered, "effect")["estimate"]
    estimand_full = _twfe(full, "effect")["estimate"]
    on_data = _twfe(partnered, OUTCOME)
    print(
        f"truth {truth:.4f}; TWFE estimand: partnered only {estimand_partnered:.4f}, "
        f"with never-partnered schools {estimand_full:.4f}; TWFE on the data, partnered only "
        f"{on_data['estimate']:.4f} (SE {on_data['se']:.4f})"
    )
    # Exact, no sampling noise: among partnered schools TWFE targets a third of the effect...
    assert estimand_partnered < 0.5 * truth
    # ...while never-partnered comparisons leave it almost unbiased: the problem is the
    # already-treated controls, not TWFE as such.
    assert abs(estimand_full - truth) < 0.05 * truth
    # The data's estimate: below the truth, as its estimand; not significantly (see the
    # module docstring), since TWFE's SE among 33 schools is about the size of the effect.
    assert on_data["estimate"] < truth


def test_bacon_decomposition_shows_already_treated_controls_absorb_the_growth(
    state: SyntheticState, partnered: pd.DataFrame
) -> None:
    truth = true_overall_effect(state.truth)[SUBJECT]
    # On the true effects: the 2x2 of the 2013 cohort against the 2012 cohort (from 2012 on)
    # is the 2013 cohort's effect minus the 2012 cohort's growth since 2012.
    on_truth = bacon_decomposition(partnered, "effect", TIME, ID, "partnered")
    comparisons = on_truth.to_frame()
    later = comparisons[comparisons["type"] == LATER_VS_EARLIER].iloc[0]
    effect = partnered.groupby([GROUP, TIME])["effect"].mean()
    late_cohort, early_cohort = int(later["treated_group"]), int(later["control_group"])
    own = effect[late_cohort][lambda s: s.index >= late_cohort].mean()
    early = effect[early_cohort]
    control_growth = early[early.index >= late_cohort].mean() - early[early_cohort]
    print(comparisons.to_string())
    print(f"2013 cohort's own effect {own:.4f}, the 2012 cohort's growth {control_growth:.4f}")
    assert later["estimate"] == pytest.approx(own - control_growth, abs=1e-10)
    assert control_growth > 0.5 * own  # the growth that is subtracted is most of the effect
    assert later["weight"] > 0.5 and later["estimate"] < 0.5 * truth
    assert on_truth.decomposed_twfe == pytest.approx(on_truth.twfe, abs=1e-8)

    # On the data: the same decomposition, and it adds up to the TWFE coefficient.
    on_data = bacon_decomposition(partnered, OUTCOME, TIME, ID, "partnered")
    by_type = on_data.by_type().set_index("type")
    print(on_data.by_type().to_string())
    print(f"TWFE {on_data.twfe:.6f}, sum of weight × 2x2 {on_data.decomposed_twfe:.6f}")
    assert on_data.decomposed_twfe == pytest.approx(on_data.twfe, abs=1e-8)
    assert on_data.twfe == pytest.approx(_twfe(partnered, OUTCOME)["estimate"], abs=1e-8)
    assert by_type.loc[LATER_VS_EARLIER, "weight"] > 0.5
    assert by_type.loc[LATER_VS_EARLIER, "estimate"] < truth


@pytest.fixture(scope="module")
def published_exit(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pipeline's estimates_exit and treatment mart on the demo state (the shared run)."""
    run = shared_run(tmp_path_factory, "demo", 2012)
    return (
        pd.read_parquet(run.data / "estimates" / "estimates_exit.parquet"),
        pd.read_parquet((run.data / "marts").resolve() / "treatment.parquet"),
    )


def test_exit_aware_effects_match_the_truth(
    state: SyntheticState, published_exit: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """Effects by years partnered and after leaving, against the generator's own split.

    The generator fades a leaver's effect by half a year after it leaves; the truth file's
    ``att_by_partnering`` holds the mean true effect of each group of school-years. The
    published rows are the library's ``exit_effects`` on the headline sample (checked first),
    whose t degrees of freedom the table does not carry: rows after leaving rest on 2 to 8
    schools. Each row's t statistic against its truth must be unremarkable (family-wise 1%,
    Bonferroni over the rows), and the in-program rows (8 to 33 schools each) must jointly not
    reject the truth at 1%.
    """
    from pipelines.did import exit_effects
    from pipelines.estimates.exit import with_last_year

    published, treatment = published_exit
    panels = {p.subject: p for p in subject_panels(state.panel, load_analysis())}
    covariate_set = load_analysis().headline_specification.covariates
    frame, _, _ = panels[SUBJECT].sample(covariate_set)
    by_cohort = panels[SUBJECT].adjustments[covariate_set].xformla  # each cohort's own
    ours = exit_effects(
        with_last_year(frame, treatment), OUTCOME, TIME, ID, GROUP, "last_year", xformla=by_cohort
    ).to_frame()
    rows = published[published["subject"] == SUBJECT].reset_index(drop=True)
    np.testing.assert_allclose(rows["att"], ours["att"], rtol=0, atol=1e-12)
    assert set(ours["analysis"]) == {"years_partnered", "years_since_exit"}
    leavers = treatment[(treatment[GROUP] > 0) & treatment["last_year"].notna()]
    assert len(leavers) == 8  # of the 33 partnered schools

    truth = pd.DataFrame(state.truth["att_by_partnering"])
    truth = truth[truth["subject"] == SUBJECT].set_index(["analysis", "key"])["att"]
    ours = ours.set_index(["analysis", "key"])
    ours = ours[ours["se"].notna()].assign(truth=truth.reindex(ours.index))
    assert ours["truth"].notna().all()
    t = (ours["att"] - ours["truth"]) / ours["se"]
    p_values = 2 * stats.t.sf(t.abs(), ours["df"])
    print(
        ours.assign(t=t, p=p_values)[
            ["att", "truth", "se", "df", "n_schools", "t", "p"]
        ].to_string()
    )
    assert p_values.min() > 0.01 / len(ours)
    inside = t.loc["years_partnered"]
    assert stats.chi2.sf(float((inside**2).sum()), len(inside)) > 0.01
