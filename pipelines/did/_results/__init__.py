"""How results are shown: text summaries and Plotly figures of group-time results and their
aggregations (`group_time`), and the coefficient tables, labels and figure shared by the
regression event studies (`event_study`)."""
