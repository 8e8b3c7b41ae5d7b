"""The sweep driver: stores, studies and parent runs first, then workers, then the summary.

For each experiment file and model family, :func:`sweep`

1. creates (or finds) the MLflow experiment and the family's parent run, and the Optuna study,
   recording the MLflow ids on the study so that workers anywhere can attach their runs;
2. fails trials that dead workers left RUNNING (and retries them), then enqueues one empty slot
   per trial still missing from the budget: a rerun therefore resumes, never repeats;
3. runs ``workers`` local workers (in this process for one, spawned processes otherwise);
   :func:`join` runs a worker on another machine against the same study;
4. logs the study on the parent run: best parameters and value, the trials table, Optuna's
   optimization history and parameter importances, the best configuration refit over several
   seeds and scored on the held-out test set, and the best model (sklearn flavor);
5. builds the comparison run of the experiment (:mod:`nnfs_lab.report`).

Everything of MLflow and Optuna is created here before any worker starts: eight processes
creating a fresh ``mlflow.db`` at once were measured to corrupt it.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from nnfs_lab import tracking, tuning
from nnfs_lab import workers as _w
from nnfs_lab.config import ExperimentConfig, ModelConfig, load_config

__all__ = ["SweepResult", "join", "sweep"]


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


def _with_budget(cfg: ExperimentConfig, n_trials: int | None, timeout: float | None):
    if n_trials is None and timeout is None:
        return cfg
    b = cfg.budget
    return replace(
        cfg,
        budget=replace(
            b,
            n_trials=n_trials if n_trials is not None else b.n_trials,
            timeout=timeout if timeout is not None else b.timeout,
        ),
    )


def _configs(configs: Sequence[str | Path | ExperimentConfig]) -> list[ExperimentConfig]:
    # Every file is validated before anything runs: a typo in the third file must not surface
    # after the first two sweeps.
    return [c if isinstance(c, ExperimentConfig) else load_config(c) for c in configs]


def sweep(
    configs: Sequence[str | Path | ExperimentConfig],
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
    workers: int = 1,
    tracking_uri: str | None = None,
    storage: str | None = None,
    families: Sequence[str] | None = None,
    hooks: tuning.SweepHooks | None = None,
    echo: Callable[[str], None] | None = None,
    compare: bool = True,
    heartbeat_interval: int = 10,
    grace_period: int = 30,
) -> list[SweepResult]:
    """Run (or resume) the sweeps of each experiment and log the comparison.

    Parameters
    ----------
    configs : paths or ExperimentConfig
        Experiment files.
    n_trials, timeout : optional
        Override the files' budget (trials per model family, seconds per model family).
    workers : int
        Local processes sharing each study (1 runs in this process).
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
    heartbeat_interval, grace_period : int
        Seconds; RDB storages only. A trial whose worker has not beaten for ``grace_period``
        seconds is failed and retried.

    Returns
    -------
    list of SweepResult

    Raises
    ------
    nnfs_lab.tracking.StoreError
        When the tracking store or the Optuna storage cannot be reached.
    """
    import optuna

    echo = echo or _print
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cfgs = [_with_budget(c, n_trials, timeout) for c in _configs(configs)]
    uri = tracking.resolve_tracking_uri(tracking_uri)
    spec = tuning.resolve_storage(storage, uri)
    tracking.check_tracking_uri(uri)
    client = tracking.get_client(uri)
    results: list[SweepResult] = []
    for cfg in cfgs:
        exp_id = tracking.ensure_experiment(client, cfg.name, uri)
        for model in cfg.models:
            if not model.enabled or (families and model.family not in families):
                continue
            task = _w.WorkerTask(
                cfg=cfg,
                family=model.family,
                storage=spec,
                tracking_uri=uri,
                timeout=cfg.budget.timeout,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                budget_total=cfg.budget.n_trials,
            )
            results.append(_sweep_family(task, model, exp_id, client, workers_n=workers,
                                         hooks=hooks, echo=echo))  # fmt: skip
        if compare:
            from nnfs_lab import report

            comp = report.compare_experiment(client, exp_id, uri, log=True)
            echo("")
            echo(report.format_comparison(comp))
    return results


def _create_study(task: _w.WorkerTask, model: ModelConfig, exp_id: str, client) -> tuple:
    """Create or load the study and the parent run; link them; return (study, storage, ...)."""
    import optuna

    cfg = task.cfg
    handler = _w.StaleTrialHandler(task.tracking_uri, task.max_retry)
    storage = tuning.make_storage(
        task.storage,
        heartbeat_interval=task.heartbeat_interval,
        grace_period=task.grace_period,
        stale_callback=handler,
    )
    study_name = cfg.study_name(model.family)
    study = optuna.create_study(
        study_name=study_name,
        storage=storage,
        direction=cfg.direction,
        load_if_exists=True,
        sampler=tuning.make_sampler(cfg, cfg.seed),
        pruner=tuning.make_pruner(cfg),
    )
    if study.direction.name.lower() != cfg.direction:
        raise ValueError(
            f"{cfg.path}: study {study_name!r} exists with direction {study.direction.name}; "
            f"objective {cfg.objective!r} needs {cfg.direction} (use a new experiment name)"
        )
    parent_id = tracking.ensure_parent_run(
        client,
        exp_id,
        study_name=study_name,
        family=model.family,
        params=_parent_params(cfg, model),
        tags={
            "nnfs_lab.storage": tuning.storage_label(task.storage),
            "nnfs_lab.config_path": cfg.path,
            "mlflow.note.content": f"{tuning.FAMILY_ADAPTERS[model.family].label} sweep on "
            f"{cfg.dataset.name}. {cfg.description}",
        },
    )
    attrs = {
        _w.STUDY_EXPERIMENT_ID: exp_id,
        _w.STUDY_PARENT_RUN_ID: parent_id,
        _w.STUDY_FAMILY: model.family,
    }
    if tracking.mask_url(task.tracking_uri) == task.tracking_uri:  # never store a password
        attrs[_w.STUDY_TRACKING_URI] = task.tracking_uri
    for k, v in attrs.items():
        if study.user_attrs.get(k) != v:
            study.set_user_attr(k, v)
    return study, storage, handler, parent_id


def _sweep_family(task, model, exp_id, client, *, workers_n, hooks, echo) -> SweepResult:
    cfg = task.cfg
    study, storage, handler, parent_id = _create_study(task, model, exp_id, client)
    name = study.study_name
    reaped = _w.reap_stale(study, storage, handler)
    if reaped:
        echo(f"[{name}] trials {reaped} were left RUNNING by a dead worker: marked FAIL, retried")
    trials = study.get_trials(deepcopy=False)
    n_before = len(trials)
    finished_before = {t.number for t in trials if t.state.is_finished()}
    added = _w.enqueue_slots(study, cfg.budget.n_trials)
    status = _w.budget_status(study.get_trials(deepcopy=False))
    if cfg.budget.n_trials is None:
        n_local = max(1, workers_n)
    else:
        n_local = min(workers_n, status["waiting"])
        if not n_local and status["running"]:
            # Trials still run elsewhere (or may be given back): wait for them before the
            # summary, which must not describe a half-finished study.
            n_local = 1
    echo(
        f"[{name}] {status['used']}/{cfg.budget.n_trials or '-'} trials done, {added} added; "
        f"{n_local} local worker(s) (tracking {tracking.mask_url(task.tracking_uri)}, "
        f"storage {tuning.storage_label(task.storage)})"
    )
    tasks = [
        replace(task, label=str(i), sampler_seed=tuning.sampler_seed(cfg.seed, i, n_before))
        for i in range(n_local)
    ]
    t0 = time.perf_counter()
    if len(tasks) == 1:
        _w.run_worker(tasks[0], hooks, echo)
    elif tasks:
        codes = _w.spawn_workers(tasks, hooks)
        for i, code in enumerate(codes):
            if code != 0:
                echo(f"[{name}] worker {i} exited with code {code}")
        # Trials given back by a worker that died, with nobody left to run them.
        leftover = _w.budget_status(study.get_trials(deepcopy=False))["waiting"]
        if leftover and any(c != 0 for c in codes):
            echo(f"[{name}] finishing {leftover} trial(s) in the driver")
            _w.run_worker(replace(tasks[0], label="d"), hooks, echo)
    wall = time.perf_counter() - t0
    reaped = _w.reap_stale(study, storage, handler)
    if reaped:
        echo(f"[{name}] trials {reaped} died with their worker: marked FAIL")
    ran = sum(1 for t in study.get_trials(deepcopy=False)
              if t.state.is_finished() and t.number not in finished_before)  # fmt: skip
    return _finalize_parent(cfg, model, study, client, task.tracking_uri, parent_id, wall, ran,
                            echo)  # fmt: skip


def join(
    configs: Sequence[str | Path | ExperimentConfig],
    *,
    storage: str,
    tracking_uri: str | None = None,
    families: Sequence[str] | None = None,
    timeout: float | None = None,
    echo: Callable[[str], None] | None = None,
    heartbeat_interval: int = 10,
    grace_period: int = 30,
    label: str | None = None,
) -> int:
    """Run one worker on existing studies (created by :func:`sweep`), e.g. on another machine.

    Returns
    -------
    int
        Trials this worker ran.
    """
    import socket

    echo = echo or _print
    uri = tracking.resolve_tracking_uri(tracking_uri)
    spec = tuning.resolve_storage(storage, uri)
    tracking.check_tracking_uri(uri)
    label = label or f"{socket.gethostname()}:{os.getpid()}"
    total = 0
    for cfg in _configs(configs):
        for model in cfg.models:
            if not model.enabled or (families and model.family not in families):
                continue
            task = _w.WorkerTask(
                cfg=cfg,
                family=model.family,
                storage=spec,
                tracking_uri=uri,
                timeout=timeout if timeout is not None else cfg.budget.timeout,
                label=label,
                sampler_seed=tuning.sampler_seed(cfg.seed, socket.gethostname(), os.getpid()),
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                budget_total=cfg.budget.n_trials,
            )
            study, _, _ = _w.open_study(task)
            recorded = study.user_attrs.get(_w.STUDY_TRACKING_URI)
            if recorded is not None and recorded != uri:
                raise tracking.StoreError(
                    f"study {study.study_name!r} logs to {recorded}, not {tracking.mask_url(uri)}"
                    f"; pass --tracking-uri {recorded}"
                )
            n = _w.run_worker(task, echo=echo)
            echo(f"[{study.study_name}] worker {label} ran {n} trial(s)")
            total += n
    return total


def _print(line: str) -> None:
    print(line, flush=True)


# ------------------------------------------------------------------------------ parent summary


def _parent_params(cfg: ExperimentConfig, model: ModelConfig) -> dict[str, Any]:
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
            desc = f"choice{[tuning._encode(c) for c in s.choices]}"
        else:
            desc = f"{s.kind}[{s.low}, {s.high}]" + (" log" if s.log else "")
            desc += " +0" if s.allow_zero else ""
        if s.when:
            desc += f" when {s.when}"
        params[f"space.{s.name}"] = desc
    return params


def _finalize_parent(cfg, model, study, client, uri, parent_id, wall, ran, echo) -> SweepResult:
    """Log study-level results on the parent run; refit the best model over seeds."""
    from optuna.trial import TrialState

    status = _w.budget_status(study.get_trials(deepcopy=False))
    counts = {"COMPLETE": status["complete"], "PRUNED": status["pruned"], "FAIL": status["fail"],
              "STALE": status["stale"], "WAITING": status["waiting"]}  # fmt: skip
    result = SweepResult(cfg.name, model.family, study.study_name, "", parent_id, ran, wall, counts)
    run = client.get_run(parent_id)
    result.experiment_id = run.info.experiment_id
    n_wall = len(client.get_metric_history(parent_id, "sweep_wall_seconds"))
    if ran or n_wall == 0:
        tracking.log_batch_chunked(
            client, parent_id, metrics=[("sweep_wall_seconds", wall, n_wall)]
        )
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    fingerprint = f"{len(study.get_trials(deepcopy=False))}:{sorted(counts.items())}"
    tags = {f"nnfs_lab.trials_{k.lower()}": v for k, v in counts.items()}
    if not complete:
        tracking.log_batch_chunked(client, parent_id, tags={**tags, "nnfs_lab.best": "none"})
        client.set_terminated(parent_id, status="FAILED")
        echo(f"[{study.study_name}] no trial completed; nothing to refit")
        return result
    best = study.best_trial
    result.best_value = best.value
    result.best_params = {**model.fixed, **tuning.decode_params(model.search, best.params)}
    if run.data.tags.get("nnfs_lab.finalized") == fingerprint:
        client.set_terminated(parent_id, status="FINISHED")
        return result  # nothing new since the last finalization: a rerun stays cheap
    t0 = time.perf_counter()
    best_run = best.user_attrs.get(tuning.ATTR_RUN_ID, "")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _trials_table(study).to_csv(tmp / "trials.csv", index=False)
        (tmp / "config.toml").write_text(cfg.source or "", encoding="utf-8")
        arts = [tmp / "trials.csv", tmp / "config.toml"]
        arts += _study_plots(study, cfg, tmp, client, parent_id)
        seeds_df, model_obj, X_example = _refit_over_seeds(cfg, model, result.best_params)
        seeds_df.to_csv(tmp / "seed_scores.csv", index=False)
        arts.append(tmp / "seed_scores.csv")
        gif = _best_trial_animation(cfg, model, result.best_params, tmp)
        if gif is not None:
            arts.append(gif)
            if best_run:
                client.log_artifact(best_run, str(gif), artifact_path="plots")
        for a in arts:
            client.log_artifact(parent_id, str(a))
    metrics = [("best_value", float(best.value), 0), ("best_trial_number", best.number, 0)]
    for i, row in seeds_df.iterrows():
        for k in ("test_accuracy", "test_log_loss", "fit_seconds_per_epoch", "n_epochs"):
            metrics.append((k, float(row[k]), int(i)))
    tags.update({f"best.{k}": v for k, v in result.best_params.items()})
    tags.update(
        {
            "nnfs_lab.best_trial": best.number,
            "nnfs_lab.best_run_id": best_run,
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


def _trials_table(study):
    """Optuna's trials table plus each trial's MLflow run id and retry origin."""
    df = study.trials_dataframe(attrs=("number", "value", "state", "duration", "params",
                                       "user_attrs", "system_attrs"))  # fmt: skip
    keep = [c for c in df.columns if not c.startswith("system_attrs_") or c in
            ("system_attrs_failed_trial",)]  # fmt: skip
    return df[keep]


def _study_plots(study, cfg, tmp: Path, client, parent_id: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import optuna
    import optuna.visualization.matplotlib as vis

    paths = []
    method = f"fANOVA (optuna FanovaImportanceEvaluator, seed={cfg.seed})"
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=cfg.seed)
    client.set_tag(parent_id, "importance_method", method)
    plots = {
        "optimization_history.png": (lambda: vis.plot_optimization_history(study), None),
        "param_importances.png": (
            lambda: vis.plot_param_importances(study, evaluator=evaluator),
            f"Hyperparameter importances, {method.split(' (')[0]} (seed {cfg.seed})",
        ),
        "intermediate_values.png": (lambda: vis.plot_intermediate_values(study), None),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning on every matplotlib plot
        for name, (make, title) in plots.items():
            try:
                ax = make()
                ax0 = ax if hasattr(ax, "figure") else ax.flat[0]
                if title:
                    ax0.set_title(title, loc="left", fontsize=10)  # replaces Optuna's
                fig = ax0.figure
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
    """Refit ``params`` on the whole training split for each seed; score on the test split.

    Seed ``i`` is ``cfg.seed + i`` for every family, so family results pair up seed by seed.
    """
    import pandas as pd
    from sklearn.pipeline import Pipeline

    fam = tuning.FAMILY_ADAPTERS[model.family]
    data = tuning.prepare_data(cfg)
    scaler = tuning._make_scaler(cfg.dataset.scale)
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
        acc, ll = tuning.scores(est, X_te, data.y_test)
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


def _best_trial_animation(cfg, model, params, tmp: Path) -> Path | None:
    """GIF of the best configuration's decision boundary while it trains (2-D data only).

    The trial's own model is not kept, so it is retrained on the trial's first fold with the
    trial's seed, recording the class-probability map as it goes.
    """
    if not cfg.trial_plots:
        return None
    data = tuning.prepare_data(cfg)
    if data.X_train.shape[1] != 2:
        return None
    from nnfs_lab.plots import DecisionBoundaryRecorder

    tr, va = data.folds[0]
    X_tr, y_tr = data.X_train[tr], data.y_train[tr]
    X_va, y_va = data.X_train[va], data.y_train[va]
    scaler = tuning._make_scaler(cfg.dataset.scale)
    if scaler is not None:
        X_tr, X_va = scaler.fit_transform(X_tr), scaler.transform(X_va)
    fam = tuning.FAMILY_ADAPTERS[model.family]
    est = fam.build(params, seed=cfg.seed, max_epochs=cfg.budget.max_epochs)
    rec = DecisionBoundaryRecorder(X_tr, y_tr, X_test=X_va, y_test=y_va, max_frames=40,
                                   resolution=60)  # fmt: skip

    def on_epoch(logs: dict) -> None:
        rec.on_epoch_end(est, int(logs["epoch"]), logs)

    try:
        fam.train(est, X_tr, y_tr, X_val=X_va, y_val=y_va, on_epoch=on_epoch)
        rec.on_train_end(est)
        return rec.save_gif(tmp / "training_animation.gif", fps=8, dpi=60)
    except Exception as exc:  # an animation is a nicety; never fail the sweep for it
        warnings.warn(f"best-trial animation failed: {exc}", stacklevel=2)
        return None


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
