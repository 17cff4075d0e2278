"""The marts layer: staged warehouse tables -> analysis-ready marts, published as Parquet."""
