"""Sweep bookkeeping cost for :mod:`nnfs_lab.bench`: Optuna + MLflow time per trial, its share of
the sweep's wall time, and trials per minute with 1 and 2 worker processes.

A self-contained mirror of what :mod:`nnfs_lab.tuning` does per trial, so that the figure does not
move when the sweep code changes shape: an Optuna study on a ``JournalStorage`` file and an MLflow
sqlite store, both created by the driver before any worker starts; per trial ``study.ask`` and the
parameter suggestions, a child run created with ``mlflow.parentRunId`` and its parameters in one
``log_batch``, ``trial.report`` + ``trial.should_prune`` after every epoch (a median pruner with
the spiral experiment's settings is consulted; its verdict is ignored so that every trial does the
same work and the 1- and 2-worker runs compare like with like), the per-epoch history in one
``log_batch`` per 1000 metrics with the final tags, ``set_terminated``, ``study.tell``.

The trial itself is the spiral experiment's NNFS model: 600 points (360 train, 90 validation),
``NNFSClassifier((64,), batch_size=64)``, 150 epochs scored on the validation set every epoch.
Workers run with one BLAS thread each (as the sweep's spawned workers do), load everything, run
one untimed fit, then start together; bookkeeping is everything in the trial loop but the fit.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

__all__ = ["measure_sweep"]

_BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_MAX_METRICS = 1000


def _data(seed: int):
    from sklearn.model_selection import train_test_split

    from nnfs_lab.datasets import spiral

    X, y = spiral(200, 3, random_state=seed)
    X_tr, _, y_tr, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
    return train_test_split(X_tr, y_tr, test_size=0.2, stratify=y_tr, random_state=seed)


class _Reporter:
    """NNFS callback: report the validation score to the trial and ask the pruner, timed."""

    def __init__(self, trial):
        self.trial, self.seconds = trial, 0.0

    def on_epoch_end(self, est, epoch, logs):
        t0 = time.perf_counter()
        self.trial.report(float(logs["val_score"]), epoch)
        self.trial.should_prune()
        self.seconds += time.perf_counter() - t0
        return False


def _worker(spec: dict[str, Any], ready, start, results) -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    t_spawn = time.perf_counter()
    import warnings

    import optuna
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from nnfs_lab import NNFSClassifier

    warnings.simplefilter("ignore")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    X_tr, X_va, y_tr, y_va = _data(spec["seed"])
    epochs = spec["max_epochs"]

    class ConsultOnly(optuna.pruners.BasePruner):
        def __init__(self):
            self.inner = optuna.pruners.MedianPruner(n_startup_trials=6, n_warmup_steps=30)

        def prune(self, study, trial):
            self.inner.prune(study, trial)
            return False

    client = MlflowClient(tracking_uri=spec["tracking_uri"])
    client.get_experiment(spec["experiment_id"])  # open the DB before the clock starts
    study = optuna.load_study(
        study_name="bench",
        storage=JournalStorage(JournalFileBackend(spec["journal"])),
        sampler=optuna.samplers.TPESampler(
            seed=spec["seed"] + spec["index"], n_startup_trials=spec["startup"]
        ),
        pruner=ConsultOnly(),
    )
    NNFSClassifier((64,), batch_size=64, max_epochs=2).fit(X_tr, y_tr)  # untimed warm-up
    ready.put(time.perf_counter() - t_spawn)
    start.wait()
    acc: dict[str, float] = defaultdict(float)
    t_begin = time.time()
    loop0 = time.perf_counter()
    for _ in range(spec["n_trials"]):
        t = time.perf_counter()
        trial = study.ask()
        params: dict[str, Any] = {"hidden_layer_sizes": (64,), "batch_size": 64}
        params["learning_rate"] = trial.suggest_float("learning_rate", 1e-3, 0.1, log=True)
        for name, low, high in (("decay", 1e-6, 1e-2), ("l1", 1e-6, 1e-3), ("l2", 1e-6, 1e-2)):
            use = trial.suggest_categorical(f"use_{name}", [False, True])
            params[name] = trial.suggest_float(name, low, high, log=True) if use else 0.0
        acc["ask"] += time.perf_counter() - t

        t = time.perf_counter()
        tags = {
            "mlflow.parentRunId": spec["parent_run_id"],
            "nnfs_lab.role": "trial",
            "nnfs_lab.trial": str(trial.number),
            "nnfs_lab.state": "RUNNING",
        }
        run_id = client.create_run(
            spec["experiment_id"], tags=tags, run_name=f"nnfs-trial-{trial.number:03d}"
        ).info.run_id
        client.log_batch(run_id, params=[Param(k, str(v)) for k, v in params.items()])
        acc["start_run"] += time.perf_counter() - t

        t = time.perf_counter()
        reporter = _Reporter(trial)
        est = NNFSClassifier(**params, max_epochs=epochs, random_state=0, callbacks=[reporter])
        est.fit(X_tr, y_tr, validation_data=(X_va, y_va))
        value = float(est.score(X_va, y_va))
        acc["fit"] += time.perf_counter() - t - reporter.seconds
        acc["report"] += reporter.seconds

        t = time.perf_counter()
        ts = int(time.time() * 1000)
        metrics = [
            Metric(k, float(v), ts, int(rec["epoch"]))
            for rec in est.history_
            for k, v in rec.items()
            if k != "epoch" and isinstance(v, float)
        ]
        metrics.append(Metric("val_accuracy", value, ts, epochs))
        for lo in range(0, len(metrics), _MAX_METRICS):
            last = lo + _MAX_METRICS >= len(metrics)
            client.log_batch(
                run_id,
                metrics=metrics[lo : lo + _MAX_METRICS],
                tags=[RunTag("nnfs_lab.state", "COMPLETE")] if last else [],
            )
        client.set_terminated(run_id, status="FINISHED")
        acc["finish"] += time.perf_counter() - t

        t = time.perf_counter()
        study.tell(trial, value)
        acc["tell"] += time.perf_counter() - t
    results.put(
        {
            "index": spec["index"],
            "loop_seconds": time.perf_counter() - loop0,
            "begin": t_begin,
            "end": time.time(),
            "seconds": dict(acc),
            "trials": spec["n_trials"],
            "epochs": epochs,
        }
    )


def _prepare(workdir: Path, seed: int) -> dict[str, Any]:
    """Create the MLflow store, experiment, parent run and the study, as the sweep driver does."""
    import optuna
    from mlflow import MlflowClient
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # no "Creating initial tables" lines
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment("bench", artifact_location=(workdir / "mlruns").as_uri())
    parent = client.create_run(exp_id, tags={"nnfs_lab.role": "parent"}, run_name="bench")
    journal = str(workdir / "optuna-journal.log")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.create_study(
        study_name="bench",
        direction="maximize",
        storage=JournalStorage(JournalFileBackend(journal)),
    )
    return {
        "tracking_uri": uri,
        "experiment_id": exp_id,
        "parent_run_id": parent.info.run_id,
        "journal": journal,
        "seed": seed,
    }


def _run(workers: int, trials_per_worker: int, max_epochs: int, workdir: Path) -> dict[str, Any]:
    base = _prepare(workdir, seed=0)
    startup = max(3, min(10, workers * trials_per_worker // 3))
    ctx = mp.get_context("spawn")
    ready, results, start = ctx.Queue(), ctx.Queue(), ctx.Event()
    saved = {n: os.environ.get(n) for n in _BLAS_VARS}
    for n in _BLAS_VARS:
        os.environ[n] = "1"
    try:
        procs = [
            ctx.Process(
                target=_worker,
                args=(
                    {
                        **base,
                        "index": i,
                        "n_trials": trials_per_worker,
                        "max_epochs": max_epochs,
                        "startup": startup,
                    },
                    ready,
                    start,
                    results,
                ),
            )
            for i in range(workers)
        ]
        for p in procs:
            p.start()
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v
    try:
        startups = [ready.get(timeout=300) for _ in procs]
        start.set()
        out = [results.get(timeout=1800) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.terminate()
    wall = max(r["end"] for r in out) - min(r["begin"] for r in out)
    trials = sum(r["trials"] for r in out)
    parts: dict[str, float] = defaultdict(float)
    for r in out:
        for k, v in r["seconds"].items():
            parts[k] += v
    book = sum(v for k, v in parts.items() if k != "fit")
    loop = sum(r["loop_seconds"] for r in out)
    return {
        "workers": workers,
        "trials": trials,
        "epochs_per_trial": max_epochs,
        "wall_seconds": wall,
        "trials_per_minute": 60.0 * trials / wall,
        "bookkeeping_ms_per_trial": 1000.0 * book / trials,
        "fit_ms_per_trial": 1000.0 * parts["fit"] / trials,
        "bookkeeping_share": book / loop,
        "ms_per_trial": {k: 1000.0 * v / trials for k, v in sorted(parts.items())},
        "worker_startup_seconds": startups,
    }


def _pool(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs with the same worker count as one: totals, then rates."""
    trials = sum(r["trials"] for r in runs)
    wall = sum(r["wall_seconds"] for r in runs)
    parts: dict[str, float] = defaultdict(float)
    for r in runs:
        for k, v in r["ms_per_trial"].items():
            parts[k] += v * r["trials"]
    book = sum(v for k, v in parts.items() if k != "fit")
    loop = sum(r["bookkeeping_ms_per_trial"] * r["trials"] / r["bookkeeping_share"] for r in runs)
    return {
        "workers": runs[0]["workers"],
        "trials": trials,
        "epochs_per_trial": runs[0]["epochs_per_trial"],
        "wall_seconds": wall,
        "trials_per_minute": 60.0 * trials / wall,
        "bookkeeping_ms_per_trial": book / trials,
        "fit_ms_per_trial": parts["fit"] / trials,
        "bookkeeping_share": book / loop,
        "report_ms_per_epoch": parts["report"] / trials / runs[0]["epochs_per_trial"],
        "ms_per_trial": {k: v / trials for k, v in sorted(parts.items())},
        "runs": runs,
    }


def measure_sweep(trials_per_worker: int, max_epochs: int, order=(1, 2, 2, 1)) -> dict[str, Any]:
    """Bookkeeping figures per worker count, each run on a fresh store and study. The worker
    counts alternate (1 2 2 1) so that a change in the machine's load affects both alike."""
    runs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="nnfs-bench-sweep-") as tmp:
        for i, w in enumerate(order):
            d = Path(tmp) / f"run{i}-w{w}"
            d.mkdir()
            runs[w].append(_run(w, trials_per_worker, max_epochs, d))
    out: dict[str, Any] = {str(w): _pool(rs) for w, rs in sorted(runs.items())}
    if "1" in out and "2" in out:
        out["speedup_2_vs_1"] = out["2"]["trials_per_minute"] / out["1"]["trials_per_minute"]
    return out
