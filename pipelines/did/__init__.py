"""Difference-in-differences estimators: a pure statistics library.

numpy, scipy, statsmodels and pandas only: no Dagster, no DuckDB, no other `pipelines`
package. Analysts import it directly; the pipeline's assets only wire it to the marts.

Public surface (import from `pipelines.did`, or from the module named here):

- `attgt`: `att_gt`, Callaway & Sant'Anna (2021) group-time effects ATT(g,t);
- `aggte`: `aggte`, their aggregations (overall, event study, by cohort, by period);
- `twfe`: `twfe`, two-way fixed effects, static or event study;
- `sun_abraham`: `sun_abraham`, the interaction-weighted event study;
- `imputation`: `did_imputation`, Borusyak, Jaravel & Spiess (2024);
- `wild_bootstrap`: `wild_bootstrap`, wild cluster bootstrap for few clusters;
- `bacon`: `bacon_decomposition`, Goodman-Bacon (2021);
- `honest`: `honest_did`, `honest_did_from_result`, HonestDiD sensitivity analysis;
- `randomization`: `randomization_inference` for the aggregated ATT;
- `dose`: `att_by_dose_group`, `dose_response`;
- `balance`: `baseline_equivalence`; `effect_size`: Hedges' g and the improvement index (WWC).

Estimators return frozen result objects with `to_frame()` and `summary()`, and all but
`WildBootstrapResult` a Plotly `plot()`.

Private subpackages, grouped by role (not part of the API; names may change):

- `_group_time/`: Callaway & Sant'Anna internals: validation and reshaping (`prepare`,
  `design`), the (g,t) cells and comparison groups (`cells`), the 2x2 estimators
  (`drdid_panel`, `drdid_rc`) with their nuisance models (`nuisance`), batching (`estimate`);
- `_influence/`: inference from influence functions: analytic standard errors (`analytic`),
  the multiplier bootstrap (`multiplier`), pointwise and uniform intervals (`intervals`);
- `_regression/`: the fixed-effects engine (`fixed_effects`: absorbing, OLS, CRV1 as fixest),
  the regression event studies' input checks and two-way fit (`panel_input`), covariate
  formulas (`formula`);
- `_honest/`: HonestDiD internals (`arp`, `flci`, and `rng`, R-compatible draws);
- `_results/`: the result classes' shared bases and presentation: `base.Result` (the
  interface), `group_time` (`GroupTimeResult`, its table, summaries and figures),
  `event_study` (`EventStudyResult`, `ClusteredRegressionResult`, coefficient tables, figure).
"""

from pipelines.did.aggte import AggteResult as AggteResult
from pipelines.did.aggte import aggte as aggte
from pipelines.did.attgt import AttGtResult as AttGtResult
from pipelines.did.attgt import att_gt as att_gt
from pipelines.did.bacon import BaconResult as BaconResult
from pipelines.did.bacon import bacon_decomposition as bacon_decomposition
from pipelines.did.balance import BalanceResult as BalanceResult
from pipelines.did.balance import baseline_equivalence as baseline_equivalence
from pipelines.did.dose import DoseGroupResult as DoseGroupResult
from pipelines.did.dose import DoseResponseResult as DoseResponseResult
from pipelines.did.dose import att_by_dose_group as att_by_dose_group
from pipelines.did.dose import dose_response as dose_response
from pipelines.did.effect_size import classify_baseline_equivalence as classify_baseline_equivalence
from pipelines.did.effect_size import hedges_g as hedges_g
from pipelines.did.effect_size import hedges_g_from_att as hedges_g_from_att
from pipelines.did.effect_size import improvement_index as improvement_index
from pipelines.did.exit import ExitResult as ExitResult
from pipelines.did.exit import exit_effects as exit_effects
from pipelines.did.honest import EventStudyLike as EventStudyLike
from pipelines.did.honest import HonestDiDResult as HonestDiDResult
from pipelines.did.honest import honest_did as honest_did
from pipelines.did.honest import honest_did_from_result as honest_did_from_result
from pipelines.did.imputation import ImputationResult as ImputationResult
from pipelines.did.imputation import did_imputation as did_imputation
from pipelines.did.randomization import RandomizationResult as RandomizationResult
from pipelines.did.randomization import randomization_inference as randomization_inference
from pipelines.did.sun_abraham import SunAbrahamResult as SunAbrahamResult
from pipelines.did.sun_abraham import sun_abraham as sun_abraham
from pipelines.did.twfe import TwfeResult as TwfeResult
from pipelines.did.twfe import twfe as twfe
from pipelines.did.wild_bootstrap import WildBootstrapResult as WildBootstrapResult
from pipelines.did.wild_bootstrap import wild_bootstrap as wild_bootstrap
