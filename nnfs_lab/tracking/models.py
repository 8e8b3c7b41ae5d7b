"""Logging a fitted estimator (or pipeline) as an MLflow model that ``mlflow.pyfunc`` serves.

What a logged model carries (MLflow 3.17): a column-named signature (``x0``, ``x1``, ... as
doubles; MLflow's schema enforcement upcasts float32 columns), an input example, pyfunc
serving ``predict_proba`` (the class probabilities, one column per class), the chosen
hyperparameters as the logged model's params, and an environment that installs anywhere:
nnfs_lab is on no package registry, so its source ships inside the model (``code_paths``) and
``requirements.txt`` pins only numpy, scikit-learn and cloudpickle (MLflow adds itself).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nnfs_lab.tracking.store import global_tracking_uri

__all__ = [
    "accepting_frames",
    "feature_frame",
    "feature_names",
    "log_model",
    "package_dir",
    "requirement",
]


def feature_names(n_features: int) -> list[str]:
    """Column names of a model's inputs: ``x0``, ``x1``, ..."""
    return [f"x{i}" for i in range(n_features)]


def feature_frame(X: Any):
    """``X`` (2-D array) as a DataFrame with :func:`feature_names` columns, its dtype kept."""
    import numpy as np
    import pandas as pd

    X = np.asarray(X)
    return pd.DataFrame(X, columns=feature_names(X.shape[1]))


def package_dir() -> Path:
    """The nnfs_lab package folder, shipped with a model as ``code_paths``."""
    return Path(__file__).resolve().parents[1]


def log_model(
    tracking_uri: str,
    run_id: str,
    model: Any,
    X_example: Any,
    *,
    name: str = "model",
    params: Mapping[str, Any] | None = None,
    predict_fn: str = "predict_proba",
    ship_code: bool = True,
) -> Any:
    """Log a fitted estimator (or pipeline) on ``run_id`` so ``mlflow.pyfunc`` can serve it.

    Parameters
    ----------
    tracking_uri, run_id : str
        Where to log.
    model : estimator
        Fitted; pickled with cloudpickle (the default skops format rejects classes it does
        not trust, ours).
    X_example : array-like (n, d)
        A few input rows: the input example and, with the model's output on them, the
        signature (columns ``x0``... as doubles).
    name : str
        The logged model's name (e.g. ``spiral-nnfs-best``).
    params : mapping, optional
        The logged model's parameters (the chosen hyperparameters).
    predict_fn : str
        The method pyfunc (and ``mlflow models serve``) calls.
    ship_code : bool
        Ship the nnfs_lab package inside the model (``code_paths``); needed whenever the
        model references nnfs_lab classes, which no registry can install.

    Returns
    -------
    mlflow.models.model.ModelInfo
        ``model_uri`` (``models:/<model_id>``) and ``model_id`` among others.
    """
    import mlflow
    from mlflow.entities import LoggedModelOutput
    from mlflow.models import infer_signature

    model = accepting_frames(model)
    example = feature_frame(X_example).astype("float64")
    requirements = [requirement(pkg) for pkg in ("numpy", "scikit-learn", "cloudpickle")]
    signature = infer_signature(example, getattr(model, predict_fn)(example.to_numpy()))
    client = mlflow.MlflowClient(tracking_uri)
    # Created first, then filled: logging inside the run would copy the run's params (the
    # search space...) and its step-0 metrics onto the model; its params are the chosen ones.
    logged = client.create_logged_model(
        client.get_run(run_id).info.experiment_id, name=name, source_run_id=run_id,
        params={k: _param_value(v) for k, v in (params or {}).items()} or None,
    )  # fmt: skip
    # cloudpickle is a deliberate choice (see above): silence the warning logged on every save.
    sk_logger = logging.getLogger("mlflow.sklearn")
    level = sk_logger.level
    sk_logger.setLevel(logging.ERROR)
    try:
        with global_tracking_uri(tracking_uri):  # the fluent API saves models
            info = mlflow.sklearn.log_model(
                model,
                name=name,
                model_id=logged.model_id,
                pip_requirements=requirements,
                serialization_format="cloudpickle",
                signature=signature,
                input_example=example,
                pyfunc_predict_fn=predict_fn,
                code_paths=[str(package_dir())] if ship_code else None,
            )
    finally:
        sk_logger.setLevel(level)
    client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step=0)])
    return info


def accepting_frames(model: Any) -> Any:
    """``model`` behind a first step that turns a DataFrame into its array.

    pyfunc and ``mlflow models serve`` hand the model a DataFrame (columns ``x0``...), while
    the sweep fitted it on arrays: scikit-learn would warn "X has feature names" on every
    request. The step is stateless; arrays pass through unchanged.
    """
    import numpy as np
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    return Pipeline([("to_array", FunctionTransformer(np.asarray)), ("model", model)])


def _param_value(v: Any) -> str:
    if isinstance(v, (tuple, list)):
        return "x".join(map(str, v))
    return str(v)


def requirement(dist: str) -> str:
    """``dist==version`` of an installed distribution (just ``dist`` when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{dist}=={version(dist)}"
    except PackageNotFoundError:  # pragma: no cover
        return dist
