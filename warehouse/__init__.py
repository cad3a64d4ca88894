"""The DuckDB side: model runner, data checks, atomic publish, and report rendering."""
