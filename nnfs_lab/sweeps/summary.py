"""A study's summary on its MLflow parent run, written once the workers are done.

The parent gets the best parameters and value, the trials table, Optuna's figures and parameter
importances, the best configuration refit over seeds and scored on the held-out test set
(:mod:`~nnfs_lab.sweeps.refit`), the training animation and the best model.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnfs_lab import tracking
from nnfs_lab.sweeps.attrs import ATTR_RUN_ID
from nnfs_lab.sweeps.budget import budget_status
from nnfs_lab.sweeps.config import ExperimentConfig, ModelConfig
from nnfs_lab.sweeps.data import fold_arrays, prepare_data
from nnfs_lab.sweeps.families import get_family
from nnfs_lab.sweeps.figures import best_trial_animation, study_plots
from nnfs_lab.sweeps.refit import refit_over_seeds
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
    }
    params.update({f"dataset.{k}": v for k, v in cfg.dataset.params.items()})
    params.update({f"fixed.{k}": v for k, v in model.fixed.items()})
    params.update(describe_space(model.search))
    return params


def trials_table(study: Any):
    """Optuna's trials table plus each trial's MLflow run id and retry origin."""
    df = study.trials_dataframe(attrs=("number", "value", "state", "duration", "params",
                                       "user_attrs", "system_attrs"))  # fmt: skip
    keep = [c for c in df.columns if not c.startswith("system_attrs_") or c in
            ("system_attrs_failed_trial",)]  # fmt: skip
    return df[keep]


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


def _artifacts(study, cfg, family: str, params, client, parent_id: str, tmp: Path):
    """Write and log the parent's files; return the refit's (scores, model, X_example)."""
    trials_table(study).to_csv(tmp / "trials.csv", index=False)
    (tmp / "config.toml").write_text(cfg.source or "", encoding="utf-8")
    arts = [tmp / "trials.csv", tmp / "config.toml"]

    def skipped(name: str, reason: str) -> None:
        client.set_tag(parent_id, f"nnfs_lab.plot_skipped.{name}", reason[:500])

    arts += study_plots(study, cfg.seed, tmp, skipped)
    _log_importances(study, cfg, client, parent_id)
    seeds_df, model_obj, X_example = refit_over_seeds(cfg, family, params)
    seeds_df.to_csv(tmp / "seed_scores.csv", index=False)
    arts.append(tmp / "seed_scores.csv")
    gif = None
    if cfg.trial_plots:
        gif = best_trial_animation(
            get_family(family), params, fold_arrays(prepare_data(cfg), 0, cfg.dataset.scale),
            seed=cfg.seed, max_epochs=cfg.budget.max_epochs, out=tmp,
        )  # fmt: skip
    if gif is not None:
        arts.append(gif)
        best_run = study.best_trial.user_attrs.get(ATTR_RUN_ID, "")
        if best_run:
            client.log_artifact(best_run, str(gif), artifact_path="plots")
    for a in arts:
        client.log_artifact(parent_id, str(a))
    return seeds_df, model_obj, X_example


def _study_counts(study: Any) -> dict[str, int]:
    s = budget_status(study.get_trials(deepcopy=False))
    return {"COMPLETE": s["complete"], "PRUNED": s["pruned"], "FAIL": s["fail"],
            "STALE": s["stale"], "WAITING": s["waiting"]}  # fmt: skip


def _log_wall(client, parent_id: str, wall: float, ran: int) -> None:
    n_wall = len(client.get_metric_history(parent_id, "sweep_wall_seconds"))
    if ran or n_wall == 0:  # one value per session that ran trials
        tracking.log_batch_chunked(client, parent_id,
                                   metrics=[("sweep_wall_seconds", wall, n_wall)])  # fmt: skip


def finalize_parent(cfg: ExperimentConfig, model: ModelConfig, study: Any, client, uri: str,
                    parent_id: str, wall: float, ran: int,
                    echo: Callable[[str], None]) -> SweepResult:  # fmt: skip
    """Log study-level results on the parent run; refit the best model over seeds."""
    from optuna.trial import TrialState

    counts = _study_counts(study)
    run = client.get_run(parent_id)
    result = SweepResult(cfg.name, model.family, study.study_name, run.info.experiment_id,
                         parent_id, ran, wall, counts)  # fmt: skip
    _log_wall(client, parent_id, wall, ran)
    tags: dict[str, Any] = {f"nnfs_lab.trials_{k.lower()}": v for k, v in counts.items()}
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        tracking.log_batch_chunked(client, parent_id, tags={**tags, "nnfs_lab.best": "none"})
        client.set_terminated(parent_id, status="FAILED")
        echo(f"[{study.study_name}] no trial completed; nothing to refit")
        return result
    best = study.best_trial
    result.best_value = best.value
    result.best_params = {**model.fixed, **decode_params(model.search, best.params)}
    fingerprint = f"{len(study.get_trials(deepcopy=False))}:{sorted(counts.items())}"
    if run.data.tags.get("nnfs_lab.finalized") == fingerprint:
        client.set_terminated(parent_id, status="FINISHED")
        return result  # nothing new since the last finalization: a rerun stays cheap
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        seeds_df, model_obj, X_example = _artifacts(study, cfg, model.family, result.best_params,
                                                    client, parent_id, Path(tmp))  # fmt: skip
    metrics = [("best_value", float(best.value), 0), ("best_trial_number", best.number, 0)]
    for i, row in seeds_df.iterrows():
        for k in ("test_accuracy", "test_log_loss", "fit_seconds_per_epoch", "n_epochs"):
            metrics.append((k, float(row[k]), int(i)))
    tags.update({f"best.{k}": v for k, v in result.best_params.items()})
    tags.update({"nnfs_lab.best_trial": best.number,
                 "nnfs_lab.best_run_id": best.user_attrs.get(ATTR_RUN_ID, ""),
                 "nnfs_lab.refit_seeds": ",".join(str(s) for s in seeds_df["seed"])})  # fmt: skip
    tracking.log_batch_chunked(client, parent_id, metrics=metrics, tags=tags)
    model_uri = tracking.log_model(uri, parent_id, model_obj, X_example)
    client.set_tag(parent_id, "nnfs_lab.model_uri", model_uri)
    client.set_tag(parent_id, "nnfs_lab.finalized", fingerprint)
    client.set_terminated(parent_id, status="FINISHED")
    echo(f"[{study.study_name}] best {cfg.objective}={best.value:.4f} (trial {best.number}); "
         f"refit over {len(seeds_df)} seeds + model logging took "
         f"{time.perf_counter() - t0:.1f}s")  # fmt: skip
    return result


def summary_table(results: Sequence[SweepResult]) -> str:
    """The end-of-sweep table: one row per study."""
    lines = [f"{'study':<28} {'ran':>4} {'complete':>8} {'pruned':>6} {'failed':>6} "
             f"{'retried':>7} {'best':>8} {'wall s':>7}"]  # fmt: skip
    for r in results:
        best = f"{r.best_value:.4f}" if r.best_value is not None else "-"
        c = r.counts
        lines.append(
            f"{r.study_name:<28} {r.trials_run:>4} {c.get('COMPLETE', 0):>8} "
            f"{c.get('PRUNED', 0):>6} {c.get('FAIL', 0):>6} {c.get('STALE', 0):>7} {best:>8} "
            f"{r.wall_seconds:>7.1f}"
        )
    return "\n".join(lines)
