"""Difference-in-differences estimators: a pure statistics library.

numpy, scipy, statsmodels and pandas only: no Dagster, no DuckDB. Analysts import it directly;
the pipeline's assets only wire it to the marts.
"""

from pipelines.did.aggte import AggteResult as AggteResult
from pipelines.did.aggte import aggte as aggte
from pipelines.did.attgt import AttGtResult as AttGtResult
from pipelines.did.attgt import att_gt as att_gt
