"""The data a run saw, recorded as MLflow dataset inputs (name, digest, schema, profile).

Each family's parent run records the same splits (``<experiment>-train``, ``-validation``,
``-test``), each with a digest of its rows (MLflow's ``compute_numpy_digest``); the comparison
run records them again, so a reader sees in the Dataset column that both families saw identical
data, and the comparison says whether the digests agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import DatasetInput

__all__ = ["CONTEXT_TAG", "dataset_digests", "log_dataset_inputs", "split_inputs"]

#: MLflow's input tag naming how a run used a dataset ("train", "validation", "test").
CONTEXT_TAG = "mlflow.data.context"


def split_inputs(
    splits: Mapping[str, tuple[Any, Any]], *, prefix: str, source: Mapping[str, str]
) -> list[DatasetInput]:
    """Dataset inputs of named splits.

    Parameters
    ----------
    splits : mapping
        context (``"train"``, ``"validation"``, ``"test"``) -> ``(X, y)`` arrays.
    prefix : str
        Dataset names are ``<prefix>-<context>``.
    source : mapping
        Tags of the code source that made the data (loader name, its parameters, seed).

    Returns
    -------
    list of mlflow.entities.DatasetInput
    """
    import mlflow
    import numpy as np
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.entities import DatasetInput, InputTag

    out = []
    for context, (X, y) in splits.items():
        ds = mlflow.data.from_numpy(np.asarray(X), targets=np.asarray(y),
                                    source=CodeDatasetSource(dict(source)),
                                    name=f"{prefix}-{context}")  # fmt: skip
        entity = ds._to_mlflow_entity()  # what mlflow.log_input sends, for a client call
        out.append(DatasetInput(entity, tags=[InputTag(CONTEXT_TAG, context)]))
    return out


def log_dataset_inputs(client: MlflowClient, run_id: str, inputs: Sequence[DatasetInput]) -> None:
    """Attach dataset inputs to a run (one request; MLflow deduplicates by name and digest)."""
    if inputs:
        client.log_inputs(run_id, datasets=list(inputs))


def dataset_digests(run: Any) -> dict[str, str]:
    """``context -> digest`` of the dataset inputs recorded on ``run`` (an MLflow Run)."""
    out = {}
    for di in run.inputs.dataset_inputs if run.inputs else ():
        context = next((t.value for t in di.tags if t.key == CONTEXT_TAG), di.dataset.name)
        out[context] = di.dataset.digest
    return out
