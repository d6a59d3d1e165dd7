# Two commands for a fresh machine: `make demo` (set up, run the default scenario) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean

demo: $(STAMP)
	$(BIN)/critical-mass run scenarios/ancash.yaml

test: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/mypy sim
	$(BIN)/python -m pytest -n auto --durations=10

# speed and memory figures for docs/performance.md (minutes; not part of the tests)
bench: $(STAMP)
	$(BIN)/python benchmarks/engine_scaling.py
	$(BIN)/python benchmarks/run_phases.py scenarios/london.yaml
	$(BIN)/python benchmarks/run_phases.py scenarios/national.yaml
	$(BIN)/python benchmarks/sweep_throughput.py

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/mypy sim

$(STAMP): pyproject.toml scripts/find-python
	@PY=$$(PYTHON="$(PYTHON)" ./scripts/find-python) || exit 1; \
	  echo "Using $$PY ($$($$PY --version))"; \
	  [ -x $(BIN)/python ] || $$PY -m venv $(VENV) || exit 1
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
