"""What a trial's records cost, piece by piece and without training: the floor of bookkeeping.

The sweep section (:mod:`nnfs_lab.bench.sweep`) measures a trial's bookkeeping as a whole. This
module times its parts on fresh stores, through the sweep's own record-writing functions:

- a trial's MLflow run: :func:`nnfs_lab.tracking.start_trial_run` (with the worker and
  environment tags a sweep's trial runs carry) then :func:`nnfs_lab.tracking.finish_trial_run`
  (with the note and Optuna-parameters tags): empty, with one and with several params, and
  with metric rows (one metric at one step);
- a trial's Optuna life on the sweep's journal storage, from an enqueued slot:
  :func:`nnfs_lab.sweeps.workers.claim_slot` (the claim and its owner attributes), the trial's
  run-id and fit-seconds attributes and the tell; the same with parameters read back by
  ``suggest_float``, and with pruner checks (``report`` then ``should_prune``, Optuna's median
  pruner judging against every finished trial). Enqueuing is not timed: the sweep's proposer
  does it before the trial starts.

Variants alternate round by round, so a change in the machine's load affects them alike, and
each figure is a median. :func:`explain` combines the costs with a benchmarked sweep's records
per trial into the bookkeeping they account for, and the least share of a trial that its
records take. These are warm-cache figures: after a trial's training the same calls are slower.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from nnfs_lab.sweeps.attrs import ATTR_FIT_SECONDS, ATTR_RUN_ID
from nnfs_lab.sweeps.objective import OPTUNA_PARAMS_TAG
from nnfs_lab.sweeps.protocol import TRAIN_LOSS, VAL_ACCURACY, VAL_LOSS

__all__ = ["explain", "measure_costs"]

#: The curves every trial logs at its curve points (the protocol's metrics).
_CURVE_KEYS = (TRAIN_LOSS, VAL_LOSS, VAL_ACCURACY)


def _medians(variants: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """The median of each variant's milliseconds (each times its own part), run in turn."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, run in variants.items():
            times[name].append(run())
    return {name: statistics.median(ts) for name, ts in times.items()}


def _ms_since(t0: float) -> float:
    return 1000.0 * (time.perf_counter() - t0)


def _mlflow_variants(tracking_uri: str, history: list[dict], params: int
                     ) -> dict[str, Callable[[], float]]:  # fmt: skip
    from mlflow import MlflowClient

    from nnfs_lab import tracking
    from nnfs_lab.sweeps.provenance import environment_tags

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment_id = client.create_experiment("nnfs-lab-bench-costs")
    parent = client.create_run(experiment_id).info.run_id
    start_tags = {"nnfs_lab.worker": "0", **environment_tags()}
    end_tags = {tracking.NOTE_TAG: "Trial 0: COMPLETE.", OPTUNA_PARAMS_TAG: "{}"}

    def trial_run(curves: list[dict], n_params: int) -> Callable[[], float]:
        logged = {f"p{i}": 0.5 for i in range(n_params)}

        def run() -> float:
            t0 = time.perf_counter()
            run_id = tracking.start_trial_run(
                client, experiment_id, parent, study_name="costs", family="nnfs",
                trial_number=0, params={}, extra_tags=start_tags,
            )  # fmt: skip
            tracking.finish_trial_run(client, run_id, state="COMPLETE", history=curves,
                                      params=logged, tags=end_tags)  # fmt: skip
            return _ms_since(t0)

        return run

    return {"run": trial_run([], 0), "param": trial_run([], 1),
            "params": trial_run([], params), "rows": trial_run(history, 0)}  # fmt: skip


def _optuna_variants(journal: Path, params: int, checks: int) -> dict[str, Callable[[], float]]:
    import optuna

    from nnfs_lab.sweeps.storage import make_storage
    from nnfs_lab.sweeps.workers import claim_slot

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = make_storage(f"journal:{journal}")
    study = optuna.create_study(
        storage=storage, study_name="costs", direction="maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=0, n_warmup_steps=0),
    )  # fmt: skip
    study_id = storage.get_study_id_from_name("costs")
    names = [f"p{i}" for i in range(params)]

    def trial(n_params: int, n_checks: int) -> Callable[[], float]:
        def run() -> float:
            study.enqueue_trial(dict.fromkeys(names[:n_params], 0.5))
            t0 = time.perf_counter()
            t = optuna.trial.Trial(study, claim_slot(study, storage, study_id))
            t.set_user_attr(ATTR_RUN_ID, "0" * 32)
            for name in names[:n_params]:
                t.suggest_float(name, 0.0, 1.0)
            for step in range(n_checks):
                t.report(0.5, step)
                t.should_prune()
            t.set_user_attr(ATTR_FIT_SECONDS, 0.2)
            study.tell(t, 0.5)
            return _ms_since(t0)

        return run

    return {"trial": trial(0, 0), "params": trial(params, 0), "checks": trial(0, checks)}


def _check_counts(least: int, **counts: int) -> None:
    for name, value in counts.items():
        if value < least:
            raise ValueError(f"measure_costs: {name} must be >= {least}, got {value}")


def measure_costs(
    workdir: Path | str, *, rounds: int = 40, rows: int = 120, params: int = 12, checks: int = 30
) -> dict[str, float]:
    """Time a trial's records on a fresh MLflow sqlite store and Optuna journal in ``workdir``.

    Parameters
    ----------
    workdir : path
        An empty directory for the stores.
    rounds : int
        Timings of each variant (the figures are medians).
    rows, params, checks : int
        Metric rows (at least 3, rounded down to whole steps of three curves), parameters and
        pruner checks (at least 2 each) of the variants that have them.

    Raises
    ------
    ValueError
        When a count is below its least value; the message names it.

    Returns
    -------
    dict
        Milliseconds: ``mlflow_run_ms`` (a trial run with its tags and nothing else),
        ``mlflow_params_ms`` (the params' own write, whatever their number),
        ``mlflow_param_row_ms`` (per param), ``mlflow_row_ms`` (per metric row),
        ``optuna_trial_ms`` (claim, attributes, tell), ``optuna_param_ms`` (per parameter),
        ``optuna_check_ms`` (per ``report`` + ``should_prune``); and ``rounds``.
    """
    from nnfs_lab.bench.stores import create_store, quiet_mlflow
    from nnfs_lab.tracking import history_metrics

    _check_counts(1, rounds=rounds)
    _check_counts(len(_CURVE_KEYS), rows=rows)
    _check_counts(2, params=params, checks=checks)
    history = [{"step": s, **dict.fromkeys(_CURVE_KEYS, 0.5)}
               for s in range(1, rows // len(_CURVE_KEYS) + 1)]  # fmt: skip
    root = Path(workdir)
    with quiet_mlflow():
        uri = f"sqlite:///{root / 'mlflow.db'}"
        create_store(uri)
        ml = _medians(_mlflow_variants(uri, history, params), rounds)
        op = _medians(_optuna_variants(root / "optuna-journal.log", params, checks), rounds)
    param_row = (ml["params"] - ml["param"]) / (params - 1)
    return {
        "mlflow_run_ms": ml["run"],
        "mlflow_params_ms": ml["param"] - ml["run"] - param_row,
        "mlflow_param_row_ms": param_row,
        "mlflow_row_ms": (ml["rows"] - ml["run"]) / len(history_metrics(history)),
        "optuna_trial_ms": op["trial"],
        "optuna_param_ms": (op["params"] - op["trial"]) / params,
        "optuna_check_ms": (op["checks"] - op["trial"]) / checks,
        "rounds": rounds,
    }


def explain(
    costs: dict[str, float],
    *,
    fit_ms: float,
    bookkeeping_ms: float,
    metric_rows: float,
    mlflow_params: float,
    optuna_params: float,
    checks: float,
) -> dict[str, float]:
    """What :func:`measure_costs`'s figures account for in a sweep's mean trial.

    Parameters
    ----------
    costs : dict
        A result of :func:`measure_costs`.
    fit_ms, bookkeeping_ms : float
        The sweep's mean training and bookkeeping milliseconds per trial (one worker).
    metric_rows, mlflow_params : float
        Its trial runs' mean metric rows (curves and single values) and params.
    optuna_params, checks : float
        Its trials' mean parameters and pruner reports.

    Returns
    -------
    dict
        The inputs; ``floor_ms``: the MLflow run and its params, the Optuna trial and its
        parameters; ``content_ms``: the metric rows and pruner checks; ``explained_ms``
        (their sum); and as shares of a trial made of those milliseconds and ``fit_ms``:
        ``floor_share``, ``explained_share`` and ``measured_share`` (``bookkeeping_ms``).
    """
    mlflow = (costs["mlflow_run_ms"] + (mlflow_params > 0) * costs["mlflow_params_ms"]
              + mlflow_params * costs["mlflow_param_row_ms"])  # fmt: skip
    floor = mlflow + costs["optuna_trial_ms"] + optuna_params * costs["optuna_param_ms"]
    content = metric_rows * costs["mlflow_row_ms"] + checks * costs["optuna_check_ms"]
    explained = floor + content
    return {
        "metric_rows": metric_rows,
        "mlflow_params": mlflow_params,
        "optuna_params": optuna_params,
        "checks": checks,
        "floor_ms": floor,
        "content_ms": content,
        "explained_ms": explained,
        "bookkeeping_ms": bookkeeping_ms,
        "fit_ms": fit_ms,
        "floor_share": floor / (floor + fit_ms),
        "explained_share": explained / (explained + fit_ms),
        "measured_share": bookkeeping_ms / (bookkeeping_ms + fit_ms),
    }
