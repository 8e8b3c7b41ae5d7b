"""Optuna side of a sweep: data splits, model families, search spaces, storages and the objective.

One *trial* fits one configuration of one model family (``nnfs`` = NNFSClassifier, ``mlp`` =
scikit-learn's MLPClassifier) on each validation fold and returns the mean validation score. The
objective reports the score after every epoch so the pruner can stop a poor trial early: NNFS
through its ``callbacks``, MLPClassifier through one ``partial_fit`` call per epoch. Every trial is
an MLflow child run (parameters, per-epoch metrics in one batch, final metrics, plots) whose status
follows the trial: COMPLETE -> FINISHED, PRUNED -> KILLED, FAIL -> FAILED.

The worker loop that runs trials lives in :mod:`nnfs_lab.workers`; the driver that creates the
stores and summarizes a sweep in :mod:`nnfs_lab.sweeps`.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfs_lab import tracking
from nnfs_lab.config import ExperimentConfig, ParamSpec

if TYPE_CHECKING:
    import optuna

__all__ = [
    "FAMILY_ADAPTERS",
    "SplitData",
    "SweepHooks",
    "TrialContext",
    "decode_params",
    "make_objective",
    "make_pruner",
    "make_sampler",
    "make_storage",
    "prepare_data",
    "resolve_storage",
    "scores",
    "suggest_params",
]

#: Trial user attributes written by the objective.
ATTR_RUN_ID = "mlflow_run_id"
ATTR_ERROR = "error"
ATTR_RETRY_OF = "nnfs_lab.retry_of_trial"  # set by the worker on a retried trial
ATTR_FIT_SECONDS = "fit_seconds"  # seconds spent inside the estimators' training epochs

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


def scores(est: Any, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
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
        from sklearn.exceptions import ConvergenceWarning

        from nnfs_lab.callbacks import LambdaCallback

        cb = None
        if on_epoch is not None:
            cb = [LambdaCallback(on_epoch_end=lambda _est, _epoch, logs: on_epoch(dict(logs)))]
        est.set_params(callbacks=cb)
        try:
            val = (X_val, y_val) if X_val is not None else None
            with warnings.catch_warnings():
                # The epoch budget is the sweep's choice, not a problem to warn about per trial.
                warnings.simplefilter("ignore", ConvergenceWarning)
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
                "train_score": scores(est, X[sub], y[sub])[0],
                "learning_rate": float(getattr(opt, "learning_rate", math.nan)),
                "seconds": seconds,
            }
            if X_val is not None:
                logs["val_score"], logs["val_loss"] = scores(est, X_val, y_val)
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


# ---------------------------------------------------------------------------------- storages


def resolve_storage(storage: str | None, tracking_uri: str) -> str:
    """The Optuna storage spec: ``--storage`` if given, else a journal file beside the store.

    A value with ``://`` is an RDB URL (``postgresql://...``, ``sqlite:///...``); anything else
    (optionally prefixed ``journal:``) is a journal file path.
    """
    if storage is None:
        return "journal:" + str(tracking.default_journal_path(tracking_uri))
    if "://" in storage:
        db, mlflow_db = tracking.sqlite_path(storage), tracking.sqlite_path(tracking_uri)
        if db is not None and mlflow_db is not None and db.resolve() == mlflow_db.resolve():
            raise ValueError(
                f"Optuna storage {storage} is the MLflow database; use a separate file "
                "(Optuna's writes from several processes would lock MLflow's)"
            )
        return storage
    path = storage.removeprefix("journal:")
    return "journal:" + str(Path(path).resolve())


def storage_label(spec: str) -> str:
    """A spec safe to print and log (password masked)."""
    return tracking.mask_url(spec)


def make_storage(
    spec: str,
    *,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    stale_callback: Callable[[Any, Any], None] | None = None,
) -> Any:
    """An Optuna storage object from :func:`resolve_storage`'s spec.

    A journal file is safe for several processes on one machine (16 ran cleanly where sqlite
    said "database is locked"). An RDB URL gets heartbeats: a trial whose worker stops beating
    for ``grace_period`` seconds is failed by the next worker that looks, and
    ``stale_callback(study, trial)`` runs (it retries the trial and ends its MLflow run).

    Raises
    ------
    nnfs_lab.tracking.StoreError
        When the storage cannot be opened; the message names it with the password masked.
    """
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if spec.startswith("journal:"):
        path = Path(spec.removeprefix("journal:"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(str(path)))
        except OSError as exc:
            raise tracking.StoreError(f"cannot open Optuna journal {path}: {exc}") from None
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if spec.startswith("postgres"):
        # Fail in seconds, not after the OS's TCP timeout, when the server is unreachable.
        engine_kwargs["connect_args"] = {"connect_timeout": 10}
    shown = storage_label(spec)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                spec,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=stale_callback if heartbeat_interval else None,
            )
    except ModuleNotFoundError as exc:
        raise tracking.StoreError(
            f"Optuna storage {shown}: missing database driver {exc.name!r} "
            "(for postgresql:// URLs SQLAlchemy 2.1 uses psycopg 3: pip install 'psycopg[binary]')"
        ) from None
    except Exception as exc:
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = tracking._scrub(lines[0] if lines else type(exc).__name__, spec)
        raise tracking.StoreError(f"cannot open Optuna storage {shown}: {reason}") from None


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


def make_sampler(cfg: ExperimentConfig, seed: int) -> optuna.samplers.BaseSampler:
    """Seeded TPE. ``constant_liar`` keeps parallel workers from proposing the same point."""
    import optuna

    startup = max(3, min(10, (cfg.budget.n_trials or 30) // 3))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)


def sampler_seed(cfg_seed: int, *salt: int | str) -> int:
    """A seed derived from the experiment's seed and ``salt`` (worker index, trials so far...).

    Distinct per worker (identical seeds would make workers propose identical random trials)
    and per resume (a resumed sweep must not replay the first session's random start).
    """
    ints = [cfg_seed] + [s if isinstance(s, int) else int.from_bytes(s.encode()[:8], "little")
                         for s in salt]  # fmt: skip
    return int(np.random.SeedSequence(ints).generate_state(1)[0])


# ---------------------------------------------------------------------------------- objective


@dataclass
class SweepHooks:
    """Injection points (tests, debugging); both may raise ``optuna.TrialPruned`` or any error.

    before_trial(trial, params) runs after sampling, before fitting; on_epoch(trial, logs) after
    every epoch's pruning check. Must be picklable when workers run in other processes.
    """

    before_trial: Callable[[Any, dict[str, Any]], None] | None = None
    on_epoch: Callable[[Any, dict[str, Any]], None] | None = None


@dataclass
class TrialContext:
    """What the objective needs besides the trial: config, family and where to log."""

    cfg: ExperimentConfig
    family: str
    client: Any  # MlflowClient
    experiment_id: str
    parent_run_id: str
    worker: str = "0"
    hooks: SweepHooks = field(default_factory=SweepHooks)


@dataclass
class _TrialRecord:
    history: list[dict] = field(default_factory=list)
    estimator: Any = None
    fold_data: tuple | None = None
    val_scores: list[tuple[float, float]] = field(default_factory=list)
    pruned_step: int | None = None
    error: str | None = None


def _pruner_can_act(pruner: Any, step: int) -> bool:
    """Whether a report at ``step`` can change a pruning decision.

    Every ``trial.report`` on the journal storage is an fsync'd append (~1 ms, measured by
    ``make bench``), so steps the pruner ignores are not reported: none at all without a
    pruner, and for the median pruner only the steps it evaluates (``n_warmup_steps`` onward,
    every ``interval_steps``). Every trial reports the same steps, so the medians compare like
    with like. Per-epoch curves go to MLflow regardless.
    """
    if pruner.kind == "none":
        return False
    if pruner.kind == "median":
        since = step - pruner.n_warmup_steps
        return since >= 0 and since % pruner.interval_steps == 0
    return True


def _evaluate(ctx: TrialContext, data: SplitData, trial, params, rec: _TrialRecord) -> float:
    import optuna

    cfg, hooks = ctx.cfg, ctx.hooks
    fam = FAMILY_ADAPTERS[ctx.family]
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
            if (
                value is not None
                and math.isfinite(value)
                and _pruner_can_act(cfg.pruner, logs["step"])
            ):
                trial.report(float(value), logs["step"])
                if trial.should_prune():
                    rec.pruned_step = logs["step"]
                    raise optuna.TrialPruned(f"pruned at step {logs['step']}")
            if hooks.on_epoch is not None:
                hooks.on_epoch(trial, logs)

        fam.train(est, X_tr, y_tr, X_val=X_va, y_val=y_va, on_epoch=on_epoch)
        # Score the fitted model rather than trusting the last log: with early stopping the
        # estimator may have restored an earlier epoch's weights.
        rec.val_scores.append(scores(est, X_va, y_va))
    acc = float(np.mean([a for a, _ in rec.val_scores]))
    ll = float(np.mean([b for _, b in rec.val_scores]))
    return acc if cfg.objective == "accuracy" else ll


def make_objective(ctx: TrialContext, data: SplitData) -> Callable[[Any], float]:
    """The Optuna objective of one family: sample, fit, report, log the trial's MLflow run.

    Raises ``optuna.TrialPruned`` for pruned trials; any other exception (including a diverged
    fit) means the trial failed. Either way the child run is finished before the exception
    leaves, with its status, metrics, error and plots.
    """
    import optuna

    cfg = ctx.cfg
    model = cfg.model(ctx.family)
    study_name = cfg.study_name(ctx.family)

    def objective(trial: optuna.Trial) -> float:
        params = {**model.fixed, **suggest_params(trial, model.search)}
        extra = {"nnfs_lab.worker": ctx.worker}
        retried = trial.user_attrs.get(ATTR_RETRY_OF)
        if retried is not None:
            extra["nnfs_lab.retry_of_trial"] = str(retried)
        run_id = tracking.start_trial_run(
            ctx.client,
            ctx.experiment_id,
            ctx.parent_run_id,
            study_name=study_name,
            family=ctx.family,
            trial_number=trial.number,
            params=params,
            extra_tags=extra,
        )
        trial.set_user_attr(ATTR_RUN_ID, run_id)
        rec = _TrialRecord()
        state = "FAIL"
        t0 = time.perf_counter()
        try:
            if ctx.hooks.before_trial is not None:
                ctx.hooks.before_trial(trial, params)
            value = _evaluate(ctx, data, trial, params, rec)
            if not math.isfinite(value):
                raise FloatingPointError(f"objective is not finite ({value})")
            state = "COMPLETE"
            return value
        except optuna.TrialPruned:
            state = "PRUNED"
            raise
        except BaseException as exc:
            rec.error = f"{type(exc).__name__}: {exc}"
            trial.set_user_attr(ATTR_ERROR, rec.error[:300])
            raise
        finally:
            fit = sum(h["seconds"] for h in rec.history if "seconds" in h)
            trial.set_user_attr(ATTR_FIT_SECONDS, float(fit))
            _finish_trial(ctx, run_id, trial, state, rec, time.perf_counter() - t0)

    return objective


def _finish_trial(ctx: TrialContext, run_id, trial, state, rec: _TrialRecord, seconds) -> None:
    import tempfile

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
            if ctx.cfg.trial_plots and state != "FAIL":
                title = f"{ctx.cfg.study_name(ctx.family)} trial {trial.number} ({state})"
                # Boundaries of completed trials only: a pruned model's map says little, and
                # the plot is a good share of a small trial's time.
                arts = _trial_plots(rec, Path(tmp), title, boundary=state == "COMPLETE")
            tracking.finish_trial_run(
                ctx.client,
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
            ctx.client.set_terminated(run_id, status=tracking.STATUS_OF_STATE.get(state, "FAILED"))
        except Exception:
            pass


def _trial_plots(rec: _TrialRecord, out: Path, title: str, *, boundary: bool) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from nnfs_lab import plots

    paths: list[Path] = []
    if rec.history:
        try:
            fig = plots.plot_learning_curves(rec.history, title=title)
            fig.savefig(out / "learning_curves.png", dpi=80)
            plt.close(fig)
            paths.append(out / "learning_curves.png")
        except Exception as exc:  # a broken plot must not fail the trial
            warnings.warn(f"learning-curve plot failed: {exc}", stacklevel=2)
    two_d = rec.fold_data is not None and rec.fold_data[0].shape[1] == 2
    if boundary and two_d:
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
