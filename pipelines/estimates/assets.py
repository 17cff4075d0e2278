"""Dagster assets of the estimates layer: every estimate table, computed and published together.

One step reads the published marts, runs the analysis of ``pipelines/analysis.yaml`` and
publishes all tables at once (so they always come from the same data and settings); each table
is its own asset in the UI. When the marts' content, the analysis file and the code are
unchanged since the published estimates were built, the step keeps them (``rebuilt`` false).
"""

import time

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from pipelines.estimates.tables import TABLES

_DESCRIPTIONS = {
    "estimates_attgt": "ATT(g,t) of every Callaway & Sant'Anna specification by subject.",
    "estimates_aggregate": "Simple, dynamic, group and calendar aggregations of ATT(g,t).",
    "estimates_event_study": "Effect by years since partnering, for every event-study estimator.",
    "estimates_comparison": "Overall effect per estimator x subject: ATT, SE, CI, method.",
    "estimates_pretrend": "Joint pre-trend tests of the Callaway & Sant'Anna specifications.",
    "estimates_bacon": "Goodman-Bacon decomposition of the TWFE estimate by comparison type.",
    "estimates_honest_did": "HonestDiD intervals under limited violations of parallel trends.",
    "estimates_randomization": "Randomization-inference p-values (cohorts reassigned).",
    "estimates_balance": "WWC baseline equivalence of partnered and comparison schools.",
    "estimates_dose_groups": "Effect by partnering-dose group (descriptive: dose not randomized).",
    "estimates_dose_response": "Dose-response curve ATT(d|d) and its slope with bands.",
    "estimates_exit": "Effect by years actually partnered and after leaving the program.",
    "estimates_subgroups": "Effect by subgroup of students (prior achievement, poverty, English "
    "learners, disability, gender, race/ethnicity, grade band) with BH q-values; small cells "
    "suppressed.",
    "estimates_subgroup_differences": "Per pair of subgroups: the first's effect minus the "
    "second's (within schools where they share them).",
    "estimates_subgroup_tests": "Per dimension: test that the effect is equal across subgroups.",
    "estimates_overlap": "Partnered schools outside their comparisons' support, by cohort.",
    "estimates_mde": "Minimum detectable effect (80% power, 5% two-sided) of the headline.",
    "estimates_status": "Every estimation step: ok, warning, not_estimable or failed, and why.",
    "estimates_provenance": "Analysis file hash, input and code fingerprints, build time.",
}


@multi_asset(
    name="estimates",
    specs=[
        AssetSpec(
            name,
            group_name="estimates",
            deps=[AssetKey("published_marts")],
            kinds={"parquet"},
            description=_DESCRIPTIONS[name],
            # School-level estimates with small cells suppressed: fit for the report and beyond.
            tags={"confidentiality": "public"},
        )
        for name in TABLES
    ],
)
def estimates(context: AssetExecutionContext):
    from pipelines.estimates.highlights import highlights
    from pipelines.estimates.refresh import refresh_estimates
    from pipelines.estimates.specification import load_analysis
    from pipelines.settings import get_settings

    started = time.perf_counter()
    settings = get_settings()
    analysis = load_analysis()
    refreshed = refresh_estimates(settings, analysis)
    tables = refreshed.value
    if refreshed.rebuilt:
        context.log.info(f"Published {len(tables)} estimate tables to {settings.estimates_dir}")
    seconds = round(time.perf_counter() - started, 3)
    for name in TABLES:
        metadata = {"rows": len(tables[name]), "rebuilt": refreshed.rebuilt, "seconds": seconds}
        metadata.update(highlights(name, tables, analysis.headline))
        yield MaterializeResult(asset_key=AssetKey(name), metadata=metadata)


ESTIMATE_ASSETS = [estimates]
