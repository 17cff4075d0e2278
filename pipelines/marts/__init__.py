"""The marts layer: analysis-ready tables built from the staging tables, then published."""
