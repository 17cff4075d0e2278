"""The synthetic state behind ``partner-impact sample``: realistic raw files plus their truth.

See ``docs/synthetic_state.md`` for the data model, the files and the ``--messy`` corruptions.
"""

from pipelines.sample.generate import SampleSummary, generate_sample

__all__ = ["SampleSummary", "generate_sample"]
