"""The stores a benchmarked sweep writes: creating the MLflow store, reading what was recorded.

:mod:`nnfs_lab.bench.sweep` reads its figures back from the stores rather than from timers of
its own, so that they are what the sweep recorded: the per-trial durations and training seconds
from the Optuna journal, the trial runs from MLflow.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nnfs_lab.sweeps.attrs import ATTR_FIT_SECONDS

__all__ = [
    "FIT_SECONDS_ATTR",
    "count_child_runs",
    "create_store",
    "record_rows",
    "quiet_mlflow",
    "trial_records",
]

#: Optuna user attribute in which the objective records a trial's seconds of training.
FIT_SECONDS_ATTR = ATTR_FIT_SECONDS


@contextlib.contextmanager
def quiet_mlflow() -> Iterator[None]:
    """No "Creating initial tables" lines in the benchmark's table; restored afterwards."""
    import mlflow  # noqa: F401  (its import sets the logger's level: set ours after it)

    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def create_store(tracking_uri: str) -> float:
    """Create the MLflow store at ``tracking_uri`` (schema migrations); return the seconds.

    Parameters
    ----------
    tracking_uri : str
        A new ``sqlite:///`` store.

    Returns
    -------
    float
        Seconds to open it for the first time, MLflow's import excluded.
    """
    from mlflow import MlflowClient

    t0 = time.perf_counter()
    MlflowClient(tracking_uri=tracking_uri).search_experiments(max_results=1)
    return time.perf_counter() - t0


def trial_records(journal: Path, study_name: str) -> list[dict[str, Any]]:
    """The finished trials of a study, as the journal recorded them.

    Parameters
    ----------
    journal : Path
        The Optuna journal file.
    study_name : str

    Returns
    -------
    list of dict
        Per trial: ``number``, ``state``, ``start`` (epoch seconds), ``seconds`` (duration),
        ``fit_seconds`` (None if the objective did not record it), ``params`` and ``reports``
        (how many parameters and pruner reports it holds).
    """
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(journal)))
    study = optuna.load_study(study_name=study_name, storage=storage)
    out = []
    for t in study.get_trials(deepcopy=False):
        if t.datetime_start is None or t.datetime_complete is None:
            continue  # an enqueued slot no worker claimed
        fit = t.user_attrs.get(FIT_SECONDS_ATTR)
        out.append(
            {
                "number": t.number,
                "state": t.state.name,
                "start": t.datetime_start.timestamp(),
                "seconds": (t.datetime_complete - t.datetime_start).total_seconds(),
                "fit_seconds": None if fit is None else float(fit),
                "params": len(t.params),
                "reports": len(t.intermediate_values),
            }
        )
    return out


def _child_runs(tracking_uri: str, experiment_id: str, parent_run_id: str) -> Iterator[Any]:
    """The MLflow runs attached to ``parent_run_id``, page by page."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    token = None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'",
            max_results=1000,
            page_token=token,
        )
        yield from page
        token = page.token
        if not token:
            return


def count_child_runs(tracking_uri: str, experiment_id: str, parent_run_id: str) -> int:
    """MLflow runs attached to ``parent_run_id`` (the sweep's trial runs).

    Parameters
    ----------
    tracking_uri, experiment_id, parent_run_id : str

    Returns
    -------
    int
    """
    return sum(1 for _ in _child_runs(tracking_uri, experiment_id, parent_run_id))


def record_rows(tracking_uri: str, experiment_id: str, parent_run_id: str) -> list[dict[str, int]]:
    """The metric rows and params of each run attached to ``parent_run_id``.

    Parameters
    ----------
    tracking_uri, experiment_id, parent_run_id : str

    Returns
    -------
    list of dict
        One per child run: ``metrics`` (every step of every metric its history holds) and
        ``params``.
    """
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    return [
        {
            "metrics": sum(
                len(client.get_metric_history(run.info.run_id, key)) for key in run.data.metrics
            ),
            "params": len(run.data.params),
        }
        for run in _child_runs(tracking_uri, experiment_id, parent_run_id)
    ]
