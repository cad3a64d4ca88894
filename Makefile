# dvc766 — the two commands that matter are `make demo` and `make test`; both set themselves up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: install bytecode lock test test-all lint demo bench bench-quick reliability clean

install: $(STAMP)

# Bytecode is compiled at install (uv does not by default): where PYTHONDONTWRITEBYTECODE is set, as on
# these machines, every command would otherwise compile Prefect, pydantic and pyarrow from source —
# about half of a CLI command's start (benchmark 8).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps -e .
	touch $(STAMP)

# The project's own modules, compiled again when they change (cheap: only changed files are written).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 dvc766 flows warehouse replica deployments benchmarks tests >/dev/null

# Re-resolve the pinned dependency set (runtime + dev) after editing pyproject.toml.
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

# The whole suite but the minutes-long reliability sets (those: make test-all, make reliability).
test: $(STAMP) bytecode
	$(BIN)/python -m pytest -q -m "not ondemand"

test-all: $(STAMP) bytecode
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

demo: $(STAMP) bytecode
	$(BIN)/python -m dvc766.demo

bench: $(STAMP) bytecode
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP) bytecode
	$(BIN)/python -m benchmarks.run --quick

# The full reliability set (fault matrix on every endpoint, crash trials); CI runs a reduced one.
reliability: $(STAMP) bytecode
	$(BIN)/python -m benchmarks.reliability

clean:
	rm -rf $(VENV) .prefect .pytest_cache .ruff_cache
