"""Difference-in-differences estimators: a pure statistics library.

numpy, scipy, statsmodels and pandas only: no Dagster, no DuckDB. Analysts import it directly;
the pipeline's assets only wire it to the marts.
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
