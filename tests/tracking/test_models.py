"""A fitted estimator logged as an MLflow model: it loads back, serves predict_proba through
pyfunc on float32 and float64 DataFrames, ships nnfs_lab's code, and leaks no global state."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from nnfs_lab import tracking

mlflow = pytest.importorskip("mlflow")


def _logged(tmp_cwd: Path, model, X, **kw):
    uri = tracking.resolve_tracking_uri(None)
    client = tracking.get_client(uri)
    assert "MLFLOW_TRACKING_URI" not in os.environ  # get_client sets no global state
    run = client.create_run(tracking.ensure_experiment(client, "m", uri))
    info = tracking.log_model(uri, run.info.run_id, model, X[:3], **kw)
    assert "MLFLOW_TRACKING_URI" not in os.environ  # restored after the fluent call
    return uri, client, run, info


def test_log_model_round_trip_and_restores_the_global_uri(tmp_cwd: Path):
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(0).normal(size=(20, 2))
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        uri, _, _, info = _logged(tmp_cwd, model, X, predict_fn="predict", ship_code=False)
    assert not [w for w in seen if "feature names" in str(w.message)]  # no noise in a sweep
    mlflow.set_tracking_uri(uri)
    try:
        loaded = mlflow.pyfunc.load_model(info.model_uri)
    finally:
        mlflow.set_tracking_uri(None)
    np.testing.assert_array_equal(loaded.predict(tracking.feature_frame(X)), model.predict(X))
    assert tracking.requirement("numpy") == f"numpy=={np.__version__}"


def test_nnfs_model_serves_probabilities_with_its_params(tmp_cwd: Path):
    from nnfs_lab.estimators import NNFSClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    model = NNFSClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0)
    model.fit(X, (X[:, 0] > 0).astype(int))
    params = tracking.canonical_params("nnfs", {"learning_rate": 0.01, "hidden_layer_sizes": (8,)})
    uri, client, run, info = _logged(tmp_cwd, model, X, name="m-nnfs-best", params=params)
    logged = client.get_logged_model(info.model_id)
    assert logged.name == "m-nnfs-best" and logged.params["hidden_layers"] == "8"
    assert logged.source_run_id == run.info.run_id and "lr" in logged.params
    mlflow.set_tracking_uri(uri)
    try:
        served = mlflow.pyfunc.load_model(info.model_uri)
        local = mlflow.artifacts.download_artifacts(info.model_uri)
    finally:
        mlflow.set_tracking_uri(None)
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a served DataFrame raises no "X has feature names"
        proba = served.predict(tracking.feature_frame(X32))
    np.testing.assert_array_equal(proba, model.predict_proba(X32.astype(np.float64)))
    assert served.metadata.get_input_schema().input_names() == ["x0", "x1", "x2"]
    reqs = (Path(local) / "requirements.txt").read_text()
    assert "nnfs_lab" not in reqs and "scikit-learn==" in reqs  # the code ships instead:
    assert (Path(local) / "code" / "nnfs_lab" / "estimators" / "classifier.py").exists()
    run_outputs = client.get_run(run.info.run_id).outputs.model_outputs
    assert [o.model_id for o in run_outputs] == [info.model_id]
