# Every target that runs code depends on the virtual environment, so a fresh clone needs only
# `make test` or `make sweep`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MLFLOW_DISABLE_TELEMETRY := true
export MPLBACKEND := Agg

CONFIG ?= experiments/spiral.toml experiments/moons.toml
TRIALS ?=
WORKERS ?= 2
TIMEOUT ?=
PYTEST_ARGS ?=

.PHONY: install test test-all lint format sweep ui report bench gallery clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

test-all: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check nnfs_lab tests scripts
	$(PY) -m ruff format --check nnfs_lab tests scripts

format: $(STAMP)
	$(PY) -m ruff format nnfs_lab tests scripts
	$(PY) -m ruff check --fix nnfs_lab tests scripts

gallery: $(STAMP)
	$(PY) scripts/gallery.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
