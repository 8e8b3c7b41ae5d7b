"""The Optuna objective: one trial fits one configuration of one family on each validation fold.

A trial samples its parameters (:mod:`~nnfs_lab.sweeps.space`), trains each fold under the
family's protocol (:mod:`~nnfs_lab.sweeps.families`), reports the validation metric to the pruner
at the steps it evaluates, and returns the mean validation score. Every trial is an MLflow child
run whose status follows the trial: COMPLETE -> FINISHED, PRUNED -> KILLED, FAIL -> FAILED.
"""

from __future__ import annotations

import math
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnfs_lab import tracking
from nnfs_lab.nn import logs
from nnfs_lab.sweeps.attrs import ATTR_ERROR, ATTR_FIT_SECONDS, ATTR_RETRY_OF, ATTR_RUN_ID
from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.data import SplitData, fold_arrays
from nnfs_lab.sweeps.families import get_family, probability_scores
from nnfs_lab.sweeps.figures import trial_plots
from nnfs_lab.sweeps.sampling import pruner_can_act
from nnfs_lab.sweeps.space import suggest_params

__all__ = ["SweepHooks", "TrialContext", "TrialRecord", "make_objective"]


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
class TrialRecord:
    """What a trial leaves behind for its MLflow run, whatever its outcome."""

    history: list[dict] = field(default_factory=list)
    #: ``(estimator, X_tr, y_tr, X_va, y_va)`` of the last fold trained.
    fitted: tuple | None = None
    val_scores: list[tuple[float, float]] = field(default_factory=list)
    pruned_step: int | None = None
    error: str | None = None

    @property
    def fit_seconds(self) -> float:
        """Seconds spent inside the training epochs, over all folds."""
        return float(sum(h[logs.SECONDS] for h in self.history if logs.SECONDS in h))


def _epoch_hook(ctx: TrialContext, trial, rec: TrialRecord, *, fold: int) -> Callable:
    import optuna

    cfg = ctx.cfg
    key = logs.VAL_SCORE if cfg.objective == "accuracy" else logs.VAL_LOSS
    offset = fold * cfg.budget.max_epochs

    def on_epoch(record: dict) -> None:
        step = record["step"] = offset + int(record[logs.EPOCH])
        if cfg.split.cv:
            record["fold"] = fold
        rec.history.append(record)
        value = record.get(key)
        if value is not None and math.isfinite(value) and pruner_can_act(cfg.pruner, step):
            trial.report(float(value), step)
            if trial.should_prune():
                rec.pruned_step = step
                raise optuna.TrialPruned(f"pruned at step {step}")
        if ctx.hooks.on_epoch is not None:
            ctx.hooks.on_epoch(trial, record)

    return on_epoch


def _evaluate(ctx: TrialContext, data: SplitData, trial, params, rec: TrialRecord) -> float:
    cfg = ctx.cfg
    fam = get_family(ctx.family)
    for k in range(len(data.folds)):
        X_tr, y_tr, X_va, y_va = fold_arrays(data, k, cfg.dataset.scale)
        est = fam.build(params, seed=cfg.seed, max_epochs=cfg.budget.max_epochs)
        rec.fitted = (est, X_tr, y_tr, X_va, y_va)
        on_epoch = _epoch_hook(ctx, trial, rec, fold=k)
        fam.train(est, X_tr, y_tr, X_val=X_va, y_val=y_va, on_epoch=on_epoch)
        # Score the fitted model rather than trusting the last log: with early stopping the
        # estimator may have restored an earlier epoch's weights.
        rec.val_scores.append(probability_scores(est, X_va, y_va))
    acc = float(np.mean([a for a, _ in rec.val_scores]))
    ll = float(np.mean([b for _, b in rec.val_scores]))
    return acc if cfg.objective == "accuracy" else ll


def _start_run(ctx: TrialContext, trial, params: dict[str, Any]) -> str:
    extra = {"nnfs_lab.worker": ctx.worker}
    retried = trial.user_attrs.get(ATTR_RETRY_OF)
    if retried is not None:
        extra["nnfs_lab.retry_of_trial"] = str(retried)
    run_id = tracking.start_trial_run(
        ctx.client, ctx.experiment_id, ctx.parent_run_id,
        study_name=ctx.cfg.study_name(ctx.family), family=ctx.family,
        trial_number=trial.number, params=params, extra_tags=extra,
    )  # fmt: skip
    trial.set_user_attr(ATTR_RUN_ID, run_id)
    return run_id


def make_objective(ctx: TrialContext, data: SplitData) -> Callable[[Any], float]:
    """The Optuna objective of one family: sample, fit, report, log the trial's MLflow run.

    Raises ``optuna.TrialPruned`` for pruned trials; any other exception (including a diverged
    fit) means the trial failed. Either way the child run is finished before the exception
    leaves, with its status, metrics, error and plots.
    """
    import optuna

    model = ctx.cfg.model(ctx.family)

    def objective(trial: optuna.Trial) -> float:
        params = {**model.fixed, **suggest_params(trial, model.search)}
        run_id = _start_run(ctx, trial, params)
        rec, state, t0 = TrialRecord(), "FAIL", time.perf_counter()
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
            trial.set_user_attr(ATTR_FIT_SECONDS, rec.fit_seconds)
            _finish_trial(ctx, run_id, trial, state, rec, time.perf_counter() - t0)

    return objective


def _final_metrics(rec: TrialRecord, seconds: float) -> dict[str, float]:
    epochs = [h[logs.SECONDS] for h in rec.history if logs.SECONDS in h]
    acc = [a for a, _ in rec.val_scores]
    ll = [b for _, b in rec.val_scores]
    final = {
        "trial_seconds": seconds,
        "n_epochs": float(len(rec.history)),
        "fit_seconds_per_epoch": float(np.mean(epochs)) if epochs else math.nan,
        "val_accuracy": float(np.mean(acc)) if acc else math.nan,
        "val_log_loss": float(np.mean(ll)) if ll else math.nan,
    }
    if rec.pruned_step is not None:
        final["pruned_step"] = float(rec.pruned_step)
    return final


def _finish_trial(ctx: TrialContext, run_id, trial, state, rec: TrialRecord, seconds) -> None:
    tags = {"nnfs_lab.error": rec.error[:4000]} if rec.error else {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            arts = []
            if ctx.cfg.trial_plots and state != "FAIL":
                title = f"{ctx.cfg.study_name(ctx.family)} trial {trial.number} ({state})"
                # Boundaries of completed trials only: a pruned model's map says little, and
                # the plot is a good share of a small trial's time.
                arts = trial_plots(rec.history, rec.fitted, Path(tmp), title,
                                   boundary=state == "COMPLETE")  # fmt: skip
            tracking.finish_trial_run(
                ctx.client, run_id, state=state, history=rec.history,
                final_metrics=_final_metrics(rec, seconds), tags=tags, artifacts=arts,
            )  # fmt: skip
    except Exception as exc:  # never hide the trial's own outcome behind a logging error
        warnings.warn(f"could not finish MLflow run {run_id}: {exc}", stacklevel=2)
        try:
            ctx.client.set_terminated(run_id, status=tracking.STATUS_OF_STATE.get(state, "FAILED"))
        except Exception:
            pass
