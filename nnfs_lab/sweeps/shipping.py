"""The shipped model on MLflow: the data it saw, the model itself, its registered version.

The parent run records the experiment's splits as dataset inputs (with digests, identical for
every family), logs the refit model under ``<study>-best`` with the chosen hyperparameters as
its params and the held-out evaluation as its metrics (linked by ``model_id``), and registers it
under the experiment's name.
"""

from __future__ import annotations

import json
import math
from typing import Any

from nnfs_lab import tracking
from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.data import SplitData
from nnfs_lab.sweeps.families import get_family

__all__ = ["ship_model", "split_datasets"]


def _headline(scores) -> list[tuple[str, float, int]]:
    """Single values of the outer evaluation (step 0): means and standard deviations."""
    ok = scores[scores["status"] == "COMPLETE"]
    out = [("eval_failed", float((scores["status"] != "COMPLETE").sum()), 0)]
    for col in ("test_accuracy", "test_log_loss", "ms_per_epoch", "n_epochs"):
        values = ok[col].astype(float)
        out.append((f"{col}_mean", float(values.mean()) if len(values) else math.nan, 0))
        out.append((f"{col}_std", float(values.std(ddof=1)) if len(values) > 1 else math.nan, 0))
    return [m for m in out if math.isfinite(m[1])]


def split_datasets(cfg: ExperimentConfig, data: SplitData) -> dict[str, tuple[Any, Any]]:
    """The splits recorded as MLflow datasets: ``train`` (all development data: tuning's folds
    are cut from it and the shipped model is refit on it), ``validation`` (the holdout rows
    tuning scored, when ``split.cv`` is not set) and ``test`` (held out for the verdict)."""
    out = {"train": (data.X_train, data.y_train)}
    if not cfg.split.cv:
        _, va = data.folds[0]
        out["validation"] = (data.X_train[va], data.y_train[va])
    out["test"] = (data.X_test, data.y_test)
    return out


def _dataset_inputs(cfg: ExperimentConfig, data: SplitData) -> list:
    source = {"nnfs_lab.dataset": cfg.dataset.name, "nnfs_lab.seed": str(cfg.seed),
              "nnfs_lab.dataset_params": json.dumps(cfg.dataset.params, sort_keys=True),
              "nnfs_lab.split": json.dumps({"test_size": cfg.split.test_size,
                                            "validation": cfg.split.validation,
                                            "cv": cfg.split.cv})}  # fmt: skip
    return tracking.split_inputs(split_datasets(cfg, data), prefix=cfg.name, source=source)


def _version_note(cfg, family: str, params, scores, n_dev: int) -> str:
    ok = scores[scores["status"] == "COMPLETE"]["test_accuracy"].astype(float)
    acc = f"{ok.mean():.4f} ± {ok.std(ddof=1):.4f}" if len(ok) > 1 else "n/a"
    shown = ", ".join(f"{k}={v}" for k, v in tracking.canonical_params(family, params).items()
                      if "." not in k)  # fmt: skip
    return (f"{get_family(family).label}, best configuration of study "
            f"`{cfg.study_name(family)}` ({shown}); held-out test accuracy {acc} over "
            f"{len(ok)} folds ({cfg.evaluation.repeats}x{cfg.evaluation.folds}); refit on all "
            f"{n_dev} development samples, seed {cfg.seed}. Serves predict_proba.")  # fmt: skip


def ship_model(cfg, family: str, study, params, data: SplitData, scores, model_obj, client,
               uri: str, parent_id: str) -> None:  # fmt: skip
    """Datasets, the logged model (its params, linked metrics), its registered version."""
    inputs = _dataset_inputs(cfg, data)
    tracking.log_dataset_inputs(client, parent_id, inputs)
    test = next(i.dataset for i in inputs if i.dataset.name.endswith("-test"))
    info = tracking.log_model(uri, parent_id, model_obj, data.X_test[:5],
                              name=f"{study.study_name}-best",
                              params=tracking.canonical_params(family, params))  # fmt: skip
    tracking.log_batch_chunked(client, parent_id, metrics=_headline(scores),
                               model_id=info.model_id,
                               dataset=(test.name, test.digest))  # fmt: skip
    version = tracking.register_family_model(
        client, cfg.name, model_uri=info.model_uri, model_id=info.model_id, run_id=parent_id,
        family=family, study=study.study_name,
        description=_version_note(cfg, family, params, scores, len(data.y_train)),
    )  # fmt: skip
    tracking.log_batch_chunked(client, parent_id, tags={
        "nnfs_lab.model_uri": info.model_uri, "nnfs_lab.model_id": info.model_id,
        "nnfs_lab.registered_model": cfg.name, "nnfs_lab.model_version": version.version,
    })  # fmt: skip
