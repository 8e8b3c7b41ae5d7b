"""Logging a fitted estimator (or pipeline) as an MLflow model that ``mlflow.pyfunc`` serves."""

from __future__ import annotations

import logging
import os
from typing import Any

__all__ = ["log_model", "requirement"]


def log_model(
    tracking_uri: str, run_id: str, model: Any, X_example: Any, *, name: str = "model"
) -> str:
    """Log a fitted estimator (or pipeline) on ``run_id`` so ``mlflow.pyfunc`` can serve it.

    cloudpickle, because the default skops format rejects classes it does not trust (ours);
    explicit ``pip_requirements`` because dependency inference costs seconds per model.

    Returns
    -------
    str
        The model URI (``models:/<id>``).
    """
    import mlflow
    from mlflow.models import infer_signature

    requirements = [requirement(pkg) for pkg in ("numpy", "scikit-learn", "cloudpickle")]
    requirements.append("nnfs_lab")  # the estimator classes are pickled by reference
    signature = infer_signature(X_example, model.predict(X_example))
    # The fluent API logs models; point it at our store for this call only. MLflow mirrors its
    # global URI into $MLFLOW_TRACKING_URI, so restoring that variable restores both.
    previous_uri = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(tracking_uri)
    # cloudpickle is a deliberate choice (see above): silence the warning logged on every save.
    sk_logger = logging.getLogger("mlflow.sklearn")
    level = sk_logger.level
    sk_logger.setLevel(logging.ERROR)
    try:
        with mlflow.start_run(run_id=run_id):
            info = mlflow.sklearn.log_model(
                model,
                name=name,
                pip_requirements=requirements,
                serialization_format="cloudpickle",
                signature=signature,
            )
    finally:
        sk_logger.setLevel(level)
        mlflow.set_tracking_uri(previous_uri)
    # Leaving the with-block marks the run FINISHED; callers that keep it open set it back.
    return info.model_uri


def requirement(dist: str) -> str:
    """``dist==version`` of an installed distribution (just ``dist`` when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{dist}=={version(dist)}"
    except PackageNotFoundError:  # pragma: no cover
        return dist
