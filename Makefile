# Every target that runs code depends on the virtual environment, so a fresh clone needs only
# `make test` or `make sweep`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MLFLOW_DISABLE_TELEMETRY := true
export MPLBACKEND := Agg

CONFIG ?= experiments/spiral.toml experiments/moons.toml experiments/breast_cancer.toml
TRIALS ?=
WORKERS ?= 2
TIMEOUT ?=
PYTEST_ARGS ?=

.PHONY: install test test-e2e test-all lint format sweep ui report bench gallery clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The fast suite (under ~2 minutes on 2 cores); whole sweeps in subprocesses are test-e2e.
test: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not e2e" $(PYTEST_ARGS)

# End-to-end sweeps: resume, workers, determinism, faults (CI runs these too).
test-e2e: $(STAMP)
	$(PY) -m pytest -q -m "e2e and not slow" $(PYTEST_ARGS)

test-all: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check nnfs_lab tests scripts
	$(PY) -m ruff format --check nnfs_lab tests scripts

format: $(STAMP)
	$(PY) -m ruff format nnfs_lab tests scripts
	$(PY) -m ruff check --fix nnfs_lab tests scripts

# Sweeps of the default experiments (or CONFIG=...), TRIALS per model family, WORKERS processes.
# Rerunning resumes up to the budget; mlflow.db, mlruns/ and optuna-journal.log hold the state.
sweep: $(STAMP)
	$(PY) -m nnfs_lab sweep $(CONFIG) --workers $(WORKERS) \
		$(if $(TRIALS),--trials $(TRIALS)) $(if $(TIMEOUT),--timeout $(TIMEOUT))

# Validate experiment files (CONFIG=...) without running anything.
check: $(STAMP)
	$(PY) -m nnfs_lab check $(CONFIG)

# optuna-dashboard on the studies `make sweep` writes (journal beside mlflow.db) with the trial
# learning curves the summary attaches, at http://127.0.0.1:8080. Installs the optional extra.
JOURNAL ?= optuna-journal.log
dashboard: $(STAMP)
	$(PY) -c "import optuna_dashboard" 2>/dev/null || $(PY) -m pip install --quiet -e ".[dashboard]"
	$(VENV)/bin/optuna-dashboard $(JOURNAL) --artifact-dir optuna-artifacts --host 127.0.0.1 --port 8080

# The MLflow UI on the store `make sweep` writes (Ctrl-C stops it): http://127.0.0.1:5000.
# `--app-name nnfs-lab` (nnfs_lab/tracking/ui_app.py) makes a new browser open the training runs;
# MLflow 3.17 alone starts in its GenAI mode (a browser-wide toggle, not the experiment's tag).
ui: $(STAMP)
	$(PY) -m mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000 \
		--app-name nnfs-lab

# Rebuild every experiment's comparison from the tracking store alone.
report: $(STAMP)
	$(PY) -m nnfs_lab report

gallery: $(STAMP)
	$(PY) scripts/gallery.py

# Peers timed side by side, interleaved; prints the table, writes bench-results/*.json.
# BENCH_ARGS="--threads 2" forces threads, "--quick" only checks that it runs.
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) -m nnfs_lab.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
