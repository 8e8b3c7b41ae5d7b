"""What a finished trial writes to its MLflow run: per-epoch curves, summary values, status."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nnfs_lab.tracking.runs import STATUS_OF_STATE, TAG_STATE, log_batch_chunked

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = ["finish_trial_run", "history_metrics"]


def history_metrics(
    history: Sequence[Mapping[str, Any]], *, step_key: str = "step", skip: Iterable[str] = ()
) -> list[tuple[str, float, int]]:
    """``(key, value, step)`` triples of every finite numeric entry of per-epoch logs."""
    skip = {step_key, "epoch", *skip}
    out = []
    for i, logs in enumerate(history):
        step = int(logs.get(step_key, logs.get("epoch", i + 1)))
        for k, v in logs.items():
            if k in skip or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            if math.isfinite(v):
                out.append((k, float(v), step))
    return out


def finish_trial_run(
    client: MlflowClient,
    run_id: str,
    *,
    state: str,
    history: Sequence[Mapping[str, Any]] = (),
    final_metrics: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> None:
    """Write a finished trial in one batch (params, per-epoch curves, single values, tags) and
    end its run: two requests, whatever the number of epochs (up to MLflow's batch limits).

    ``state`` is the Optuna state name; the run ends FINISHED / KILLED / FAILED accordingly.
    Per-epoch values are steps >= 1; the single values (``final_metrics``) are logged at step 0.
    """
    metrics = history_metrics(history)
    for k, v in (final_metrics or {}).items():
        if v is not None and math.isfinite(v):
            metrics.append((k, float(v), 0))
    log_batch_chunked(client, run_id, metrics=metrics, params=params,
                      tags={TAG_STATE: state, **(tags or {})})  # fmt: skip
    client.set_terminated(run_id, status=STATUS_OF_STATE.get(state, "FAILED"))
