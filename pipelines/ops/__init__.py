"""Running the pipeline as an operator does: the nightly run, its progress lines, the status
summary, and the schedule and sensor that start runs."""
