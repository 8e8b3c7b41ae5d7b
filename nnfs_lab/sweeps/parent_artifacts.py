"""The files and figures of a study's parent run, and the model to ship.

Once a study's workers are done: the trials table, the experiment file, Optuna's figures and
parameter importances, the best trials' learning curves (on their own runs), the per-fold table
of the held-out evaluation, and the best configuration refit on all development data, with its
decision boundary while it trained (2-D data) as images with ``step=epoch`` and one GIF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnfs_lab import tracking
from nnfs_lab.sweeps.attrs import ATTR_RUN_ID
from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.data import SplitData, scale_split
from nnfs_lab.sweeps.evaluation import refit_on_development, start_evaluation
from nnfs_lab.sweeps.figures import log_boundary_frames, log_trial_curves_at, study_plots
from nnfs_lab.sweeps.offload import start_jobs

__all__ = [
    "attach_optuna_files",
    "best_trials",
    "log_parent_artifacts",
    "trials_table",
]


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


def _log_importances(study: Any, cfg: ExperimentConfig, client, parent_id: str):
    """fANOVA importances of every parameter, logged as ``importance.<name>`` metrics; the
    dict (largest first), or None when they cannot be computed (fewer than two completed
    trials, say). Computed once: the importance figure draws these."""
    import optuna

    method = f"fANOVA (optuna FanovaImportanceEvaluator, seed={cfg.seed})"
    client.set_tag(parent_id, "importance_method", method)
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=cfg.seed)
    try:
        imp = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except Exception:  # e.g. fewer than two completed trials
        return None
    metrics = [(f"importance.{k}", float(v), 0) for k, v in imp.items()]
    tracking.log_batch_chunked(client, parent_id, metrics=metrics)
    return dict(imp)


def best_trials(study: Any, top_k: int = 5) -> list:
    """The ``top_k`` best completed trials that have an MLflow run, best first."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best_first = sorted(done, key=lambda t: t.value,
                        reverse=study.direction == StudyDirection.MAXIMIZE)  # fmt: skip
    return [t for t in best_first if t.user_attrs.get(ATTR_RUN_ID)][:top_k]


def _curve_jobs(study: Any, tracking_uri: str, top_k: int = 5) -> list:
    """Jobs drawing the learning curves of the ``top_k`` best completed trials on their runs."""
    from nnfs_lab.sweeps.pool import Job

    return [Job(f"curves-{t.user_attrs[ATTR_RUN_ID]}", log_trial_curves_at,
                (tracking_uri, t.user_attrs[ATTR_RUN_ID], f"{study.study_name} trial {t.number}"))
            for t in best_trials(study, top_k)]  # fmt: skip


#: Frames of the shipped model's decision boundary while it trained (images and GIF).
_FRAMES = 20


def _shipped_model(cfg, family: str, params, data: SplitData, client, parent_id: str, tmp: Path):
    """Refit on all development data; for 2-D data log its boundary frames and the GIF."""
    if not (cfg.trial_plots and data.X_train.shape[1] == 2):
        return refit_on_development(cfg, family, params, data)
    from nnfs_lab.plots import DecisionBoundaryRecorder

    _, (X_dev, X_out) = scale_split(cfg.dataset.scale, data.X_train, data.X_test)
    # Exactly the frames kept: one every max_epochs / 20 epochs (none recorded to be thinned).
    rec = DecisionBoundaryRecorder(X_dev, data.y_train, X_test=X_out, y_test=data.y_test,
                                   every=max(1, cfg.budget.max_epochs // _FRAMES),
                                   max_frames=_FRAMES, resolution=60)  # fmt: skip
    model = refit_on_development(
        cfg, family, params, data, on_epoch=lambda est, r: rec.on_epoch_end(est, r["epoch"], r)
    )
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    rec.on_train_end(final)
    gif = log_boundary_frames(client, parent_id, rec, tmp)
    if gif is not None:
        client.log_artifact(parent_id, str(gif))
    return model


def log_parent_artifacts(study, cfg, family: str, params, data: SplitData, client, parent_id,
                         tmp: Path, pool=None):  # fmt: skip
    """Write and log the parent's files; return (outer scores, shipped model).

    The held-out folds are scored and the best trials' learning curves drawn in ``pool``'s
    processes when there is one (:func:`~nnfs_lab.sweeps.offload.start_jobs`), while this
    process computes the parameter importances, draws the study's figures and refits the model
    to ship. (Refitting it in the pool too was measured slower: the folds are the longest part.)
    """
    scores_when_done = start_evaluation(cfg, family, params, data, pool)
    curves = [] if not cfg.trial_plots else _curve_jobs(study, client.tracking_uri)
    curves_when_done = start_jobs(pool, curves, what="learning curves of the best trials",
                                  redo_here=False)  # fmt: skip
    trials_table(study).to_csv(tmp / "trials.csv", index=False)
    (tmp / "config.toml").write_text(cfg.source or "", encoding="utf-8")
    arts = [tmp / "trials.csv", tmp / "config.toml"]

    def skipped(name: str, reason: str) -> None:
        client.set_tag(parent_id, f"nnfs_lab.plot_skipped.{name}", reason[:500])

    importances = _log_importances(study, cfg, client, parent_id)
    arts += study_plots(
        study,
        tmp,
        skipped,
        importances=importances,
        importance_title=f"Hyperparameter importances, fANOVA (seed {cfg.seed})",
    )
    model = _shipped_model(cfg, family, params, data, client, parent_id, tmp)
    scores = scores_when_done()
    curves_when_done()
    scores.to_csv(tmp / "outer_scores.csv", index=False)
    arts.append(tmp / "outer_scores.csv")
    for a in arts:
        client.log_artifact(parent_id, str(a))
    return scores, model


def attach_optuna_files(study: Any, client, uri: str, parent_id: str) -> None:
    """Learning curves (CSV, and the PNG when drawn) of the best trials as Optuna artifacts."""
    spec = client.get_run(parent_id).data.tags.get("nnfs_lab.storage", "")
    if spec and "***" not in spec:  # a masked URL names no folder we could show
        best = [(t.number, t.user_attrs[ATTR_RUN_ID]) for t in best_trials(study)]
        tracking.attach_trial_curves(study, best, client, tracking.artifact_dir(spec, uri))
