"""A study's summary on its MLflow parent run, written once the workers are done.

The parent gets the best parameters and value, the trials table, Optuna's figures and parameter
importances, the best trials' learning curves (on their own runs), the best configuration scored
on the held-out folds (:mod:`~nnfs_lab.sweeps.evaluation`; per-fold table and headline means),
and the model to ship: refit on all development data, with its decision boundary while it
trained (2-D data) as images with ``step=epoch`` and as one GIF.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfs_lab import tracking
from nnfs_lab.sweeps.attrs import ATTR_FIT_SECONDS, ATTR_RUN_ID
from nnfs_lab.sweeps.budget import budget_status
from nnfs_lab.sweeps.config import ExperimentConfig, ModelConfig
from nnfs_lab.sweeps.data import SplitData, prepare_data, scale_split
from nnfs_lab.sweeps.evaluation import evaluate_family, refit_on_development
from nnfs_lab.sweeps.figures import log_boundary_frames, log_trial_curves, study_plots
from nnfs_lab.sweeps.generations import best_trial
from nnfs_lab.sweeps.space import decode_params, describe_space

__all__ = ["SweepResult", "finalize_parent", "parent_params", "summary_table", "trials_table"]


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
    #: Seconds inside the estimators' training epochs, and in whole trials, this session.
    fit_seconds: float = 0.0
    trial_seconds: float = 0.0
    workers: int = 1

    @property
    def fit_share(self) -> float:
        """Share of the workers' time spent training (the rest is bookkeeping and idling)."""
        busy = self.workers * self.wall_seconds
        return self.fit_seconds / busy if busy > 0 else math.nan


def parent_params(cfg: ExperimentConfig, model: ModelConfig) -> dict[str, Any]:
    """The parent run's parameters: the protocol, fixed values and the search space."""
    params: dict[str, Any] = {
        "dataset": cfg.dataset.name,
        "objective": cfg.objective,
        "seed": cfg.seed,
        "max_epochs": cfg.budget.max_epochs,
        "validation": f"cv{cfg.split.cv}" if cfg.split.cv else f"holdout{cfg.split.validation}",
        "test_size": cfg.split.test_size,
        "pruner": cfg.pruner.kind,
        "sampler": "TPESampler",
        "stopping": cfg.protocol.stopping,
        "evaluation": f"{cfg.evaluation.repeats}x{cfg.evaluation.folds}-fold of the held-out set",
    }
    params.update({f"dataset.{k}": v for k, v in cfg.dataset.params.items()})
    params.update({f"fixed.{k}": v for k, v in model.fixed.items()})
    params.update(describe_space(model.search))
    return params


def trials_table(study: Any):
    """Optuna's trials table (durations in seconds) plus each trial's MLflow run id."""
    df = study.trials_dataframe(attrs=("number", "value", "state", "duration", "params",
                                       "user_attrs", "system_attrs"))  # fmt: skip
    keep = [c for c in df.columns if not c.startswith("system_attrs_") or c in
            ("system_attrs_failed_trial",)]  # fmt: skip
    df = df[keep]
    if "duration" in df:
        df = df.assign(duration=df["duration"].dt.total_seconds()).rename(
            columns={"duration": "duration_seconds"}
        )
    return df


def _log_importances(study: Any, cfg: ExperimentConfig, client, parent_id: str) -> None:
    import optuna

    method = f"fANOVA (optuna FanovaImportanceEvaluator, seed={cfg.seed})"
    client.set_tag(parent_id, "importance_method", method)
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=cfg.seed)
    try:
        imp = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except Exception:  # e.g. fewer than two completed trials
        return
    metrics = [(f"importance.{k}", float(v), 0) for k, v in imp.items()]
    tracking.log_batch_chunked(client, parent_id, metrics=metrics)


def _best_trial_curves(study: Any, client, top_k: int = 5) -> None:
    """Learning curves of the ``top_k`` best completed trials, on their own runs."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best_first = sorted(done, key=lambda t: t.value,
                        reverse=study.direction == StudyDirection.MAXIMIZE)  # fmt: skip
    for t in best_first[:top_k]:
        run_id = t.user_attrs.get(ATTR_RUN_ID)
        if run_id:
            log_trial_curves(client, run_id, f"{study.study_name} trial {t.number}")


def _shipped_model(cfg, family: str, params, data: SplitData, client, parent_id: str, tmp: Path):
    """Refit on all development data; for 2-D data log its boundary frames and the GIF."""
    if not (cfg.trial_plots and data.X_train.shape[1] == 2):
        return refit_on_development(cfg, family, params, data)
    from nnfs_lab.plots import DecisionBoundaryRecorder

    _, (X_dev, X_out) = scale_split(cfg.dataset.scale, data.X_train, data.X_test)
    rec = DecisionBoundaryRecorder(X_dev, data.y_train, X_test=X_out, y_test=data.y_test,
                                   max_frames=20, resolution=60)  # fmt: skip
    model = refit_on_development(
        cfg, family, params, data, on_epoch=lambda est, r: rec.on_epoch_end(est, r["epoch"], r)
    )
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    rec.on_train_end(final)
    gif = log_boundary_frames(client, parent_id, rec, tmp)
    if gif is not None:
        client.log_artifact(parent_id, str(gif))
    return model


def _artifacts(study, cfg, family: str, params, data: SplitData, client, parent_id, tmp: Path):
    """Write and log the parent's files; return (outer scores, shipped model)."""
    trials_table(study).to_csv(tmp / "trials.csv", index=False)
    (tmp / "config.toml").write_text(cfg.source or "", encoding="utf-8")
    arts = [tmp / "trials.csv", tmp / "config.toml"]

    def skipped(name: str, reason: str) -> None:
        client.set_tag(parent_id, f"nnfs_lab.plot_skipped.{name}", reason[:500])

    arts += study_plots(study, cfg.seed, tmp, skipped)
    _log_importances(study, cfg, client, parent_id)
    if cfg.trial_plots:
        _best_trial_curves(study, client)
    scores = evaluate_family(cfg, family, params, data)
    scores.to_csv(tmp / "outer_scores.csv", index=False)
    arts.append(tmp / "outer_scores.csv")
    for a in arts:
        client.log_artifact(parent_id, str(a))
    return scores, _shipped_model(cfg, family, params, data, client, parent_id, tmp)


def _headline(scores) -> list[tuple[str, float, int]]:
    """Single values of the outer evaluation (step 0): means and standard deviations."""
    ok = scores[scores["status"] == "COMPLETE"]
    out = [("eval_failed", float((scores["status"] != "COMPLETE").sum()), 0)]
    for col in ("test_accuracy", "test_log_loss", "ms_per_epoch", "n_epochs"):
        values = ok[col].astype(float)
        out.append((f"{col}_mean", float(values.mean()) if len(values) else math.nan, 0))
        out.append((f"{col}_std", float(values.std(ddof=1)) if len(values) > 1 else math.nan, 0))
    return [m for m in out if math.isfinite(m[1])]


def _study_counts(study: Any) -> dict[str, int]:
    s = budget_status(study.get_trials(deepcopy=False))
    return {"COMPLETE": s["complete"], "PRUNED": s["pruned"], "FAIL": s["fail"],
            "STALE": s["stale"], "WAITING": s["waiting"]}  # fmt: skip


def _log_wall(client, parent_id: str, wall: float, ran: int) -> None:
    n_wall = len(client.get_metric_history(parent_id, "sweep_wall_seconds"))
    if ran or n_wall == 0:  # one value per session that ran trials
        tracking.log_batch_chunked(client, parent_id,
                                   metrics=[("sweep_wall_seconds", wall, n_wall)])  # fmt: skip


def _session_seconds(study: Any, numbers: set[int]) -> tuple[float, float]:
    """(training seconds, trial seconds) summed over the trials ``numbers``."""
    fit = busy = 0.0
    for t in study.get_trials(deepcopy=False):
        if t.number in numbers and t.datetime_start and t.datetime_complete:
            busy += (t.datetime_complete - t.datetime_start).total_seconds()
            fit += float(t.user_attrs.get(ATTR_FIT_SECONDS, 0.0))
    return fit, busy


def finalize_parent(cfg: ExperimentConfig, model: ModelConfig, study: Any, client, uri: str,
                    parent_id: str, session: dict[str, Any],
                    echo: Callable[[str], None]) -> SweepResult:  # fmt: skip
    """Summarize the study on its parent run: best trial, figures, outer evaluation, model.

    ``session`` holds what this session did: ``wall`` (seconds of the worker phase),
    ``ran`` (trial numbers it finished) and ``workers``.
    """
    from optuna.trial import TrialState

    counts = _study_counts(study)
    run = client.get_run(parent_id)
    fit, busy = _session_seconds(study, session["ran"])
    result = SweepResult(cfg.name, model.family, study.study_name, run.info.experiment_id,
                         parent_id, len(session["ran"]), session["wall"], counts,
                         fit_seconds=fit, trial_seconds=busy,
                         workers=session["workers"])  # fmt: skip
    _log_wall(client, parent_id, session["wall"], len(session["ran"]))
    tags: dict[str, Any] = {f"nnfs_lab.trials_{k.lower()}": v for k, v in counts.items()}
    tags["nnfs_lab.objective"] = cfg.objective
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        tracking.log_batch_chunked(client, parent_id, tags={**tags, "nnfs_lab.best": "none"})
        client.set_terminated(parent_id, status="FAILED")
        echo(f"[{study.study_name}] no trial completed; nothing to evaluate")
        return result
    best = best_trial(study)
    result.best_value = best.value
    result.best_params = {**model.fixed, **decode_params(model.search, best.params)}
    fingerprint = f"{len(study.get_trials(deepcopy=False))}:{sorted(counts.items())}"
    if run.data.tags.get("nnfs_lab.finalized") == fingerprint:
        client.set_terminated(parent_id, status="FINISHED")
        return result  # nothing new since the last finalization: a rerun stays cheap
    t0 = time.perf_counter()
    data = prepare_data(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        scores, model_obj = _artifacts(study, cfg, model.family, result.best_params, data,
                                       client, parent_id, Path(tmp))  # fmt: skip
    metrics = [("best_value", float(best.value), 0), ("best_trial_number", best.number, 0)]
    metrics += _headline(scores)
    tags.update({f"best.{k}": v for k, v in result.best_params.items()})
    tags.update(
        {
            "nnfs_lab.best_trial": best.number,
            "nnfs_lab.best_run_id": best.user_attrs.get(ATTR_RUN_ID, ""),
            "nnfs_lab.model_fit": f"refit on all {len(data.y_train)} development samples, "
            f"seed {cfg.seed}, {cfg.budget.max_epochs} epochs",
        }
    )
    tracking.log_batch_chunked(client, parent_id, metrics=metrics, tags=tags)
    model_uri = tracking.log_model(uri, parent_id, model_obj, data.X_test[:5])
    client.set_tag(parent_id, "nnfs_lab.model_uri", model_uri)
    client.set_tag(parent_id, "nnfs_lab.finalized", fingerprint)
    client.set_terminated(parent_id, status="FINISHED")
    failed = int((scores["status"] != "COMPLETE").sum())
    echo(f"[{study.study_name}] best {cfg.objective}={best.value:.4f} (trial {best.number}); "
         f"evaluated on {len(scores)} held-out folds ({failed} failed), model refit and logged "
         f"in {time.perf_counter() - t0:.1f}s")  # fmt: skip
    return result


def summary_table(results: Sequence[SweepResult]) -> str:
    """The end-of-sweep table: one row per study."""
    lines = [f"{'study':<28} {'ran':>4} {'complete':>8} {'pruned':>6} {'failed':>6} "
             f"{'retried':>7} {'best':>8} {'wall s':>7} {'fitting':>7}"]  # fmt: skip
    for r in results:
        best = f"{r.best_value:.4f}" if r.best_value is not None else "-"
        share = f"{100 * r.fit_share:.0f}%" if math.isfinite(r.fit_share) else "-"
        c = r.counts
        lines.append(
            f"{r.study_name:<28} {r.trials_run:>4} {c.get('COMPLETE', 0):>8} "
            f"{c.get('PRUNED', 0):>6} {c.get('FAIL', 0):>6} {c.get('STALE', 0):>7} {best:>8} "
            f"{r.wall_seconds:>7.1f} {share:>7}"
        )
    lines.append("fitting: share of the workers' time (workers x wall) spent in training epochs")
    return "\n".join(lines)
