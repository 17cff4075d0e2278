"""The estimates on a simulated school panel: the right numbers reach the right tables.

The panel (``simulated_school_panel``) has the product's design: each cohort chosen on a noisy
mix of its recent ELA and math scores and its poverty, so chosen schools rebound without any
program (regression to the mean), and a known effect. Every table row is checked against a
direct call of the ``pipelines.did`` API with the same arguments.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml

from pipelines.did import aggte, att_gt, sun_abraham, twfe
from pipelines.estimates.callaway import estimate_callaway
from pipelines.estimates.covariates import year_interactions
from pipelines.estimates.panel import subject_panels
from pipelines.estimates.run import BACON, BALANCE, DOSE_RESPONSE, estimate_all
from pipelines.estimates.specification import default_analysis_text, load_analysis, parse_analysis
from pipelines.estimates.tables import COLUMNS

EFFECT = 0.10
YEARS = tuple(range(2008, 2017))
SUBJECTS = ("ela", "math")

pytestmark = pytest.mark.filterwarnings("ignore:some groups have very few observations")


def simulated_school_panel(n_schools: int, cohort_sizes: dict[int, int], seed: int) -> pd.DataFrame:
    """The ``school_panel`` columns the estimates use; true effect ``EFFECT`` once partnered."""
    rng = np.random.default_rng(seed)
    poverty = rng.uniform(0.2, 0.9, n_schools)
    level = -0.6 * (poverty - 0.55) + rng.normal(0, 0.3, n_schools)
    years = np.array(YEARS)
    # Transient school-year shocks, shared across subjects in part: what selection picks up.
    shared = rng.normal(0, 0.25, (n_schools, len(years), 1))
    scores = level[:, None, None] + shared + rng.normal(0, 0.15, (n_schools, len(years), 2))
    frl = np.clip(poverty[:, None] + rng.normal(0, 0.02, (n_schools, len(years))), 0, 1)
    cohort = np.zeros(n_schools, dtype=int)
    for g, size in sorted(cohort_sizes.items()):
        window = (years >= g - 3) & (years < g)
        prior = scores[:, window, :].mean(axis=(1, 2))
        need = -_standardized(prior) + 0.6 * _standardized(frl[:, years == g - 1][:, 0])
        need = need + rng.normal(0, 0.5, n_schools)
        need[cohort > 0] = -np.inf
        cohort[np.argsort(-need)[:size]] = g
    rows = []
    for j, subject in enumerate(SUBJECTS):
        for t, year in enumerate(years):
            rows.append(
                pd.DataFrame(
                    {
                        "school_id": np.arange(n_schools) + 10000,
                        "subject": subject,
                        "school_year": year,
                        "n_tested": rng.integers(40, 120, n_schools),
                        "mean_z": scores[:, t, j] + EFFECT * ((cohort > 0) & (year >= cohort)),
                        "frl_share": frl[:, t],
                        "enrollment": 300,
                        "cohort": cohort,
                    }
                )
            )
    panel = pd.concat(rows, ignore_index=True)
    before = panel[panel["school_year"] < min(cohort_sizes)]
    pre_mean = before.groupby(["school_id", "subject"])["mean_z"].mean().rename("pre_mean_z")
    return panel.merge(pre_mean.reset_index(), on=["school_id", "subject"])


def _standardized(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def simulated_dose(panel: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``partnering_dose`` rows: minutes per teacher in each partnered school-year."""
    rng = np.random.default_rng(seed)
    schools = panel.drop_duplicates("school_id")
    partnered = schools[schools["cohort"] > 0]
    rows = [
        {"school_id": row.school_id, "school_year": year, "partnered": True,
         "minutes_per_teacher": float(rng.lognormal(np.log(600), 0.4))}
        for row in partnered.itertuples(index=False)
        for year in YEARS
        if year >= row.cohort
    ]  # fmt: skip
    return pd.DataFrame(rows)


def quick_analysis():
    """The packaged analysis with fewer bootstrap draws and permutations (same estimators)."""
    document = yaml.safe_load(default_analysis_text())
    document["subjects"] = list(SUBJECTS)
    for spec in document["specifications"].values():
        if "bootstrap_draws" in spec:
            spec["bootstrap_draws"] = 199
    document["robustness"]["randomization"]["permutations"] = 39
    document["dose"]["response_draws"] = 99
    return parse_analysis(yaml.safe_dump(document))


def simulated_school_subgroups(panel: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A ``school_subgroups`` mart: each school-year's students split by gender."""
    rng = np.random.default_rng(seed)
    frames = []
    for subgroup, share in (("female", 0.5), ("male", 0.5)):
        frames.append(
            panel[["school_id", "subject", "school_year"]].assign(
                dimension="gender",
                subgroup=subgroup,
                n_tested=(panel["n_tested"] * share).round().astype(int),
                mean_z=panel["mean_z"] + rng.normal(0, 0.05, len(panel)),
            )
        )
    return pd.concat(frames, ignore_index=True)


def simulated_treatment(panel: pd.DataFrame) -> pd.DataFrame:
    """The ``treatment`` mart's ``last_year``: every third partnered school leaves in 2015."""
    schools = panel.drop_duplicates("school_id")[["school_id", "cohort"]].reset_index(drop=True)
    partnered = schools.index[schools["cohort"] > 0]
    last = pd.Series(pd.NA, index=schools.index, dtype="Int64")
    last[partnered[::3]] = 2015
    return schools.assign(last_year=last)


@pytest.fixture(scope="module")
def estimated():
    panel = simulated_school_panel(300, {2012: 15, 2013: 20}, seed=3)
    analysis = quick_analysis()
    tables = estimate_all(
        panel,
        simulated_dose(panel, seed=3),
        analysis,
        treatment=simulated_treatment(panel),
        school_subgroups=simulated_school_subgroups(panel, seed=3),
    )
    return panel, analysis, tables


def test_headline_estimand_is_intent_to_treat(estimated) -> None:
    _, _, tables = estimated
    for table in ("estimates_aggregate", "estimates_comparison"):
        assert set(tables[table]["estimand"]) == {"intent_to_treat"}, table


def test_exit_rows_equal_a_direct_exit_effects_call(estimated) -> None:
    from pipelines.did import exit_effects

    panel, analysis, tables = estimated
    spec = analysis.headline_specification
    data = subject_panels(panel, analysis)[0]
    frame, _, _ = data.sample(spec.covariates)
    # Each cohort adjusted for its own pre-treatment covariates only (issue 11, item 1).
    by_cohort = data.adjustments[spec.covariates].xformla
    assert isinstance(by_cohort, dict) and len(by_cohort) > 1
    last = simulated_treatment(panel).set_index("school_id")["last_year"]
    frame = frame.assign(last_year=frame["school_id"].map(last).fillna(0).astype(float))
    direct = exit_effects(
        frame, "mean_z", "school_year", "school_id", "cohort", "last_year", xformla=by_cohort
    ).to_frame()
    exit_rows = tables["estimates_exit"]
    rows = exit_rows[exit_rows["subject"] == data.subject].reset_index(drop=True)
    assert set(rows["specification"]) == {analysis.headline}
    assert set(rows["analysis"]) == {"years_partnered", "years_since_exit"}
    np.testing.assert_allclose(rows["att"], direct["att"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(rows["se"], direct["se"], rtol=0, atol=1e-12)
    assert list(rows["key"]) == list(direct["key"])


def test_randomization_is_studentized_and_states_its_resolution(estimated) -> None:
    _, analysis, tables = estimated
    table = tables["estimates_randomization"]
    assert set(table["statistic"]) == {"studentized"}
    floor = 1 / (analysis.randomization.permutations + 1)
    np.testing.assert_allclose(table["p_value_floor"], floor)
    assert (table["p_value"] >= floor).all()


def test_every_table_has_its_declared_columns_and_names_its_specification(estimated) -> None:
    _, analysis, tables = estimated
    assert set(tables) == set(COLUMNS)
    names = set(analysis.specifications) | {BACON, BALANCE, DOSE_RESPONSE}
    for table, frame in tables.items():
        assert list(frame.columns) == list(COLUMNS[table])
        if table != "estimates_provenance":
            assert not frame.empty, table
            assert set(frame["specification"]) <= names, table
            assert set(frame["subject"]) == set(SUBJECTS), table


def test_every_step_ran_and_the_doubly_robust_refusal_is_not_estimable_not_failed(
    estimated,
) -> None:
    _, analysis, tables = estimated
    status = tables["estimates_status"]
    # MDE, exit, Bacon, HonestDiD, randomization, balance, dose, dose groups, dose response,
    # subgroups.
    steps_per_subject = len(analysis.specifications) + 10
    assert len(status) == steps_per_subject * len(SUBJECTS)
    assert not (status["status"] == "failed").any(), status[status["status"] == "failed"]
    refused = status[status["status"] == "not_estimable"]
    assert set(refused["specification"]) == {"cs_doubly_robust"}
    assert (
        refused["message"]
        .str.match(
            r"cohort 2012: \d+ of 15 partnered schools have no comparable comparison school "
            r"\(fitted propensity >= 0\.999\); those cells are not estimable\. Aggregates cover "
            r"the cells that could be estimated \(cohorts 2013;"
        )
        .all()
    )
    # Its cells are published (the refused ones missing); no overall effect beside the others.
    attgt = tables["estimates_attgt"]
    dr = attgt[attgt["specification"] == "cs_doubly_robust"]
    assert dr.loc[dr["group"] == 2012, "att"].isna().any()
    assert dr.loc[dr["group"] == 2013, "att"].notna().all()
    comparison = tables["estimates_comparison"]
    assert not comparison["specification"].isin(refused["specification"]).any()
    # R's na.rm: the aggregates cover the cohort that could be estimated.
    groups = tables["estimates_aggregate"]
    groups = groups[(groups["specification"] == "cs_doubly_robust") & groups["key"].notna()]
    assert set(groups.loc[groups["aggregation"] == "group", "key"]) == {2013}


def test_common_support_sets_aside_the_schools_outside_support_and_counts_them(estimated) -> None:
    _, _, tables = estimated
    overlap = tables["estimates_overlap"].set_index(["specification", "subject", "cohort"])
    refused = overlap.loc[("cs_doubly_robust", "ela", 2012)]
    trimmed = overlap.loc[("cs_doubly_robust_common_support", "ela", 2012)]
    assert refused["n_outside_support"] == trimmed["n_outside_support"] > 0
    assert trimmed["n_treated"] == 15 and "0.999" in trimmed["rule"]
    comparison = tables["estimates_comparison"].set_index(["specification", "subject"])
    row = comparison.loc[("cs_doubly_robust_common_support", "ela")]
    assert row["n_schools_dropped"] == trimmed["n_outside_support"]
    assert row["n_treated_schools"] == 35 - trimmed["n_outside_support"]
    assert "set aside" in row["method"]


def test_mde_is_the_headline_se_times_the_noncentral_t_multiplier(estimated) -> None:
    from scipy import stats

    _, analysis, tables = estimated
    mde = tables["estimates_mde"].set_index("subject")
    comparison = tables["estimates_comparison"].set_index(["specification", "subject"])
    assert set(tables["estimates_mde"]["specification"]) == {analysis.headline}
    for subject in SUBJECTS:
        row = mde.loc[subject]
        headline = comparison.loc[(analysis.headline, subject)]
        assert row["se"] == headline["se"] and (row["alpha"], row["power"]) == (0.05, 0.8)
        # Power of the two-sided t test at the MDE is 80% (noncentral t), and the MDE is
        # close to Bloom's (t_.975 + t_.80) * SE.
        critical = stats.t.ppf(0.975, row["df"])
        noncentrality = row["mde_sd"] / row["se"]
        power = stats.nct.sf(critical, row["df"], noncentrality) + stats.nct.cdf(
            -critical, row["df"], noncentrality
        )
        assert power == pytest.approx(0.8, abs=1e-5)
        bloom = (critical + stats.t.ppf(0.8, row["df"])) * row["se"]
        assert row["mde_sd"] == pytest.approx(bloom, rel=2e-3)
        assert row["mde_percentile_points"] == pytest.approx(
            100 * stats.norm.cdf(row["mde_sd"]) - 50
        )
        assert row["n_treated_schools"] == headline["n_treated_schools"] == 35
        assert "statsmodels" in row["method"]


def test_headline_rows_equal_a_direct_att_gt_and_aggte_call(estimated) -> None:
    panel, analysis, tables = estimated
    spec = analysis.headline_specification
    data = subject_panels(panel, analysis)[0]
    frame, covariates, _ = data.sample(spec.covariates)
    assert covariates == ["prior_z_2012", "prior_z_2013", "prior_frl_2012", "prior_frl_2013"]
    # Each cohort is adjusted for its own selection window only (no post-treatment covariate).
    by_cohort = {g: [f"prior_z_{g}", f"prior_frl_{g}"] for g in (2012, 2013)}
    options = {
        "control_group": "nevertreated", "est_method": "reg", "base_period": "universal",
        "bstrap": True, "biters": 199, "cband": True, "random_state": analysis.seed,
    }  # fmt: skip
    result = att_gt(
        frame, "mean_z", "school_year", "school_id", "cohort", xformla=by_cohort, **options
    )
    for g, columns in by_cohort.items():
        own = att_gt(
            frame, "mean_z", "school_year", "school_id", "cohort", xformla=columns, **options
        )
        np.testing.assert_allclose(
            result.att[result.group == g], own.att[own.group == g], rtol=0, atol=1e-12
        )
    simple = aggte(result, "simple", random_state=analysis.seed)
    dynamic = aggte(result, "dynamic", random_state=analysis.seed)

    def rows(table: str, **where) -> pd.DataFrame:
        frame = tables[table]
        keep = (frame["specification"] == spec.name) & (frame["subject"] == "ela")
        for column, value in where.items():
            keep &= frame[column] == value
        return frame[keep]

    overall = rows("estimates_aggregate", aggregation="simple")
    assert overall["att"].item() == simple.overall_att
    assert overall["ci_lower"].item() == simple.overall_ci[0]
    attgt = rows("estimates_attgt")
    np.testing.assert_array_equal(attgt["att"], result.att)
    np.testing.assert_array_equal(attgt["event_time"], result.time - result.group)
    events = rows("estimates_event_study").set_index("event_time")
    expected = dynamic.to_frame().set_index("event_time").drop(index=-1)
    np.testing.assert_array_equal(events.index, expected.index)
    np.testing.assert_allclose(events["ci_upper"], expected["ci_upper"], rtol=0, atol=0)
    assert (events["interval"] == "uniform").all() and (events["reference_period"] == -1).all()
    pretrend = rows("estimates_pretrend")
    assert pretrend["p_value"].item() == result.pretest_pvalue
    comparison = rows("estimates_comparison")
    assert comparison["att"].item() == simple.overall_att
    assert comparison["n_treated_schools"].item() == 35
    assert "prior achievement" in comparison["method"].item()


def test_regression_estimators_use_covariate_by_year_terms(estimated) -> None:
    panel, analysis, tables = estimated
    data = subject_panels(panel, analysis)[1]
    frame, _, _ = data.sample("selection")
    # The earliest cohort's window ends before any school was partnered: pre-treatment for all.
    covariates = data.adjustments["selection"].regression_columns
    assert covariates == ["prior_z_2012", "prior_frl_2012"]
    with_terms, terms = year_interactions(frame, covariates)
    assert len(terms) == len(covariates) * (len(YEARS) - 1)
    static = twfe(with_terms, "mean_z", "school_year", "school_id", "cohort", xformla=terms)
    sa = sun_abraham(with_terms, "mean_z", "school_year", "school_id", "cohort", xformla=terms)
    comparison = tables["estimates_comparison"].set_index(["specification", "subject"])
    assert comparison.loc[("twfe", "math"), "att"] == static.coef["treat_post"]
    assert comparison.loc[("sun_abraham", "math"), "att"] == sa.overall_att
    events = tables["estimates_event_study"]
    sa_events = events[(events["specification"] == "sun_abraham") & (events["subject"] == "math")]
    np.testing.assert_array_equal(sa_events["att"], sa.coef[sa.event_terms])


def test_dose_groups_count_their_schools_and_students(estimated) -> None:
    panel, _, tables = estimated
    groups = tables["estimates_dose_groups"]
    ela = groups[groups["subject"] == "ela"]
    assert list(ela["dose_group"]) == ["low", "middle", "high"]
    assert ela["n_schools"].sum() == 35
    before = panel[(panel["subject"] == "ela") & (panel["school_year"] == panel["cohort"] - 1)]
    assert ela["n_students"].sum() == before["n_tested"].sum()


def test_a_specification_that_cannot_be_estimated_is_recorded_not_raised(estimated) -> None:
    panel, analysis, _ = estimated
    broken = dataclasses.replace(
        analysis.specifications["cs_unadjusted"], name="cs_without_comparisons"
    )
    # Without never-partnered schools a never-partnered comparison is impossible.
    partnered_only = panel[panel["cohort"] > 0]
    few = dataclasses.replace(
        analysis,
        specifications={"cs_without_comparisons": broken},
        headline="cs_without_comparisons",
        honest_did=None,
        randomization=None,
        dose=None,
        bacon=False,
        balance_variables=(),
    )
    tables = estimate_all(partnered_only, simulated_dose(panel, seed=3), few)
    status = tables["estimates_status"]
    # The specification and the exit analysis of the headline, in each subject.
    assert list(status["step"]) == ["estimate", "exit", "estimate", "exit"]
    assert list(status["status"]) == ["failed"] * 4
    assert status["message"].str.contains("never-treated").all()
    assert tables["estimates_comparison"].empty


def test_selection_covariates_remove_the_bounce_back_that_biases_the_unadjusted_estimate() -> None:
    panel = simulated_school_panel(1500, {2012: 60, 2013: 60}, seed=4)
    analysis = load_analysis()
    data = subject_panels(panel, analysis)[0]
    fits = {}
    for name in ("cs_adjusted_never", "cs_unadjusted"):
        spec = analysis.specifications[name]
        frame, _, dropped = data.sample(spec.covariates)
        assert dropped == 0
        covariates = data.adjustments[spec.covariates].xformla
        fits[name] = estimate_callaway(frame, "mean_z", covariates, spec, analysis)
    adjusted, unadjusted = fits["cs_adjusted_never"], fits["cs_unadjusted"]
    assert abs(adjusted.overall["att"] - EFFECT) < 2 * adjusted.overall["se"]
    assert adjusted.overall["ci_lower"] < EFFECT < adjusted.overall["ci_upper"]
    assert unadjusted.overall["att"] - EFFECT > 3 * unadjusted.overall["se"]
    assert unadjusted.pretrend["p_value"].item() < 0.01 < adjusted.pretrend["p_value"].item()


def test_a_subject_without_rows_is_recorded_as_failed() -> None:
    panel = simulated_school_panel(120, {2012: 6, 2013: 8}, seed=5)
    analysis = dataclasses.replace(quick_analysis(), subjects=("ela", "science"))
    tables = estimate_all(panel[panel["subject"] == "ela"], simulated_dose(panel, seed=5), analysis)
    status = tables["estimates_status"]
    science = status[status["subject"] == "science"]
    assert list(science["status"]) == ["failed"]
    assert "no rows for subject 'science'" in science["message"].item()
    assert set(tables["estimates_comparison"]["subject"]) == {"ela"}


def test_a_specification_with_no_estimable_cohort_publishes_its_cells_only() -> None:
    """Every cohort outside support: the refusal is said in words and nothing is aggregated."""
    panel = simulated_school_panel(200, {2012: 8, 2013: 10}, seed=5)
    analysis = load_analysis()
    spec = analysis.specifications["cs_doubly_robust"]
    frame = subject_panels(panel, analysis)[0].frame
    rng = np.random.default_rng(5)
    schools = frame["school_id"].unique()
    noise = pd.Series(rng.normal(0, 1, len(schools)), index=schools)
    frame = frame.assign(separating=frame["school_id"].map(noise) + 8.0 * (frame["cohort"] > 0))
    fit = estimate_callaway(
        frame, "mean_z", {2012: ["separating"], 2013: ["separating"]}, spec, analysis
    )
    assert fit.overall is None and fit.aggregate.empty and fit.event_study.empty
    assert fit.attgt.loc[fit.attgt["event_time"] >= 0, "att"].isna().all()
    assert fit.not_estimable.startswith("cohort 2012: 8 of 8 partnered schools")
    assert "cohort 2013: 10 of 10" in fit.not_estimable
    assert fit.not_estimable.endswith("No cohort has an estimable effect: nothing is aggregated")
    assert list(fit.overlap["n_outside_support"]) == [8, 10]
