# Everything runs in a virtual environment of its own; a fresh machine needs only Python 3.11 and pip.
PYTHON ?= python3
VENV ?= .venv
# The default development and CI environment: the newest orchestrator-core 5.x.
ORCHESTRATOR ?= orchestrator-core==5.5.0

BIN := $(abspath $(VENV))/bin
# orchestrator-core's `db revision` runs `python main.py db heads` and ruff through PATH.
RUN := PATH="$(BIN):$$PATH"

.PHONY: venv test demo lint bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' '$(ORCHESTRATOR)'
	touch $@

test: venv
	$(RUN) $(BIN)/python -m pytest $(PYTEST_ARGS)

demo: venv
	$(RUN) $(BIN)/python scripts/demo.py

bench: venv
	$(RUN) $(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
