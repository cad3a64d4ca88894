"""dvc766: Vietnam's 766 public-service quality index, from portal to warehouse to monthly appendix.

Shared, dependency-light pieces live here (settings, periods, reference data, file access, CLI);
portal clients and Prefect flows live in ``flows``; the DuckDB side in ``warehouse``; the local
portal replica in ``replica``.
"""

__version__ = "0.1.0"
