"""A faithful local replica of the portal's two APIs, for tests, benchmarks and the offline demo."""
