"""Dagster assets of the estimates layer: every estimate table, computed and published together.

One step reads the published marts, runs the analysis of ``pipelines/analysis.yaml`` and
publishes all tables at once (so they always come from the same data and settings); each table
is its own asset in the UI. When the marts' content, the analysis file and the code are
unchanged since the published estimates were built, the step keeps them (``rebuilt`` false).
"""

import time

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from pipelines.estimates.tables import TABLES

INPUT_MARTS: dict[str, tuple[str, ...]] = {
    "school_panel": ("school_id", "subject", "school_year"),
    "partnering_dose": ("school_id", "school_year"),
}
"""The marts the estimates read, with their keys (for the content fingerprint)."""

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
    import pandas as pd

    from pipelines.estimates.provenance import current_version, published_version
    from pipelines.estimates.publish import publish_estimates, read_estimates
    from pipelines.estimates.run import estimate_all
    from pipelines.estimates.specification import load_analysis
    from pipelines.settings import get_settings

    started = time.perf_counter()
    settings = get_settings()
    analysis = load_analysis()
    # The resolved folder is one fixed version of the marts (pandas opens a file twice).
    marts_dir = settings.marts_dir.resolve()
    marts = {name: pd.read_parquet(marts_dir / f"{name}.parquet") for name in INPUT_MARTS}
    version = current_version(
        {name: (marts[name], keys) for name, keys in INPUT_MARTS.items()}, analysis.sha256
    )
    directory = settings.estimates_dir
    rebuilt = published_version(directory, TABLES) != version
    if rebuilt:
        tables = estimate_all(marts["school_panel"], marts["partnering_dose"], analysis)
        tables["estimates_provenance"] = version.frame(
            analysis.headline, time.perf_counter() - started
        )
        publish_estimates(tables, directory)
        context.log.info(f"Published {len(tables)} estimate tables to {directory}")
    else:
        tables = read_estimates(directory, TABLES)
    seconds = round(time.perf_counter() - started, 3)
    for name in TABLES:
        metadata = {"rows": len(tables[name]), "rebuilt": rebuilt, "seconds": seconds}
        metadata.update(_highlights(name, tables, analysis.headline))
        yield MaterializeResult(asset_key=AssetKey(name), metadata=metadata)


def _highlights(name: str, tables: dict, headline: str) -> dict:
    """Headline effects on the comparison table, failed and refused steps on the status table.

    Only ``failed`` steps count as failures; ``not_estimable`` ones (expected refusals, such as
    no overlap) are listed apart so the nightly summary can name them without alarm.
    """
    if name == "estimates_comparison":
        rows = tables[name][tables[name]["specification"] == headline]
        return {
            f"headline_{row.subject}": f"{row.att:.3f} SD (95% CI {row.ci_lower:.3f} to "
            f"{row.ci_upper:.3f})"
            for row in rows.itertuples(index=False)
        }
    if name == "estimates_status":
        status = tables[name]
        failed = status[status["status"] == "failed"]
        refused = status[status["status"] == "not_estimable"]
        return {
            "failed_steps": len(failed),
            # Which steps, so a nightly summary tells a known refusal from a new failure.
            "failed_in": _steps_text(failed),
            "not_estimable_steps": len(refused),
            "not_estimable_in": _steps_text(refused),
            "failures": "\n".join(
                f"{r.specification} / {r.subject} / {r.step}: {r.message[:200]}"
                for r in failed.itertuples(index=False)
            ),
        }
    return {}


def _steps_text(status) -> str:
    """``specification step (subjects)`` per step, e.g. ``cs_doubly_robust estimate (ela)``."""
    subjects = status.groupby(["specification", "step"], sort=True)["subject"]
    return "; ".join(
        f"{specification} {step} ({', '.join(sorted(names))})"
        for (specification, step), names in subjects
    )


ESTIMATE_ASSETS = [estimates]
