"""Extract and load: portal clients, the raw store, the normaliser to Parquet, and Prefect flows."""
