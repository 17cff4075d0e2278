"""The impact report in the pipeline: published marts and estimates -> ``ReportInputs`` ->
``data/reports/impact_report.html`` (rendered by :mod:`pipelines.report.render`)."""
