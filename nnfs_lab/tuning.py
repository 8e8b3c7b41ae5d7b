"""Optuna sweeps of NNFSClassifier and scikit-learn's MLPClassifier, every trial tracked in MLflow.

The driver (:func:`sweep`) does everything that must happen exactly once before any worker
starts: create the MLflow database, experiment and parent runs, create (or load) the Optuna study,
fail the trials a dead worker left RUNNING, and work out how many trials of the budget remain.
Workers (:func:`run_worker`, in-process for one worker, spawned processes otherwise) then share
the study and each run a fixed share of the remaining trials, so the budget is met exactly and no
trial runs twice. Afterwards the driver refits the best configuration over several seeds, scores
it on the held-out test set and logs the best model on the parent run.

Pruning uses the per-epoch validation score: NNFS reports through its callbacks, MLPClassifier
through one ``partial_fit`` call per epoch. A trial that raises or diverges is recorded FAIL (its
child run FAILED) and the sweep goes on.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfs_lab import tracking
from nnfs_lab.config import ExperimentConfig, ModelConfig, ParamSpec, load_config

if TYPE_CHECKING:
    import optuna

__all__ = [
    "FAMILY_ADAPTERS",
    "SplitData",
    "SweepHooks",
    "SweepResult",
    "WorkerTask",
    "decode_params",
    "make_pruner",
    "make_storage",
    "prepare_data",
    "resolve_storage",
    "run_worker",
    "suggest_params",
    "sweep",
]

_STALE_ATTR = "nnfs_lab_stale"


# ------------------------------------------------------------------------------------------ data


@dataclass(frozen=True)
class SplitData:
    """A data set split for a sweep: folds of the training part, and the untouched test part.

    ``folds`` index into ``X_train``; a holdout validation is a single fold. Scaling is fitted
    per fold on its training rows only (and on all of ``X_train`` for the final refit).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    classes: np.ndarray


def prepare_data(cfg: ExperimentConfig) -> SplitData:
    """Load the configured data set and split it (deterministic given ``cfg.seed``)."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    from nnfs_lab.datasets import load

    ds = load(cfg.dataset.name, random_state=cfg.seed, **cfg.dataset.params)
    if ds.task != "classification":
        raise ValueError(f"{cfg.path}: sweeps compare classifiers; {ds.name!r} is {ds.task}")
    X, y = np.asarray(ds.X), np.asarray(ds.y)
    strat = cfg.split.stratify
    if ds.X_test is not None:  # keep an official test split (fashion_mnist)
        X_tr, y_tr, X_te, y_te = X, y, np.asarray(ds.X_test), np.asarray(ds.y_test)
    else:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X,
            y,
            test_size=cfg.split.test_size,
            random_state=cfg.seed,
            stratify=y if strat else None,
        )
    idx = np.arange(len(y_tr))
    if cfg.split.cv:
        kf = (StratifiedKFold if strat else KFold)(
            cfg.split.cv, shuffle=True, random_state=cfg.seed
        )
        folds = tuple((tr, va) for tr, va in kf.split(X_tr, y_tr))
    else:
        tr, va = train_test_split(
            idx,
            test_size=cfg.split.validation,
            random_state=cfg.seed,
            stratify=y_tr if strat else None,
        )
        folds = ((np.sort(tr), np.sort(va)),)
    return SplitData(X_tr, y_tr, X_te, y_te, folds, np.unique(y))


def _make_scaler(kind: str) -> Any:
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    return {"standard": StandardScaler, "minmax": MinMaxScaler}.get(kind, lambda: None)()


# -------------------------------------------------------------------------------- model families


def _scores(est: Any, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Accuracy and log loss of a fitted classifier.

    Computed directly rather than through ``sklearn.metrics``: its input validation costs more
    than a small network's epoch, and this runs after every epoch of every trial.
    """
    proba = np.asarray(est.predict_proba(X), dtype=np.float64)  # (n_samples, n_classes)
    classes = est.classes_
    acc = float(np.mean(classes[np.argmax(proba, axis=1)] == y))
    if not np.all(np.isfinite(proba)):
        return acc, math.nan
    idx = np.searchsorted(classes, y)
    known = (idx < len(classes)) & (classes[np.minimum(idx, len(classes) - 1)] == y)
    eps = np.finfo(np.float64).eps
    p_true = np.where(known, proba[np.arange(len(y)), np.minimum(idx, len(classes) - 1)], 0.0)
    # Normalize like sklearn's log_loss does, so both families are scored identically.
    p_true = p_true / proba.sum(axis=1)
    return acc, float(-np.mean(np.log(np.clip(p_true, eps, 1.0))))


class _NNFSFamily:
    """NNFSClassifier: per-epoch logs and pruning through the estimator's callbacks."""

    name = "nnfs"
    label = "NNFSClassifier"

    def build(self, params: dict[str, Any], *, seed: int, max_epochs: int) -> Any:
        from nnfs_lab.estimators import NNFSClassifier

        return NNFSClassifier(**params, max_epochs=max_epochs, random_state=seed)

    def train(self, est, X, y, *, X_val=None, y_val=None, on_epoch=None) -> list[dict]:
        from nnfs_lab.callbacks import LambdaCallback

        cb = None
        if on_epoch is not None:
            cb = [LambdaCallback(on_epoch_end=lambda _est, _epoch, logs: on_epoch(dict(logs)))]
        est.set_params(callbacks=cb)
        try:
            val = (X_val, y_val) if X_val is not None else None
            est.fit(X, y, validation_data=val)
        finally:
            # The fitted model is pickled later; it must not carry the trial inside a callback.
            est.set_params(callbacks=None)
        return [dict(h) for h in est.history_]


class _MLPFamily:
    """scikit-learn's MLPClassifier, one ``partial_fit`` per epoch so it can be pruned too."""

    name = "mlp"
    label = "sklearn MLPClassifier"

    def build(self, params: dict[str, Any], *, seed: int, max_epochs: int) -> Any:
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(**params, max_iter=max_epochs, random_state=seed)

    def train(self, est, X, y, *, X_val=None, y_val=None, on_epoch=None) -> list[dict]:
        from sklearn.exceptions import ConvergenceWarning

        classes = np.unique(y)
        # Train accuracy on a fixed subsample: NNFS gets it for free from its batches, here it
        # costs a forward pass, which must not dominate the per-epoch timing on big data.
        sub = np.random.default_rng(0).permutation(len(y))[:2000]
        history: list[dict] = []
        for epoch in range(1, est.max_iter + 1):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est.partial_fit(X, y, classes=classes)
            seconds = time.perf_counter() - t0
            if not math.isfinite(est.loss_):
                raise FloatingPointError(f"MLPClassifier loss diverged at epoch {epoch}")
            opt = getattr(est, "_optimizer", None)
            logs = {
                "epoch": epoch,
                "loss": float(est.loss_),
                "train_score": _scores(est, X[sub], y[sub])[0],
                "learning_rate": float(getattr(opt, "learning_rate", math.nan)),
                "seconds": seconds,
            }
            if X_val is not None:
                logs["val_score"], logs["val_loss"] = _scores(est, X_val, y_val)
            history.append(logs)
            if on_epoch is not None and on_epoch(dict(logs)):
                break
        return history

    def epoch_seconds(self, params: dict[str, Any], X, y, *, seed: int, max_epochs: int) -> float:
        """Seconds per epoch of a plain ``fit`` (all epochs forced).

        The per-epoch ``partial_fit`` loop pays scikit-learn's input validation on every call,
        which on small data costs more than the epoch itself; timing that would be unfair.
        """
        from sklearn.exceptions import ConvergenceWarning

        est = self.build(params, seed=seed, max_epochs=max_epochs)
        # Never "converged": run exactly max_epochs (this run is for timing only).
        est.set_params(n_iter_no_change=max_epochs + 1)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        return (time.perf_counter() - t0) / max(1, est.n_iter_)


#: family name -> adapter with ``build(params, seed=, max_epochs=)`` and
#: ``train(est, X, y, X_val=, y_val=, on_epoch=) -> history``. Register more here (e.g. PyTorch).
FAMILY_ADAPTERS: dict[str, Any] = {"nnfs": _NNFSFamily(), "mlp": _MLPFamily()}


# --------------------------------------------------------------------------------- search space


def _encode(choice: Any) -> Any:
    # Optuna categorical choices must be scalars; hidden sizes (64, 32) travel as "64x32".
    return "x".join(map(str, choice)) if isinstance(choice, tuple) else choice


def _decode(value: Any, spec: ParamSpec) -> Any:
    for c in spec.choices:
        if _encode(c) == value:
            return c
    return value


def suggest_params(trial: optuna.Trial, specs: Sequence[ParamSpec]) -> dict[str, Any]:
    """Sample one configuration; returns estimator parameters (decoded, zeros filled in)."""
    out: dict[str, Any] = {}
    for spec in specs:
        if any(out.get(k, _MISSING) not in vals for k, vals in spec.when.items()):
            continue
        if spec.kind == "categorical":
            v = trial.suggest_categorical(spec.name, [_encode(c) for c in spec.choices])
            out[spec.name] = _decode(v, spec)
        elif spec.kind == "int":
            out[spec.name] = trial.suggest_int(
                spec.name, spec.low, spec.high, step=int(spec.step or 1), log=spec.log
            )
        else:
            if spec.allow_zero and not trial.suggest_categorical(f"use_{spec.name}", [True, False]):
                out[spec.name] = 0.0
                continue
            out[spec.name] = trial.suggest_float(
                spec.name, spec.low, spec.high, log=spec.log, step=spec.step
            )
    return out


_MISSING = object()


def decode_params(specs: Sequence[ParamSpec], params: dict[str, Any]) -> dict[str, Any]:
    """Estimator parameters of a finished trial from its Optuna ``params``."""
    out: dict[str, Any] = {}
    for spec in specs:
        if spec.name in params:
            v = params[spec.name]
            out[spec.name] = _decode(v, spec) if spec.kind == "categorical" else v
        elif spec.allow_zero and params.get(f"use_{spec.name}") is False:
            out[spec.name] = 0.0
    return out


# ------------------------------------------------------------------------------ optuna plumbing


def resolve_storage(storage: str | None, tracking_uri: str) -> str:
    """The Optuna storage spec: ``--storage`` if given, else a journal file beside the store.

    A value with ``://`` is an RDB URL (``postgresql://...``, ``sqlite:///...``); anything else
    (optionally prefixed ``journal:``) is a journal file path.
    """
    if storage is None:
        return "journal:" + str(tracking.default_journal_path(tracking_uri))
    if "://" in storage:
        if tracking.sqlite_path(storage) is not None and tracking.sqlite_path(
            storage
        ) == tracking.sqlite_path(tracking_uri):
            raise ValueError(
                f"Optuna storage {storage} is the MLflow database; use a separate file "
                "(Optuna's writes from several processes would lock MLflow's)"
            )
        return storage
    path = storage.removeprefix("journal:")
    return "journal:" + str(Path(path).resolve())


def make_storage(spec: str) -> Any:
    """An Optuna storage object from :func:`resolve_storage`'s spec."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if spec.startswith("journal:"):
        path = Path(spec.removeprefix("journal:"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    # Heartbeats let a driver tell a dead worker's trial from one still running elsewhere.
    return optuna.storages.RDBStorage(spec, heartbeat_interval=30, grace_period=120)


def make_pruner(cfg: ExperimentConfig) -> optuna.pruners.BasePruner:
    """The configured pruner. Steps are epochs (``fold * max_epochs + epoch`` under CV)."""
    import optuna

    p = cfg.pruner
    if p.kind == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=p.n_startup_trials,
            n_warmup_steps=p.n_warmup_steps,
            interval_steps=p.interval_steps,
        )
    if p.kind == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=p.min_resource, reduction_factor=p.reduction_factor
        )
    if p.kind == "hyperband":
        folds = cfg.split.cv or 1
        return optuna.pruners.HyperbandPruner(
            min_resource=p.min_resource,
            max_resource=cfg.budget.max_epochs * folds,
            reduction_factor=p.reduction_factor,
        )
    return optuna.pruners.NopPruner()


def _sampler(cfg: ExperimentConfig, seed: int, n_trials: int | None) -> optuna.samplers.BaseSampler:
    import optuna

    startup = max(3, min(10, (n_trials or 30) // 3))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)


def _worker_seed(cfg_seed: int, worker: int, n_existing: int) -> int:
    # Distinct per worker (identical seeds would make workers propose identical random trials)
    # and per resume (a resumed sweep must not replay the first session's random start).
    return int(np.random.SeedSequence([cfg_seed, worker, n_existing]).generate_state(1)[0])


def _counted(trial: optuna.trial.FrozenTrial) -> bool:
    """Whether a finished trial used up budget (a dead worker's trial gives it back)."""
    from optuna.trial import TrialState

    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    return trial.state == TrialState.FAIL and not trial.user_attrs.get(_STALE_ATTR)


# --------------------------------------------------------------------------------------- worker


@dataclass
class SweepHooks:
    """Injection points (tests, debugging); both may raise ``optuna.TrialPruned`` or any error.

    before_trial(trial, params) runs after sampling, before fitting; on_epoch(trial, logs) after
    every epoch's pruning check.
    """

    before_trial: Callable[[Any, dict[str, Any]], None] | None = None
    on_epoch: Callable[[Any, dict[str, Any]], None] | None = None


@dataclass(frozen=True)
class WorkerTask:
    """Everything a worker process needs (picklable for ``spawn``)."""

    cfg: ExperimentConfig
    family: str
    storage: str
    tracking_uri: str
    experiment_id: str
    parent_run_id: str
    n_trials: int | None
    timeout: float | None
    worker_index: int = 0
    sampler_seed: int = 0
    budget_total: int | None = None


@dataclass
class _TrialRecord:
    history: list[dict] = field(default_factory=list)
    estimator: Any = None
    fold_data: tuple | None = None
    val_scores: list[tuple[float, float]] = field(default_factory=list)
    pruned_step: int | None = None
    error: str | None = None


def _evaluate(task: WorkerTask, data: SplitData, trial, params, rec, hooks) -> float:
    import optuna

    cfg = task.cfg
    fam = FAMILY_ADAPTERS[task.family]
    key = "val_score" if cfg.objective == "accuracy" else "val_loss"
    epochs = cfg.budget.max_epochs
    for k, (tr, va) in enumerate(data.folds):
        X_tr, y_tr = data.X_train[tr], data.y_train[tr]
        X_va, y_va = data.X_train[va], data.y_train[va]
        scaler = _make_scaler(cfg.dataset.scale)
        if scaler is not None:
            X_tr = scaler.fit_transform(X_tr)
            X_va = scaler.transform(X_va)
        est = fam.build(params, seed=cfg.seed, max_epochs=epochs)
        rec.estimator, rec.fold_data = est, (X_tr, y_tr, X_va, y_va)
        offset = k * epochs

        def on_epoch(logs: dict, offset: int = offset, fold: int = k) -> None:
            logs["step"] = offset + int(logs["epoch"])
            if cfg.split.cv:
                logs["fold"] = fold
            rec.history.append(logs)
            value = logs.get(key)
            if value is not None and math.isfinite(value):
                trial.report(float(value), logs["step"])
                if trial.should_prune():
                    rec.pruned_step = logs["step"]
                    raise optuna.TrialPruned(f"pruned at step {logs['step']}")
            if hooks.on_epoch is not None:
                hooks.on_epoch(trial, logs)

        fam.train(est, X_tr, y_tr, X_val=X_va, y_val=y_va, on_epoch=on_epoch)
        # Score the fitted model rather than trusting the last log: with early stopping the
        # estimator may have restored an earlier epoch's weights.
        rec.val_scores.append(_scores(est, X_va, y_va))
    acc = float(np.mean([a for a, _ in rec.val_scores]))
    ll = float(np.mean([b for _, b in rec.val_scores]))
    return acc if cfg.objective == "accuracy" else ll


def _trial_plots(
    task: WorkerTask, rec: _TrialRecord, out: Path, title: str, *, boundary: bool = True
) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    paths: list[Path] = []
    try:
        from nnfs_lab import plots
    except ImportError:  # pragma: no cover - plots is optional for sweeps
        plots = None
    if rec.history:
        try:
            if plots is not None:
                fig = plots.plot_learning_curves(rec.history, title=title)
            else:  # pragma: no cover
                fig, ax = plt.subplots()
                ax.plot([h.get("loss") for h in rec.history], label="loss")
                ax.legend()
            fig.savefig(out / "learning_curves.png", dpi=80)
            plt.close(fig)
            paths.append(out / "learning_curves.png")
        except Exception as exc:  # a broken plot must not fail the trial
            warnings.warn(f"learning-curve plot failed: {exc}", stacklevel=2)
    two_d = rec.fold_data is not None and rec.fold_data[0].shape[1] == 2
    if boundary and plots is not None and two_d:
        X_tr, y_tr, X_va, y_va = rec.fold_data
        try:
            fig = plots.plot_decision_boundary(
                rec.estimator, X_tr, y_tr, X_test=X_va, y_test=y_va, resolution=80, title=title
            )
            fig.savefig(out / "decision_boundary.png", dpi=80)
            plt.close(fig)
            paths.append(out / "decision_boundary.png")
        except Exception as exc:  # e.g. the model never finished one epoch
            warnings.warn(f"decision-boundary plot failed: {exc}", stacklevel=2)
    return paths


def _make_objective(task: WorkerTask, data: SplitData, client, hooks: SweepHooks):
    import optuna

    cfg = task.cfg
    model = cfg.model(task.family)
    study_name = cfg.study_name(task.family)

    def objective(trial: optuna.Trial) -> float:
        params = {**model.fixed, **suggest_params(trial, model.search)}
        run_id = tracking.start_trial_run(
            client,
            task.experiment_id,
            task.parent_run_id,
            study_name=study_name,
            family=task.family,
            trial_number=trial.number,
            params=params,
            extra_tags={"nnfs_lab.worker": str(task.worker_index)},
        )
        trial.set_user_attr("mlflow_run_id", run_id)
        rec = _TrialRecord()
        state = "FAIL"
        t0 = time.perf_counter()
        try:
            if hooks.before_trial is not None:
                hooks.before_trial(trial, params)
            value = _evaluate(task, data, trial, params, rec, hooks)
            if not math.isfinite(value):
                raise FloatingPointError(f"objective is not finite ({value})")
            state = "COMPLETE"
            return value
        except optuna.TrialPruned:
            state = "PRUNED"
            raise
        except BaseException as exc:
            rec.error = f"{type(exc).__name__}: {exc}"
            trial.set_user_attr("error", rec.error[:300])
            raise
        finally:
            _finish_trial(task, client, run_id, trial, state, rec, time.perf_counter() - t0)

    return objective


def _finish_trial(task, client, run_id, trial, state, rec, seconds) -> None:
    epochs = [h for h in rec.history if "seconds" in h]
    acc = [a for a, _ in rec.val_scores]
    ll = [b for _, b in rec.val_scores]
    final = {
        "trial_seconds": seconds,
        "n_epochs": float(len(rec.history)),
        "fit_seconds_per_epoch": (
            float(np.mean([h["seconds"] for h in epochs])) if epochs else math.nan
        ),
        "val_accuracy": float(np.mean(acc)) if acc else math.nan,
        "val_log_loss": float(np.mean(ll)) if ll else math.nan,
    }
    if rec.pruned_step is not None:
        final["pruned_step"] = float(rec.pruned_step)
    tags: dict[str, Any] = {}
    if rec.error:
        tags["nnfs_lab.error"] = rec.error[:4000]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            arts = []
            if task.cfg.trial_plots and state != "FAIL":
                title = f"{task.cfg.study_name(task.family)} trial {trial.number} ({state})"
                # Boundaries of completed trials only: a pruned model's map says little, and
                # the plot is a good share of a small trial's time.
                arts = _trial_plots(task, rec, Path(tmp), title, boundary=state == "COMPLETE")
            tracking.finish_trial_run(
                client,
                run_id,
                state=state,
                history=rec.history,
                final_metrics=final,
                tags=tags,
                artifacts=arts,
            )
    except Exception as exc:  # never hide the trial's own outcome behind a logging error
        warnings.warn(f"could not finish MLflow run {run_id}: {exc}", stacklevel=2)
        try:
            client.set_terminated(run_id, status=tracking.STATUS_OF_STATE.get(state, "FAILED"))
        except Exception:
            pass


def _progress_callback(task: WorkerTask, echo: Callable[[str], None]):
    label = f"{task.cfg.name}/{task.family} w{task.worker_index}"
    total = f"/{task.budget_total}" if task.budget_total else ""

    def callback(study, frozen) -> None:
        value = f"{frozen.value:.4f}" if frozen.value is not None else "-"
        if frozen.state.name == "PRUNED":  # its value is the last reported intermediate one
            value += f"@step{frozen.last_step}"
        try:
            best = f"{study.best_value:.4f}"
        except ValueError:
            best = "-"
        secs = (
            (frozen.datetime_complete - frozen.datetime_start).total_seconds()
            if frozen.datetime_complete and frozen.datetime_start
            else math.nan
        )
        note = ""
        if frozen.state.name == "FAIL":
            note = " " + str(frozen.user_attrs.get("error", "")) if frozen.user_attrs else ""
        echo(
            f"[{label}] trial {frozen.number + 1:>3}{total} {frozen.state.name:<8} "
            f"{task.cfg.objective}={value} best={best} ({secs:.1f}s){note}"
        )

    return callback


def run_worker(
    task: WorkerTask, hooks: SweepHooks | None = None, echo: Callable[[str], None] | None = None
) -> None:
    """Run ``task.n_trials`` trials (or until ``task.timeout``) of one study.

    The study, experiment and parent run must exist already (the driver creates them).
    """
    import optuna

    # Optuna logs a traceback per failed trial; the progress line already names the error.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    echo = echo or _print
    hooks = hooks or SweepHooks()
    client = tracking.get_client(task.tracking_uri)
    data = prepare_data(task.cfg)
    study = optuna.load_study(
        study_name=task.cfg.study_name(task.family),
        storage=make_storage(task.storage),
        sampler=_sampler(task.cfg, task.sampler_seed, task.budget_total),
        pruner=make_pruner(task.cfg),
    )
    with warnings.catch_warnings():
        # Optuna warns once per failed trial with the traceback; the progress line says it.
        warnings.filterwarnings("ignore", module="optuna")
        study.optimize(
            _make_objective(task, data, client, hooks),
            n_trials=task.n_trials,
            timeout=task.timeout,
            catch=(Exception,),
            callbacks=[_progress_callback(task, echo)],
        )


def _print(line: str) -> None:
    print(line, flush=True)


@contextlib.contextmanager
def _single_threaded_blas():
    """Environment for spawned workers: one BLAS thread each.

    N workers on N cores with multi-threaded BLAS would oversubscribe the machine; the variables
    must be set before the child imports NumPy, i.e. in the environment it is spawned with.
    """
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    for n in names:
        os.environ.setdefault(n, "1")
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def _spawned_worker(task: WorkerTask, hooks: SweepHooks | None) -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MPLBACKEND", "Agg")
    run_worker(task, hooks)


# --------------------------------------------------------------------------------------- driver


@dataclass
class SweepResult:
    """What one (experiment, family) sweep did in this session."""

    experiment: str
    family: str
    study_name: str
    experiment_id: str
    parent_run_id: str
    trials_run: int
    wall_seconds: float
    counts: dict[str, int]
    best_value: float | None = None
    best_params: dict[str, Any] = field(default_factory=dict)


def _recover_stale(study, storage, client, task_like: dict, *, heartbeat: bool) -> list[int]:
    """Mark trials left RUNNING by dead workers FAIL (and their MLflow runs FAILED).

    With a journal file only this driver's workers use the study, so at driver start every
    RUNNING trial is stale. An RDB storage has heartbeats: there Optuna decides.
    """
    import optuna
    from optuna.trial import TrialState

    running = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
    if heartbeat:
        optuna.storages.fail_stale_trials(study)
        still = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
        stale = [t for t in running if t.number not in still]
        for t in stale:
            storage.set_trial_user_attr(t._trial_id, _STALE_ATTR, True)
    else:
        stale = running
        for t in stale:
            storage.set_trial_user_attr(t._trial_id, _STALE_ATTR, True)
            storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
    if stale:
        tracking.fail_trial_runs(
            client,
            task_like["experiment_id"],
            task_like["parent_run_id"],
            study_name=study.study_name,
            family=task_like["family"],
            trial_numbers=[t.number for t in stale],
            reason="worker died (trial left RUNNING)",
        )
    return [t.number for t in stale]


def _parent_params(cfg: ExperimentConfig, model: ModelConfig, storage: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        "dataset": cfg.dataset.name,
        "objective": cfg.objective,
        "seed": cfg.seed,
        "max_epochs": cfg.budget.max_epochs,
        "validation": f"cv{cfg.split.cv}" if cfg.split.cv else f"holdout{cfg.split.validation}",
        "test_size": cfg.split.test_size,
        "pruner": cfg.pruner.kind,
        "sampler": "TPESampler",
    }
    params.update({f"dataset.{k}": v for k, v in cfg.dataset.params.items()})
    params.update({f"fixed.{k}": v for k, v in model.fixed.items()})
    for s in model.search:
        if s.kind == "categorical":
            desc = f"choice{[_encode(c) for c in s.choices]}"
        else:
            desc = f"{s.kind}[{s.low}, {s.high}]" + (" log" if s.log else "")
            desc += " +0" if s.allow_zero else ""
        if s.when:
            desc += f" when {s.when}"
        params[f"space.{s.name}"] = desc
    return params


def sweep(
    configs: Sequence[str | Path | ExperimentConfig],
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
    workers: int = 1,
    tracking_uri: str | None = None,
    storage: str | None = None,
    families: Sequence[str] | None = None,
    hooks: SweepHooks | None = None,
    echo: Callable[[str], None] | None = None,
    compare: bool = True,
) -> list[SweepResult]:
    """Run (or resume) the sweeps of each experiment and log the comparison.

    Parameters
    ----------
    configs : paths or ExperimentConfig
        Experiment files.
    n_trials, timeout : optional
        Override the files' budget (trials per model family, seconds per model family).
    workers : int
        Processes sharing each study (1 runs in this process).
    tracking_uri : str, optional
        MLflow store; default ``$MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``.
    storage : str, optional
        Optuna storage URL or journal path; default ``optuna-journal.log`` beside the store.
    families : sequence of str, optional
        Restrict to these model families.
    hooks : SweepHooks, optional
        Test hooks passed to the workers (must be picklable when ``workers > 1``).
    echo : callable, optional
        Receives progress lines (default: print).
    compare : bool
        Build and log the comparison run of each experiment at the end.

    Returns
    -------
    list of SweepResult
    """
    import optuna

    echo = echo or _print
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    uri = tracking.resolve_tracking_uri(tracking_uri)
    spec = resolve_storage(storage, uri)
    client = tracking.get_client(uri)
    storage_obj = make_storage(spec)
    heartbeat = not spec.startswith("journal:")
    results: list[SweepResult] = []
    for c in configs:
        cfg = c if isinstance(c, ExperimentConfig) else load_config(c)
        if n_trials is not None or timeout is not None:
            cfg = replace(
                cfg,
                budget=replace(
                    cfg.budget,
                    n_trials=n_trials if n_trials is not None else cfg.budget.n_trials,
                    timeout=timeout if timeout is not None else cfg.budget.timeout,
                ),
            )
        exp_id = tracking.ensure_experiment(client, cfg.name, uri)
        for model in cfg.models:
            if not model.enabled or (families and model.family not in families):
                continue
            results.append(
                _sweep_family(cfg, model, exp_id, client, uri, spec, storage_obj, heartbeat,
                              workers, hooks, echo)
            )  # fmt: skip
        if compare:
            from nnfs_lab import report

            comp = report.compare_experiment(client, exp_id, uri, log=True)
            echo("")
            echo(report.format_comparison(comp))
    return results


def _sweep_family(cfg, model, exp_id, client, uri, spec, storage_obj, heartbeat, workers, hooks,
                  echo) -> SweepResult:  # fmt: skip
    import multiprocessing as mp

    import optuna

    study_name = cfg.study_name(model.family)
    study = optuna.create_study(
        study_name=study_name,
        storage=storage_obj,
        direction=cfg.direction,
        load_if_exists=True,
    )
    parent_id = tracking.ensure_parent_run(
        client,
        exp_id,
        study_name=study_name,
        family=model.family,
        params=_parent_params(cfg, model, spec),
        tags={
            "nnfs_lab.storage": spec,
            "nnfs_lab.config_path": cfg.path,
            "mlflow.note.content": f"{FAMILY_ADAPTERS[model.family].label} sweep on "
            f"{cfg.dataset.name}. {cfg.description}",
        },
    )
    task_like = {"experiment_id": exp_id, "parent_run_id": parent_id, "family": model.family}
    stale = _recover_stale(study, storage_obj, client, task_like, heartbeat=heartbeat)
    if stale:
        echo(f"[{study_name}] trials {stale} were left RUNNING by a dead worker: marked FAIL")
    trials = study.get_trials(deepcopy=False)
    done = sum(_counted(t) for t in trials)
    budget = cfg.budget.n_trials
    remaining = None if budget is None else max(0, budget - done)
    if remaining is None:
        shares: list[int | None] = [None] * max(1, workers)
    else:
        w = max(1, min(workers, remaining))
        shares = [remaining // w + (i < remaining % w) for i in range(w)] if remaining else []
    echo(
        f"[{study_name}] {done} trials done, running {remaining if remaining is not None else '?'}"
        f" more with {len(shares)} worker(s) (tracking {uri}, storage {spec})"
    )
    t0 = time.perf_counter()
    tasks = [
        WorkerTask(
            cfg=cfg,
            family=model.family,
            storage=spec,
            tracking_uri=uri,
            experiment_id=exp_id,
            parent_run_id=parent_id,
            n_trials=share,
            timeout=cfg.budget.timeout,
            worker_index=i,
            sampler_seed=_worker_seed(cfg.seed, i, len(trials)),
            budget_total=budget,
        )
        for i, share in enumerate(shares)
    ]
    if len(tasks) == 1:
        run_worker(tasks[0], hooks, echo)
    elif tasks:
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_spawned_worker, args=(t, hooks)) for t in tasks]
        with _single_threaded_blas():
            for p in procs:
                p.start()
        try:
            for p in procs:
                p.join()
        except BaseException:
            for p in procs:  # only our own children, by handle
                if p.is_alive():
                    p.terminate()
            raise
        for p in procs:
            if p.exitcode != 0:
                echo(f"[{study_name}] worker pid {p.pid} exited with code {p.exitcode}")
    wall = time.perf_counter() - t0
    stale = _recover_stale(study, storage_obj, client, task_like, heartbeat=heartbeat)
    if stale:
        echo(f"[{study_name}] trials {stale} died with their worker: marked FAIL")
    ran = len(study.get_trials(deepcopy=False)) - len(trials)
    return _finalize_parent(cfg, model, study, client, uri, parent_id, wall, ran, echo)


def _state_counts(study) -> dict[str, int]:
    counts = {"COMPLETE": 0, "PRUNED": 0, "FAIL": 0}
    for t in study.get_trials(deepcopy=False):
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    return counts


def _finalize_parent(cfg, model, study, client, uri, parent_id, wall, ran, echo) -> SweepResult:
    """Log study-level results on the parent run; refit the best model over seeds."""
    from optuna.trial import TrialState

    counts = _state_counts(study)
    result = SweepResult(cfg.name, model.family, study.study_name, "", parent_id, ran, wall, counts)
    run = client.get_run(parent_id)
    result.experiment_id = run.info.experiment_id
    n_wall = len(client.get_metric_history(parent_id, "sweep_wall_seconds"))
    if ran or n_wall == 0:
        tracking.log_batch_chunked(
            client, parent_id, metrics=[("sweep_wall_seconds", wall, n_wall)]
        )
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    fingerprint = f"{len(study.trials)}:{counts}"
    tags = {f"nnfs_lab.trials_{k.lower()}": v for k, v in counts.items()}
    if not complete:
        tracking.log_batch_chunked(client, parent_id, tags={**tags, "nnfs_lab.best": "none"})
        client.set_terminated(parent_id, status="FAILED")
        echo(f"[{study.study_name}] no trial completed; nothing to refit")
        return result
    best = study.best_trial
    result.best_value = best.value
    result.best_params = {**model.fixed, **decode_params(model.search, best.params)}
    if run.data.tags.get("nnfs_lab.finalized") == fingerprint:
        client.set_terminated(parent_id, status="FINISHED")
        return result  # nothing new since the last finalization: a rerun stays cheap
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        study.trials_dataframe().to_csv(tmp / "trials.csv", index=False)
        (tmp / "config.toml").write_text(cfg.source or "", encoding="utf-8")
        arts = [tmp / "trials.csv", tmp / "config.toml"]
        arts += _study_plots(study, cfg, tmp, client, parent_id)
        for a in arts:
            client.log_artifact(parent_id, str(a))
        seeds_df, model_obj, X_example = _refit_over_seeds(cfg, model, result.best_params)
        seeds_df.to_csv(tmp / "seed_scores.csv", index=False)
        client.log_artifact(parent_id, str(tmp / "seed_scores.csv"))
    metrics = [("best_value", float(best.value), 0), ("best_trial_number", best.number, 0)]
    for i, row in seeds_df.iterrows():
        for k in ("test_accuracy", "test_log_loss", "fit_seconds_per_epoch", "n_epochs"):
            metrics.append((k, float(row[k]), int(i)))
    tags.update({f"best.{k}": v for k, v in result.best_params.items()})
    tags.update(
        {
            "nnfs_lab.best_trial": best.number,
            "nnfs_lab.best_run_id": best.user_attrs.get("mlflow_run_id", ""),
            "nnfs_lab.refit_seeds": ",".join(str(s) for s in seeds_df["seed"]),
        }
    )
    tracking.log_batch_chunked(client, parent_id, metrics=metrics, tags=tags)
    model_uri = tracking.log_model(uri, parent_id, model_obj, X_example)
    client.set_tag(parent_id, "nnfs_lab.model_uri", model_uri)
    client.set_tag(parent_id, "nnfs_lab.finalized", fingerprint)
    client.set_terminated(parent_id, status="FINISHED")
    echo(
        f"[{study.study_name}] best {cfg.objective}={best.value:.4f} (trial {best.number}); "
        f"refit over {len(seeds_df)} seeds + model logging took {time.perf_counter() - t0:.1f}s"
    )
    return result


def _study_plots(study, cfg, tmp: Path, client, parent_id: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import optuna
    import optuna.visualization.matplotlib as vis

    paths = []
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=cfg.seed)
    client.set_tag(
        parent_id, "importance_method", f"fanova (FanovaImportanceEvaluator, seed={cfg.seed})"
    )
    plots = {
        "optimization_history.png": lambda: vis.plot_optimization_history(study),
        "param_importances.png": lambda: vis.plot_param_importances(study, evaluator=evaluator),
        "intermediate_values.png": lambda: vis.plot_intermediate_values(study),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning on every matplotlib plot
        for name, make in plots.items():
            try:
                ax = make()
                fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
                fig.tight_layout()
                fig.savefig(tmp / name, dpi=90)
                plt.close(fig)
                paths.append(tmp / name)
            except Exception as exc:  # e.g. importances need 2+ completed trials
                client.set_tag(parent_id, f"nnfs_lab.plot_skipped.{name}", str(exc)[:500])
        try:
            imp = optuna.importance.get_param_importances(study, evaluator=evaluator)
            tracking.log_batch_chunked(
                client,
                parent_id,
                metrics=[(f"importance.{k}", float(v), 0) for k, v in imp.items()],
            )
        except Exception:
            pass
    return paths


def _refit_over_seeds(cfg: ExperimentConfig, model: ModelConfig, params: dict[str, Any]):
    """Refit ``params`` on the whole training split for each seed; score on the test split."""
    import pandas as pd
    from sklearn.pipeline import Pipeline

    fam = FAMILY_ADAPTERS[model.family]
    data = prepare_data(cfg)
    scaler = _make_scaler(cfg.dataset.scale)
    X_tr = data.X_train if scaler is None else scaler.fit_transform(data.X_train)
    X_te = data.X_test if scaler is None else scaler.transform(data.X_test)
    rows, first = [], None
    timer = getattr(fam, "epoch_seconds", None)  # a family whose training loop is not its fit
    for i in range(cfg.budget.refit_seeds):
        seed = cfg.seed + i
        est = fam.build(params, seed=seed, max_epochs=cfg.budget.max_epochs)
        t0 = time.perf_counter()
        history = fam.train(est, X_tr, data.y_train)
        fit_seconds = time.perf_counter() - t0
        acc, ll = _scores(est, X_te, data.y_test)
        secs = [h["seconds"] for h in history if "seconds" in h]
        rows.append(
            {
                "seed": seed,
                "test_accuracy": acc,
                "test_log_loss": ll,
                "fit_seconds": fit_seconds,
                "n_epochs": len(history),
                "fit_seconds_per_epoch": float(np.mean(secs)) if secs else fit_seconds,
            }
        )
        if timer is not None:
            rows[-1]["fit_seconds_per_epoch"] = timer(
                params, X_tr, data.y_train, seed=seed, max_epochs=cfg.budget.max_epochs
            )
        if first is None:
            first = est
    model_obj = first if scaler is None else Pipeline([("scale", scaler), ("model", first)])
    return pd.DataFrame(rows), model_obj, data.X_test[:5]


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `nnfs-lab sweep`")
