"""The Optuna objective: one trial fits one configuration of one family on each validation fold.

A trial samples its parameters (:mod:`~nnfs_lab.sweeps.space`), trains each fold under the shared
protocol (:mod:`~nnfs_lab.sweeps.protocol`), reports the validation metric to the pruner at the
steps it evaluates, and returns the mean validation score over folds. Its MLflow child run gets
one batched write when the trial ends (per-epoch curves as steps, summary values at step 0), and
its status follows the trial: COMPLETE -> FINISHED, PRUNED -> KILLED, FAIL -> FAILED. Nothing is
drawn here: figures are made after the study (:mod:`~nnfs_lab.sweeps.summary`).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnfs_lab import tracking
from nnfs_lab.nn import logs
from nnfs_lab.sweeps.attrs import ATTR_ERROR, ATTR_FIT_SECONDS, ATTR_RETRY_OF, ATTR_RUN_ID
from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.data import SplitData, fold_arrays
from nnfs_lab.sweeps.families import get_family
from nnfs_lab.sweeps.protocol import (
    TRAIN_LOSS,
    VAL_ACCURACY,
    VAL_LOSS,
    EpochProtocol,
    StoppingRule,
)
from nnfs_lab.sweeps.provenance import environment_tags
from nnfs_lab.sweeps.sampling import pruner_can_act
from nnfs_lab.sweeps.space import suggest_params

__all__ = [
    "OPTUNA_PARAMS_TAG",
    "SweepHooks",
    "TrialContext",
    "TrialRecord",
    "curve_history",
    "is_curve_point",
    "make_objective",
    "trial_note",
    "trial_summary",
]


#: Trial-run tag holding the trial's Optuna parameters as JSON.
OPTUNA_PARAMS_TAG = "nnfs_lab.optuna_params"


@dataclass
class SweepHooks:
    """Injection points (tests, debugging); both may raise ``optuna.TrialPruned`` or any error.

    before_trial(trial, params) runs after sampling, before fitting; on_epoch(trial, record)
    after every epoch's pruning check. Must be picklable when workers run in other processes.
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
    #: (accuracy, log loss) of each finished fold, on its validation data.
    val_scores: list[tuple[float, float]] = field(default_factory=list)
    pruned_step: int | None = None
    error: str | None = None
    #: Seconds in the families' training loops (epochs and the per-epoch validation scoring
    #: the protocol needs), without the time spent reporting to Optuna's pruner.
    fit_seconds: float = 0.0
    report_seconds: float = 0.0


def _then(ctx: TrialContext, trial, rec: TrialRecord, *, fold: int) -> Callable:
    """Per-epoch continuation: the step number, pruning, the test hook."""
    import optuna

    cfg = ctx.cfg
    key = VAL_ACCURACY if cfg.objective == "accuracy" else VAL_LOSS
    offset = fold * cfg.budget.max_epochs

    def then(record: dict) -> None:
        step = record["step"] = offset + int(record[logs.EPOCH])
        if cfg.split.cv:
            record["fold"] = fold
        rec.history.append(record)
        value = record.get(key)
        if value is not None and math.isfinite(value) and pruner_can_act(cfg.pruner, step):
            t0 = time.perf_counter()
            trial.report(float(value), step)
            prune = trial.should_prune()
            rec.report_seconds += time.perf_counter() - t0
            if prune:
                rec.pruned_step = step
                raise optuna.TrialPruned(f"pruned at step {step}")
        if ctx.hooks.on_epoch is not None:
            ctx.hooks.on_epoch(trial, record)

    return then


def _evaluate(ctx: TrialContext, data: SplitData, trial, params, rec: TrialRecord) -> float:
    cfg = ctx.cfg
    fam = get_family(ctx.family)
    for k in range(len(data.folds)):
        X_tr, y_tr, X_va, y_va = fold_arrays(data, k, cfg.dataset.scale)
        est = fam.build(params, seed=cfg.seed, max_epochs=cfg.budget.max_epochs)
        offset = k * cfg.budget.max_epochs
        protocol = EpochProtocol(
            X_va, y_va, StoppingRule(cfg.protocol), then=_then(ctx, trial, rec, fold=k),
            score_epoch=lambda e, o=offset: is_curve_point(cfg, e, o + e),
        )  # fmt: skip
        t0, reported = time.perf_counter(), rec.report_seconds
        try:
            fam.train(est, X_tr, y_tr, on_epoch=protocol)
            last = protocol.finish(est)  # scored on the model as it ended
        finally:
            rec.fit_seconds += time.perf_counter() - t0 - (rec.report_seconds - reported)
        rec.val_scores.append((last[VAL_ACCURACY], last[VAL_LOSS]))
    acc = float(np.mean([a for a, _ in rec.val_scores]))
    ll = float(np.mean([b for _, b in rec.val_scores]))
    return acc if cfg.objective == "accuracy" else ll


def _start_run(ctx: TrialContext, trial) -> str:
    extra = {"nnfs_lab.worker": ctx.worker, **environment_tags()}
    retried = trial.user_attrs.get(ATTR_RETRY_OF)
    if retried is not None:
        extra["nnfs_lab.retry_of_trial"] = str(retried)
    run_id = tracking.start_trial_run(
        ctx.client, ctx.experiment_id, ctx.parent_run_id,
        study_name=ctx.cfg.study_name(ctx.family), family=ctx.family,
        trial_number=trial.number, params={}, extra_tags=extra,
    )  # fmt: skip
    trial.set_user_attr(ATTR_RUN_ID, run_id)
    return run_id


def make_objective(ctx: TrialContext, data: SplitData) -> Callable[[Any], float]:
    """The Optuna objective of one family: sample, fit, report, log the trial's MLflow run.

    Raises ``optuna.TrialPruned`` for pruned trials; any other exception (including a diverged
    fit) means the trial failed. Either way the child run is finished before the exception
    leaves, with its status, metrics and error.
    """
    import optuna

    model = ctx.cfg.model(ctx.family)

    def objective(trial: optuna.Trial) -> float:
        params = {**model.fixed, **suggest_params(trial, model.search)}
        run_id = _start_run(ctx, trial)
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
            _finish_trial(ctx, trial, run_id, state, rec, params, time.perf_counter() - t0)

    return objective


def trial_summary(rec: TrialRecord, seconds: float) -> dict[str, float]:
    """A trial's single values (logged at step 0, named apart from the per-epoch curves)."""
    acc = [a for a, _ in rec.val_scores]
    ll = [b for _, b in rec.val_scores]
    n_epochs = len(rec.history)
    final = {
        "trial_seconds": seconds,
        "fit_seconds": rec.fit_seconds,
        "n_epochs": float(n_epochs),
        "ms_per_epoch": 1000 * rec.fit_seconds / n_epochs if n_epochs else math.nan,
        "val_accuracy_mean": float(np.mean(acc)) if acc else math.nan,
        "val_log_loss_mean": float(np.mean(ll)) if ll else math.nan,
    }
    if rec.pruned_step is not None:
        final["pruned_step"] = float(rec.pruned_step)
    return final


def trial_note(ctx: TrialContext, number: int, state: str, summary: dict[str, float]) -> str:
    """A trial run's one-line description (MLflow shows it on the run's page)."""
    acc, n = summary.get("val_accuracy_mean", math.nan), int(summary.get("n_epochs", 0))
    score = f"val accuracy {acc:.4f}" if math.isfinite(acc) else "no validation score"
    return (f"Trial {number} of Optuna study {ctx.cfg.study_name(ctx.family)}: {state}, "
            f"{score} after {n} epochs.")  # fmt: skip


#: Most evenly spaced points of a curve per fold, besides the pruner's steps and the last epoch.
#: Each point is a validation scoring (up to a fifth of a small network's epoch) and a row
#: MLflow's store inserts and indexes (~0.1 ms on sqlite): 40 points draw a 200-epoch curve.
MAX_CURVE_POINTS = 40


def is_curve_point(cfg: ExperimentConfig, epoch: int, step: int) -> bool:
    """Whether a trial scores epoch ``epoch`` (trial step ``step``) on its validation data and
    logs it as a curve point: the first epoch, every ``ceil(max_epochs / MAX_CURVE_POINTS)``-th,
    the last of the budget, and every step the pruner judges. The same epochs in every trial
    of every family; under a stopping rule every epoch is scored, these are still the logged.
    """
    stride = -(-cfg.budget.max_epochs // MAX_CURVE_POINTS)
    return (epoch == 1 or epoch % stride == 0 or epoch == cfg.budget.max_epochs
            or pruner_can_act(cfg.pruner, step))  # fmt: skip


def curve_history(history: list[dict], cfg: ExperimentConfig) -> list[dict]:
    """The per-epoch records as MLflow curves: the protocol's metrics (the learning rate only
    when it changes) at the curve points of each fold (:func:`is_curve_point`), last epoch kept."""
    keep = [TRAIN_LOSS, VAL_LOSS, VAL_ACCURACY]
    if len({h.get(logs.LEARNING_RATE) for h in history}) > 1:
        keep.append(logs.LEARNING_RATE)
    by_fold: dict[Any, list[dict]] = {}
    for h in history:
        by_fold.setdefault(h.get("fold"), []).append(h)
    out = []
    for records in by_fold.values():
        picked = [h for h in records[:-1] if is_curve_point(cfg, int(h[logs.EPOCH]), h["step"])]
        out += [{"step": h["step"], **{k: h[k] for k in keep if k in h}}
                for h in picked + records[-1:]]  # fmt: skip
    return out


def _finish_trial(ctx: TrialContext, trial, run_id: str, state: str, rec: TrialRecord,
                  params: dict[str, Any], seconds: float) -> None:  # fmt: skip
    tags = {"nnfs_lab.error": rec.error[:4000]} if rec.error else {}
    # Optuna's own values (scalars, e.g. "64x32"), exact: what `nnfs-lab replay` rebuilds from.
    tags[OPTUNA_PARAMS_TAG] = json.dumps(trial.params)
    summary = trial_summary(rec, seconds)
    tags[tracking.NOTE_TAG] = trial_note(ctx, trial.number, state, summary)
    try:
        tracking.finish_trial_run(
            ctx.client, run_id, state=state, history=curve_history(rec.history, ctx.cfg),
            final_metrics=summary, tags=tags,
            # Shared ideas under shared names (lr, l2, hidden_layers...), natives as nnfs.* / mlp.*
            params=tracking.canonical_params(ctx.family, params),
        )  # fmt: skip
    except Exception as exc:  # never hide the trial's own outcome behind a logging error
        warnings.warn(f"could not finish MLflow run {run_id}: {exc}", stacklevel=2)
        try:
            ctx.client.set_terminated(run_id, status=tracking.STATUS_OF_STATE.get(state, "FAILED"))
        except Exception:
            pass
