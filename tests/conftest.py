"""Shared fixtures. Environment defaults are set at import, before any test imports mlflow."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["MPLBACKEND"] = "Agg"

REPO = Path(__file__).resolve().parents[1]

TINY_TOML = """
name = "{name}"
seed = 0
objective = "accuracy"
trial_plots = {plots}

[dataset]
name = "spiral"
params = {{ n_samples = 30, n_classes = 3 }}
scale = "none"

[split]
test_size = 0.25
validation = 0.25

[budget]
n_trials = {n_trials}
max_epochs = {max_epochs}

[evaluation]
repeats = 1
folds = 2

[pruner]
kind = "{pruner}"
n_startup_trials = 2
n_warmup_steps = 2

[models.nnfs]
enabled = {nnfs}
fixed = {{ batch_size = 16 }}

[models.nnfs.search]
hidden_layer_sizes = {{ choices = [[8], [16]] }}
learning_rate = {{ low = 1e-3, high = 5e-2, log = true }}
decay = {{ low = 1e-6, high = 1e-2, log = true, allow_zero = true }}
l2 = {{ low = 1e-6, high = 1e-2, log = true, allow_zero = true }}
dropout = {{ low = 0.0, high = 0.2 }}

[models.mlp]
enabled = {mlp}
fixed = {{ batch_size = 16 }}

[models.mlp.search]
hidden_layer_sizes = {{ choices = [[8], [16]] }}
learning_rate_init = {{ low = 1e-3, high = 5e-2, log = true }}
alpha = {{ low = 1e-6, high = 1e-2, log = true, allow_zero = true }}
"""


@pytest.fixture(scope="session")
def mlflow_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow sqlite store with its schema migrated, made once per session: creating
    one runs MLflow's migrations (1-10 s), which dozens of tests would otherwise each pay."""
    import mlflow

    db = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments(max_results=1)
    return db


@pytest.fixture
def tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request) -> Path:
    """Run the test inside ``tmp_path`` (MLflow DB, journal and artifacts land there).

    The default store ``./mlflow.db`` starts as a copy of an empty, migrated store, unless the
    test is marked ``no_store`` (it checks that nothing creates one).
    """
    import shutil

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    if request.node.get_closest_marker("no_store") is None:
        shutil.copyfile(request.getfixturevalue("mlflow_db_template"), tmp_path / "mlflow.db")
    return tmp_path


@pytest.fixture
def tiny_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a tiny sweep config (spiral, 90 points) and return its path."""

    def write(
        name: str = "tiny",
        *,
        n_trials: int = 4,
        max_epochs: int = 6,
        nnfs: bool = True,
        mlp: bool = True,
        pruner: str = "none",
        plots: bool = True,
    ) -> Path:
        text = TINY_TOML.format(
            name=name,
            n_trials=n_trials,
            max_epochs=max_epochs,
            nnfs=str(nnfs).lower(),
            mlp=str(mlp).lower(),
            pruner=pruner,
            plots=str(plots).lower(),
        )
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        return path

    return write


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """Environment for ``python -m nnfs_lab.cli`` subprocesses: the repo importable, no GUI."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


@pytest.fixture
def python() -> str:
    return sys.executable
