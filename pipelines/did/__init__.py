"""Difference-in-differences estimators: a pure statistics library.

numpy, scipy, statsmodels and pandas only: no Dagster, no DuckDB. Analysts import it directly;
the pipeline's assets only wire it to the marts.
"""
