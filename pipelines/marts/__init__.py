"""The marts layer: analysis-ready Parquet tables built from the warehouse's staging tables.

A regular package (not a namespace one) so that ``read_sql("pipelines.marts", ...)`` reads its
``sql/`` and ``checks/`` folders on Python 3.11, whose namespace-package resources take one path
part at a time.
"""
