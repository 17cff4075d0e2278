"""What the estimates' Dagster metadata highlights: headline effects and failed steps."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def highlights(name: str, tables: Mapping[str, pd.DataFrame], headline: str) -> dict[str, object]:
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


def _steps_text(status: pd.DataFrame) -> str:
    """``specification step (subjects)`` per step, e.g. ``cs_doubly_robust estimate (ela)``."""
    subjects = status.groupby(["specification", "step"], sort=True)["subject"]
    return "; ".join(
        f"{specification} {step} ({', '.join(sorted(names))})"
        for (specification, step), names in subjects
    )
