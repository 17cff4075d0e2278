"""What the estimates' Dagster metadata highlights: headline effects, failed and not-estimable
steps."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def highlights(name: str, tables: Mapping[str, pd.DataFrame], headline: str) -> dict[str, object]:
    """Headline effects on the comparison table, failed steps on the status table."""
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
        subjects = failed.groupby(["specification", "step"], sort=True)["subject"]
        # Expected refusals (no overlap, too few units) are their own status, not failures.
        refused = status[status["status"] == "not_estimable"]
        refused_subjects = refused.groupby(["specification", "step"], sort=True)["subject"]
        return {
            "not_estimable_steps": len(refused),
            "not_estimable_in": "; ".join(
                f"{specification} {step} ({', '.join(sorted(names))})"
                for (specification, step), names in refused_subjects
            ),
            "failed_steps": len(failed),
            # Which steps, so a nightly summary tells a known refusal from a new failure.
            "failed_in": "; ".join(
                f"{specification} {step} ({', '.join(sorted(names))})"
                for (specification, step), names in subjects
            ),
            "failures": "\n".join(
                f"{r.specification} / {r.subject} / {r.step}: {r.message[:200]}"
                for r in failed.itertuples(index=False)
            ),
        }
    return {}
