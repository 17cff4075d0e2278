"""partner-impact: did the Instructional Partners program raise student achievement?

Subpackages: ``sample`` (synthetic state generator), ``did`` (pure statistics library),
and the Dagster code location in ``definitions``.
"""

__version__ = "0.1.0"
