"""A study's summary on its MLflow parent run, written once the workers are done.

The parent gets the best parameters and value, the trials table, Optuna's figures and parameter
importances, the best trials' learning curves (on their own runs), the best configuration scored
on the held-out folds (:mod:`~nnfs_lab.sweeps.evaluation`; per-fold table and headline means),
and the model to ship: refit on all development data, with its decision boundary while it
trained (2-D data) as images with ``step=epoch`` and as one GIF.
"""

from __future__ import annotations

import json
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
from nnfs_lab.sweeps.families import get_family
from nnfs_lab.sweeps.figures import log_boundary_frames, log_trial_curves, study_plots
from nnfs_lab.sweeps.generations import best_trial
from nnfs_lab.sweeps.space import decode_params, describe_space

__all__ = [
    "SweepResult",
    "experiment_note",
    "finalize_parent",
    "objective_metric",
    "parent_params",
    "split_datasets",
    "summary_table",
    "trials_table",
]


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


def _best_trials(study: Any, top_k: int = 5) -> list:
    """The ``top_k`` best completed trials that have an MLflow run, best first."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best_first = sorted(done, key=lambda t: t.value,
                        reverse=study.direction == StudyDirection.MAXIMIZE)  # fmt: skip
    return [t for t in best_first if t.user_attrs.get(ATTR_RUN_ID)][:top_k]


def _best_trial_curves(study: Any, client, top_k: int = 5) -> None:
    """Learning curves of the ``top_k`` best completed trials, on their own runs."""
    for t in _best_trials(study, top_k):
        log_trial_curves(client, t.user_attrs[ATTR_RUN_ID], f"{study.study_name} trial {t.number}")


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


def objective_metric(cfg: ExperimentConfig) -> str:
    """The study's objective as the trials log it (``val_accuracy_mean`` ...)."""
    return "val_accuracy_mean" if cfg.objective == "accuracy" else "val_log_loss_mean"


def split_datasets(cfg: ExperimentConfig, data: SplitData) -> dict[str, tuple[Any, Any]]:
    """The splits recorded as MLflow datasets: ``train`` (all development data: tuning's folds
    are cut from it and the shipped model is refit on it), ``validation`` (the holdout rows
    tuning scored, when ``split.cv`` is not set) and ``test`` (held out for the verdict)."""
    out = {"train": (data.X_train, data.y_train)}
    if not cfg.split.cv:
        _, va = data.folds[0]
        out["validation"] = (data.X_train[va], data.y_train[va])
    out["test"] = (data.X_test, data.y_test)
    return out


def _dataset_inputs(cfg: ExperimentConfig, data: SplitData) -> list:
    source = {"nnfs_lab.dataset": cfg.dataset.name, "nnfs_lab.seed": str(cfg.seed),
              "nnfs_lab.dataset_params": json.dumps(cfg.dataset.params, sort_keys=True),
              "nnfs_lab.split": json.dumps({"test_size": cfg.split.test_size,
                                            "validation": cfg.split.validation,
                                            "cv": cfg.split.cv})}  # fmt: skip
    return tracking.split_inputs(split_datasets(cfg, data), prefix=cfg.name, source=source)


def _version_note(cfg, family: str, params, scores, n_dev: int) -> str:
    ok = scores[scores["status"] == "COMPLETE"]["test_accuracy"].astype(float)
    acc = f"{ok.mean():.4f} ± {ok.std(ddof=1):.4f}" if len(ok) > 1 else "n/a"
    shown = ", ".join(f"{k}={v}" for k, v in tracking.canonical_params(family, params).items()
                      if "." not in k)  # fmt: skip
    return (f"{get_family(family).label}, best configuration of study "
            f"`{cfg.study_name(family)}` ({shown}); held-out test accuracy {acc} over "
            f"{len(ok)} folds ({cfg.evaluation.repeats}x{cfg.evaluation.folds}); refit on all "
            f"{n_dev} development samples, seed {cfg.seed}. Serves predict_proba.")  # fmt: skip


def _ship(cfg, family: str, study, params, data: SplitData, scores, model_obj, client, uri: str,
          parent_id: str) -> None:  # fmt: skip
    """Datasets, the logged model (its params, linked metrics), its registered version."""
    inputs = _dataset_inputs(cfg, data)
    tracking.log_dataset_inputs(client, parent_id, inputs)
    test = next(i.dataset for i in inputs if i.dataset.name.endswith("-test"))
    info = tracking.log_model(uri, parent_id, model_obj, data.X_test[:5],
                              name=f"{study.study_name}-best",
                              params=tracking.canonical_params(family, params))  # fmt: skip
    tracking.log_batch_chunked(client, parent_id, metrics=_headline(scores),
                               model_id=info.model_id,
                               dataset=(test.name, test.digest))  # fmt: skip
    version = tracking.register_family_model(
        client, cfg.name, model_uri=info.model_uri, model_id=info.model_id, run_id=parent_id,
        family=family, study=study.study_name,
        description=_version_note(cfg, family, params, scores, len(data.y_train)),
    )  # fmt: skip
    tracking.log_batch_chunked(client, parent_id, tags={
        "nnfs_lab.model_uri": info.model_uri, "nnfs_lab.model_id": info.model_id,
        "nnfs_lab.registered_model": cfg.name, "nnfs_lab.model_version": version.version,
    })  # fmt: skip


def _optuna_files(study: Any, client, uri: str, parent_id: str) -> None:
    """Learning curves (CSV, and the PNG when drawn) of the best trials as Optuna artifacts."""
    spec = client.get_run(parent_id).data.tags.get("nnfs_lab.storage", "")
    if spec and "***" not in spec:  # a masked URL names no folder we could show
        best = [(t.number, t.user_attrs[ATTR_RUN_ID]) for t in _best_trials(study)]
        tracking.attach_trial_curves(study, best, client, tracking.artifact_dir(spec, uri))


def _describe(cfg: ExperimentConfig, model: ModelConfig, study: Any, client,
              parent_id: str) -> None:  # fmt: skip
    """The experiment's and the parent run's descriptions (Markdown, shown by MLflow's UI)."""
    run = client.get_run(parent_id)
    tracking.describe_experiment(client, run.info.experiment_id, experiment_note(cfg))
    tags = run.data.tags
    spec = tags.get("nnfs_lab.storage", "")
    lines = [f"**{get_family(model.family).label}** sweep of `{cfg.name}` on "
             f"{cfg.dataset.name}. {cfg.description}".strip(),
             f"Optuna study `{study.study_name}` in `{spec}` (study user attributes "
             f"`mlflow_experiment_id`, `mlflow_parent_run_id` point back here); "
             f"objective {objective_metric(cfg)}, {cfg.direction}."]  # fmt: skip
    if spec and "***" not in spec:
        cmd = " ".join(tracking.dashboard_command(spec, tracking.artifact_dir(spec, "")))
        lines.append(f"Open it in optuna-dashboard: `{cmd}` (`pip install "
                     f"'nnfs_lab[dashboard]'`; or `make dashboard`).")  # fmt: skip
    if "nnfs_lab.model_version" in tags:
        lines.append(f"Best trial {tags.get('nnfs_lab.best_trial')} (run "
                     f"`{tags.get('nnfs_lab.best_run_id')}`); shipped model "
                     f"`models:/{tags['nnfs_lab.registered_model']}/"
                     f"{tags['nnfs_lab.model_version']}` (logged model "
                     f"`{study.study_name}-best`, serves predict_proba).")  # fmt: skip
    client.set_tag(parent_id, tracking.NOTE_TAG, "\n\n".join(lines))


def experiment_note(cfg: ExperimentConfig) -> str:
    """The MLflow experiment's description (Markdown)."""
    families = ", ".join(m.family for m in cfg.models if m.enabled)
    return (f"{cfg.description or cfg.name} Model families {families} swept with Optuna under "
            f"one protocol (`{cfg.path}`); one parent run per family with its trials as "
            "children, and a `comparison` run with the paired verdict on held-out folds. "
            f"Registered model `{cfg.name}`: `models:/{cfg.name}@champion` is the family the "
            "comparison favours.")  # fmt: skip


def finalize_parent(cfg: ExperimentConfig, model: ModelConfig, study: Any, client, uri: str,
                    parent_id: str, session: dict[str, Any],
                    echo: Callable[[str], None]) -> SweepResult:  # fmt: skip
    """Summarize the study on its parent run: best trial, figures, outer evaluation, model.

    ``session`` holds what this session did: ``wall`` (seconds of the worker phase),
    ``ran`` (trial numbers it finished), ``workers``, and ``data`` (the experiment's split,
    already loaded by the driver; loaded here when absent). The driver names the study's
    objective when it creates the study. MLflow autologging is off throughout:
    the importance forests, held-out refits and scalers fitted here are not the user's runs.
    """
    with tracking.autolog_disabled():
        result = _finalize(cfg, model, study, client, uri, parent_id, session, echo)
        _describe(cfg, model, study, client, parent_id)
        return result


def _finalize(cfg: ExperimentConfig, model: ModelConfig, study: Any, client, uri: str,
              parent_id: str, session: dict[str, Any],
              echo: Callable[[str], None]) -> SweepResult:  # fmt: skip
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
    data = session.get("data") or prepare_data(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        scores, model_obj = _artifacts(study, cfg, model.family, result.best_params, data,
                                       client, parent_id, Path(tmp))  # fmt: skip
    metrics = [("best_value", float(best.value), 0), ("best_trial_number", best.number, 0)]
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
    _ship(cfg, model.family, study, result.best_params, data, scores, model_obj,
          client, uri, parent_id)  # fmt: skip
    _optuna_files(study, client, uri, parent_id)
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
