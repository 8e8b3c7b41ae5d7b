"""A fitted pipeline logged as an MLflow model: it loads back, and no global state leaks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from nnfs_lab import tracking

mlflow = pytest.importorskip("mlflow")


def test_log_model_round_trip_and_restores_the_global_uri(tmp_cwd: Path):
    from sklearn.linear_model import LogisticRegression

    uri = tracking.resolve_tracking_uri(None)
    client = tracking.get_client(uri)
    assert "MLFLOW_TRACKING_URI" not in os.environ  # get_client sets no global state
    run = client.create_run(tracking.ensure_experiment(client, "m", uri))
    X = np.random.default_rng(0).normal(size=(20, 2))
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    model_uri = tracking.log_model(uri, run.info.run_id, model, X[:3])
    assert "MLFLOW_TRACKING_URI" not in os.environ  # restored after the fluent call
    mlflow.set_tracking_uri(uri)
    try:
        loaded = mlflow.pyfunc.load_model(model_uri)
    finally:
        mlflow.set_tracking_uri(None)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert tracking.requirement("numpy") == f"numpy=={np.__version__}"
