"""What a trial's records cost, piece by piece and without training: the floor of bookkeeping.

The sweep section (:mod:`nnfs_lab.bench.sweep`) measures a trial's bookkeeping as a whole. This
module times its parts on fresh stores, through the functions the sweep itself calls:

- an MLflow trial run: :func:`nnfs_lab.tracking.start_trial_run` then
  :func:`nnfs_lab.tracking.finish_trial_run` (create, one batch, terminate), empty and with curve
  rows (one metric at one step);
- an Optuna trial on the sweep's journal storage (:func:`nnfs_lab.sweeps.storage.make_storage`):
  enqueue, ask, tell; the same with enqueued parameters read back by ``suggest_float``; the same
  with pruner checks (``report`` then ``should_prune``, a median pruner).

Variants alternate round by round, so a change in the machine's load affects them alike, and
each figure is a median. :func:`explain` combines the costs with a benchmarked sweep's counts
per trial (curve rows, parameters, pruner checks) into the bookkeeping they account for, and
the least share of worker time a trial of a given fit time can spend on its records.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["explain", "measure_costs"]

_CURVE_KEYS = ("train_loss", "val_loss", "val_accuracy")


def _medians(variants: dict[str, Callable[[], None]], rounds: int) -> dict[str, float]:
    """Median milliseconds of each variant, timed once per round in turn."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, run in variants.items():
            t0 = time.perf_counter()
            run()
            times[name].append(1000.0 * (time.perf_counter() - t0))
    return {name: statistics.median(ts) for name, ts in times.items()}


def _mlflow_variants(tracking_uri: str, rows: int) -> dict[str, Callable[[], None]]:
    from mlflow import MlflowClient

    from nnfs_lab import tracking

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment_id = client.create_experiment("nnfs-lab-bench-costs")
    parent = client.create_run(experiment_id).info.run_id
    history = [{"step": s, **dict.fromkeys(_CURVE_KEYS, 0.5)}
               for s in range(1, rows // len(_CURVE_KEYS) + 1)]  # fmt: skip

    def trial_run(curves: list[dict]) -> Callable[[], None]:
        def run() -> None:
            run_id = tracking.start_trial_run(
                client, experiment_id, parent, study_name="costs", family="nnfs",
                trial_number=0, params={},
            )  # fmt: skip
            tracking.finish_trial_run(client, run_id, state="COMPLETE", history=curves)

        return run

    return {"run": trial_run([]), "rows": trial_run(history)}


def _optuna_variants(journal: Path, params: int, checks: int) -> dict[str, Callable[[], None]]:
    import optuna

    from nnfs_lab.sweeps.storage import make_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=make_storage(f"journal:{journal}"), study_name="costs", direction="maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=0, n_warmup_steps=0),
    )  # fmt: skip
    names = [f"p{i}" for i in range(params)]

    def trial(n_params: int, n_checks: int) -> Callable[[], None]:
        def run() -> None:
            study.enqueue_trial(dict.fromkeys(names[:n_params], 0.5))
            t = study.ask()
            for name in names[:n_params]:
                t.suggest_float(name, 0.0, 1.0)
            for step in range(n_checks):
                t.report(0.5, step)
                t.should_prune()
            study.tell(t, 0.5)

        return run

    return {"trial": trial(0, 0), "params": trial(params, 0), "checks": trial(0, checks)}


def measure_costs(
    workdir: Path | str, *, rounds: int = 40, rows: int = 120, params: int = 8, checks: int = 30
) -> dict[str, float]:
    """Time a trial's records on a fresh MLflow sqlite store and Optuna journal in ``workdir``.

    Parameters
    ----------
    workdir : path
        An empty directory for the stores.
    rounds : int
        Timings of each variant (the figures are medians).
    rows, params, checks : int
        Curve rows, parameters and pruner checks of the variants that have them.

    Returns
    -------
    dict
        Milliseconds: ``mlflow_run_ms`` (an empty trial run), ``mlflow_row_ms`` (per curve
        row), ``optuna_trial_ms`` (enqueue, ask, tell), ``optuna_param_ms`` (per parameter),
        ``optuna_check_ms`` (per ``report`` + ``should_prune``); and ``rounds``.
    """
    from nnfs_lab.bench.stores import create_store, quiet_mlflow

    root = Path(workdir)
    with quiet_mlflow():
        uri = f"sqlite:///{root / 'mlflow.db'}"
        create_store(uri)
        ml = _medians(_mlflow_variants(uri, rows), rounds)
        op = _medians(_optuna_variants(root / "optuna-journal.log", params, checks), rounds)
    return {
        "mlflow_run_ms": ml["run"],
        "mlflow_row_ms": (ml["rows"] - ml["run"]) / (len(_CURVE_KEYS) * (rows // len(_CURVE_KEYS))),
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
    curve_rows: float,
    params: float,
    checks: float,
) -> dict[str, float]:
    """What :func:`measure_costs`'s figures account for in a sweep's mean trial.

    Parameters
    ----------
    costs : dict
        A result of :func:`measure_costs`.
    fit_ms, bookkeeping_ms : float
        The sweep's mean training and bookkeeping milliseconds per trial (one worker).
    curve_rows, params, checks : float
        Its mean metric rows, parameters and pruner reports per trial.

    Returns
    -------
    dict
        ``floor_ms``: the run, the trial and its parameters (an Optuna parameter and an MLflow
        param row each); ``content_ms``: the curve rows and pruner checks; ``explained_ms``
        (their sum) beside ``bookkeeping_ms``; ``floor_share`` and ``explained_share``: those
        milliseconds as a share of a trial made of them and ``fit_ms``; the inputs.
    """
    floor = (costs["mlflow_run_ms"] + costs["optuna_trial_ms"]
             + params * (costs["optuna_param_ms"] + costs["mlflow_row_ms"]))  # fmt: skip
    content = curve_rows * costs["mlflow_row_ms"] + checks * costs["optuna_check_ms"]
    explained = floor + content
    return {
        "curve_rows": curve_rows,
        "params": params,
        "checks": checks,
        "floor_ms": floor,
        "content_ms": content,
        "explained_ms": explained,
        "bookkeeping_ms": bookkeeping_ms,
        "fit_ms": fit_ms,
        "floor_share": floor / (floor + fit_ms),
        "explained_share": explained / (explained + fit_ms),
    }
