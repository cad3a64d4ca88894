# dvc766 — the two commands that matter are `make demo` and `make test`; both set themselves up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: install lock test test-all lint demo bench bench-quick reliability clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve the pinned dependency set (runtime + dev) after editing pyproject.toml.
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

# The whole suite but the minutes-long reliability sets (those: make test-all, make reliability).
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not ondemand"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

demo: $(STAMP)
	$(BIN)/python -m dvc766.demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick

# The full reliability set (fault matrix on every endpoint, crash trials); CI runs a reduced one.
reliability: $(STAMP)
	$(BIN)/python -m benchmarks.reliability

clean:
	rm -rf $(VENV) .prefect .pytest_cache .ruff_cache
