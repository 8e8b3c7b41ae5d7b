"""A study's summary on its MLflow parent run, written once the workers are done.

The parent gets the best parameters and value, its files and figures and the shipped model
(:mod:`~nnfs_lab.sweeps.parent_artifacts`, :mod:`~nnfs_lab.sweeps.shipping`), the best
configuration scored on the held-out folds (:mod:`~nnfs_lab.sweeps.evaluation`; per-fold table
and headline means), counts, wall time and its description.
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
from nnfs_lab.sweeps.data import SplitData, prepare_data
from nnfs_lab.sweeps.families import get_family
from nnfs_lab.sweeps.generations import best_trial
from nnfs_lab.sweeps.parent_artifacts import attach_optuna_files, log_parent_artifacts
from nnfs_lab.sweeps.shipping import ship_model
from nnfs_lab.sweeps.space import decode_params, describe_space

__all__ = [
    "StudySession",
    "SweepResult",
    "experiment_note",
    "finalize_parent",
    "objective_metric",
    "parent_params",
    "summary_table",
]


@dataclass(frozen=True)
class StudySession:
    """What this session did to a study, as the summary needs it.

    ``wall``: seconds of the worker phase; ``ran``: trial numbers it finished;
    ``worker_seconds``: the time local workers spent on the study, summed over processes (jobs
    of another study that a process ran first are not in it); ``data``: the experiment's
    split (loaded again when None); ``pool``: the
    sweep's :class:`~nnfs_lab.sweeps.pool.WorkerPool`, which scores the held-out folds
    (None: scored in this process).
    """

    wall: float
    ran: frozenset[int]
    worker_seconds: float = 0.0
    data: SplitData | None = None
    pool: Any = None


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
    #: Seconds the local workers spent on this study, summed over processes.
    worker_seconds: float = 0.0

    @property
    def fit_share(self) -> float:
        """Share of the workers' time spent training (the rest is bookkeeping and idling)."""
        busy = self.worker_seconds
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
                    parent_id: str, session: StudySession,
                    echo: Callable[[str], None]) -> SweepResult:  # fmt: skip
    """Summarize the study on its parent run: best trial, figures, outer evaluation, model.

    The driver names the study's objective when it creates the study. MLflow autologging is
    off throughout: the importance forests, held-out refits and scalers fitted here are not
    the user's runs.
    """
    with tracking.autolog_disabled():
        result = _finalize(cfg, model, study, client, uri, parent_id, session, echo)
        _describe(cfg, model, study, client, parent_id)
        return result


def _finalize(cfg: ExperimentConfig, model: ModelConfig, study: Any, client, uri: str,
              parent_id: str, session: StudySession,
              echo: Callable[[str], None]) -> SweepResult:  # fmt: skip
    from optuna.trial import TrialState

    counts = _study_counts(study)
    run = client.get_run(parent_id)
    fit, busy = _session_seconds(study, session.ran)
    result = SweepResult(cfg.name, model.family, study.study_name, run.info.experiment_id,
                         parent_id, len(session.ran), session.wall, counts,
                         fit_seconds=fit, trial_seconds=busy,
                         worker_seconds=session.worker_seconds)  # fmt: skip
    _log_wall(client, parent_id, session.wall, len(session.ran))
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
    data = session.data or prepare_data(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        scores, model_obj = log_parent_artifacts(study, cfg, model.family, result.best_params,
                                                 data, client, parent_id, Path(tmp),
                                                 pool=session.pool)  # fmt: skip
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
    ship_model(cfg, model.family, study, result.best_params, data, scores, model_obj,
               client, uri, parent_id)  # fmt: skip
    attach_optuna_files(study, client, uri, parent_id)
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
    lines.append(
        "fitting: share of the workers' time on the study (summed over processes) "
        "spent in training epochs"
    )
    return "\n".join(lines)
