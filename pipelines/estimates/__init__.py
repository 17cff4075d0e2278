"""Estimates of the program's effect from the published marts, as configured in
``pipelines/analysis.yaml``.

Plain modules do the work (``specification`` reads the settings, ``covariates`` and ``panel``
build each subject's sample, ``callaway``, ``regressions``, ``robustness`` and ``dose`` map
specifications to ``pipelines.did`` calls and results to frames, ``run`` runs them all); the
Dagster assets in ``assets`` only read the marts, call ``run.estimate_all`` and publish.
"""
