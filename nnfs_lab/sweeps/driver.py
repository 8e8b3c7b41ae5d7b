"""The sweep driver: stores, studies and parent runs first, then workers, then the summary.

For each experiment file and model family, :func:`sweep`

1. creates (or finds) the MLflow experiment and the family's parent run, and the Optuna study,
   recording the MLflow ids on the study so that workers anywhere can attach their runs;
2. fails trials that dead workers left RUNNING (and retries them), then enqueues one empty slot
   per trial still missing from the budget: a rerun therefore resumes, never repeats;
3. runs ``workers`` local workers (in this process for one, spawned processes otherwise);
   :func:`join` runs a worker on another machine against the same study;
4. summarizes the study on its parent run (:mod:`~nnfs_lab.sweeps.summary`);
5. builds the comparison run of the experiment (:mod:`nnfs_lab.tracking.report`).

Everything of MLflow and Optuna is created here before any worker starts: eight processes
creating a fresh ``mlflow.db`` at once were measured to corrupt it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from nnfs_lab import tracking
from nnfs_lab.sweeps.attrs import (
    STUDY_EXPERIMENT_ID,
    STUDY_FAMILY,
    STUDY_PARENT_RUN_ID,
    STUDY_TRACKING_URI,
)
from nnfs_lab.sweeps.background import Summaries, abandon, draws_off_screen
from nnfs_lab.sweeps.budget import budget_status, enqueue_slots
from nnfs_lab.sweeps.config import ExperimentConfig, ModelConfig
from nnfs_lab.sweeps.data import prepare_data
from nnfs_lab.sweeps.experiment import load_experiment
from nnfs_lab.sweeps.families import get_family
from nnfs_lab.sweeps.generations import proposer
from nnfs_lab.sweeps.locks import FileLock, lock_dir
from nnfs_lab.sweeps.objective import SweepHooks
from nnfs_lab.sweeps.pool import WorkerPool
from nnfs_lab.sweeps.progress import echo_line
from nnfs_lab.sweeps.provenance import environment_tags, sweep_tags
from nnfs_lab.sweeps.repair import fail_pending_models, repair_runs
from nnfs_lab.sweeps.sampling import make_pruner, make_sampler, sampler_seed
from nnfs_lab.sweeps.stale import reap_stale
from nnfs_lab.sweeps.storage import resolve_storage, storage_label
from nnfs_lab.sweeps.summary import (
    StudySession,
    SweepResult,
    experiment_note,
    finalize_parent,
    objective_metric,
    parent_params,
)
from nnfs_lab.sweeps.threads import blas_threads
from nnfs_lab.sweeps.workers import WorkerTask, open_storage, proposes_itself, run_worker

__all__ = ["SweepResult", "sweep"]


def _with_budget(cfg: ExperimentConfig, n_trials: int | None, timeout: float | None):
    b = cfg.budget
    return replace(cfg, budget=replace(
        b, n_trials=b.n_trials if n_trials is None else n_trials,
        timeout=b.timeout if timeout is None else timeout))  # fmt: skip


def _configs(configs: Sequence[str | Path | ExperimentConfig]) -> list[ExperimentConfig]:
    # Every file is validated before anything runs: a typo in the third file must not surface
    # after the first two sweeps.
    return [c if isinstance(c, ExperimentConfig) else load_experiment(c) for c in configs]


def _selected(cfg: ExperimentConfig, families: Sequence[str] | None) -> list[ModelConfig]:
    return [m for m in cfg.models if m.enabled and (not families or m.family in families)]


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
    heartbeat_interval: int = 10,
    grace_period: int = 30,
    deterministic: bool = True,
    overlap_summaries: bool = False,
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
    deterministic : bool
        Propose trials in generations (:mod:`~nnfs_lab.sweeps.generations`): the same results
        for any number of workers and any timing. False samples each trial when a worker
        claims it, from whatever has finished by then (more throughput, no reproducibility).
        A time-only budget is always asynchronous.

    Returns
    -------
    list of SweepResult

    Raises
    ------
    nnfs_lab.tracking.StoreError
        When the tracking store or the Optuna storage cannot be reached.

    With ``workers > 1`` and ``overlap_summaries``, a study's summary (and an experiment's
    comparison) runs in a background thread while the next study's workers train, if matplotlib
    draws off-screen (Agg, as the CLI selects). It pays where cores are spare; with as many
    workers as cores it saved nothing measurable, and the next study's wall time then includes
    the summary's folds queued in the pool first: off by default, each study's phase runs alone.
    """
    import optuna

    echo = echo or echo_line
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # The sweep's own fits (probe fits, trials, evaluation) never feed a user's autologging.
    with tracking.autolog_disabled():
        cfgs = [_with_budget(c, n_trials, timeout) for c in _configs(configs)]
        uri = tracking.resolve_tracking_uri(tracking_uri)
        spec = resolve_storage(storage, uri)
        tracking.check_tracking_uri(uri)
        locks = lock_dir(uri, spec)
        task_args = {"heartbeat_interval": heartbeat_interval, "grace_period": grace_period,
                     "deterministic": deterministic}  # fmt: skip
        # Local worker processes start once for the whole sweep; they import their libraries
        # (seconds) while this process creates the store and the first study.
        pooled = workers > 1
        # With a pool, this process trains only beside it (refits, folds it falls back on):
        # one BLAS thread for the whole sweep. The setting is process-wide: without this outer
        # block the driver's thread, leaving its own block, would lift the limit under a summary
        # refitting in the background (and OpenBLAS ignored a restore issued from a thread other
        # than the one that lowered it, measured), so the limit is held here, by this thread.
        with WorkerPool(workers, hooks) if pooled else contextlib.nullcontext() as pool, \
                blas_threads(1 if pooled else None):  # fmt: skip
            client = _ready_store(uri, echo, FileLock(locks / "setup.lock"))
            overlap = pooled and overlap_summaries and draws_off_screen()
            return _sweep_all(cfgs, client, uri, spec, locks, pool, families=families,
                              hooks=hooks, echo=echo, compare=compare, task_args=task_args,
                              overlap=overlap)  # fmt: skip


def _sweep_all(cfgs, client, uri, spec, locks, pool, *, families, hooks, echo, compare,
               task_args, overlap: bool) -> list[SweepResult]:  # fmt: skip
    # With overlap (--overlap-summaries, a pool, Agg) a summary runs beside the next study.
    summaries = Summaries(background=overlap)
    results: list[tuple[str, Any]] = []  # (parent run id, future SweepResult)
    try:
        _submit_all(cfgs, client, uri, spec, locks, pool, summaries, results, families=families,
                    hooks=hooks, echo=echo, compare=compare, task_args=task_args)  # fmt: skip
        summaries.wait()
    except BaseException:
        abandon(summaries, results, client, pool)
        raise
    return [r.result() for _, r in results]


def _submit_all(cfgs, client, uri, spec, locks, pool, summaries, results, *, families, hooks,
                echo, compare, task_args) -> None:  # fmt: skip
    for cfg in cfgs:
        # The data first: a data set that cannot be loaded (offline download, say) fails
        # before anything is created in the stores; the summaries reuse it.
        data = prepare_data(cfg)
        with FileLock(locks / "setup.lock"):
            exp_id = tracking.ensure_experiment(client, cfg.name, uri,
                                                description=experiment_note(cfg))  # fmt: skip
        for model in _selected(cfg, families):
            task = WorkerTask(
                cfg=cfg, family=model.family, storage=spec, tracking_uri=uri,
                timeout=cfg.budget.timeout, heartbeat_interval=task_args["heartbeat_interval"],
                grace_period=task_args["grace_period"],
                deterministic=task_args["deterministic"] and cfg.budget.n_trials is not None,
                proposes=True,
            )  # fmt: skip
            parent_id, summary = _sweep_family(task, model, exp_id, client, data, pool=pool,
                                               hooks=hooks, echo=echo)  # fmt: skip
            # Recorded before the submit, which raises if an earlier summary failed: a parent
            # whose summary never ran is then ended KILLED too (abandon), not left RUNNING.
            results.append((parent_id, Future()))
            results[-1] = (parent_id, summaries.submit(summary))
        if compare:  # after the experiment's summaries (it reads them)
            summaries.submit(partial(_compare, client, exp_id, echo))


def _compare(client, exp_id: str, echo: Callable[[str], None]) -> None:
    from nnfs_lab.tracking.report import compare_experiment, format_comparison

    echo("")
    echo(format_comparison(compare_experiment(client, exp_id, log=True)))


def _ready_store(uri: str, echo: Callable[[str], None], lock: FileLock):
    """The MLflow client, its store created (schema migrations) before any worker starts.

    Creating a fresh sqlite store takes seconds; it is done once here, timed and reported
    apart from the sweep, and never by two processes at once (``lock``): two sweeps creating
    one ``mlflow.db`` together were measured to break it for good.
    """
    db = tracking.sqlite_path(uri)
    with lock:
        fresh = db is not None and not db.exists()
        t0 = time.perf_counter()
        if db is not None:  # before MLflow connects: its migrations and every trial gain
            tracking.use_wal(db)
        client = tracking.get_client(uri)
        client.search_experiments(max_results=1)  # the first request creates and migrates it
    if fresh:
        echo(f"created the tracking store {db} in {time.perf_counter() - t0:.1f}s")
    return client


def _link_study(study: Any, task: WorkerTask, exp_id: str, parent_id: str) -> None:
    attrs = {STUDY_EXPERIMENT_ID: exp_id, STUDY_PARENT_RUN_ID: parent_id,
             STUDY_FAMILY: task.family}  # fmt: skip
    if tracking.mask_url(task.tracking_uri) == task.tracking_uri:  # never store a password
        attrs[STUDY_TRACKING_URI] = task.tracking_uri
    for k, v in attrs.items():
        if study.user_attrs.get(k) != v:
            study.set_user_attr(k, v)


def _create_study(task: WorkerTask, model: ModelConfig, exp_id: str, client) -> tuple:
    """Create or load the study and the parent run; link them; return (study, storage, ...)."""
    import optuna

    cfg = task.cfg
    storage, handler = open_storage(task)
    study_name = cfg.study_name(model.family)
    study = optuna.create_study(study_name=study_name, storage=storage, direction=cfg.direction,
                                load_if_exists=True, sampler=make_sampler(cfg, cfg.seed),
                                pruner=make_pruner(cfg))  # fmt: skip
    if study.direction.name.lower() != cfg.direction:
        raise ValueError(
            f"{cfg.path}: study {study_name!r} exists with direction {study.direction.name}; "
            f"objective {cfg.objective!r} needs {cfg.direction} (use a new experiment name)"
        )
    tracking.set_metric_names(study, [objective_metric(cfg)])
    note = f"{get_family(model.family).label} sweep on {cfg.dataset.name}. {cfg.description}"
    parent_id = tracking.ensure_parent_run(
        client, exp_id, study_name=study_name, family=model.family,
        params=parent_params(cfg, model),
        tags={"nnfs_lab.storage": storage_label(task.storage), "nnfs_lab.config_path": cfg.path,
              "mlflow.note.content": note, **environment_tags(),
              **sweep_tags(cfg, deterministic=task.deterministic)},
    )  # fmt: skip
    _link_study(study, task, exp_id, parent_id)
    return study, storage, handler, parent_id


def _local_workers(task: WorkerTask, study: Any, workers_n: int) -> int:
    budget = task.cfg.budget.n_trials
    if budget is None:
        return max(1, workers_n)
    status = budget_status(study.get_trials(deepcopy=False))
    if task.deterministic:
        left = budget - status["used"]
        return min(workers_n, left, task.cfg.budget.generation_size) if left > 0 else 0
    if not status["waiting"] and status["running"]:
        # Trials still run elsewhere (or may be given back): wait for them before the
        # summary, which must not describe a half-finished study.
        return 1
    return min(workers_n, status["waiting"])


def _run_local(tasks: list[WorkerTask], study: Any, pool, hooks, echo, propose) -> float:
    """Run the study's local workers; the seconds they spent on it (summed over processes)."""
    name = study.study_name
    t0 = time.perf_counter()
    if not tasks:
        return 0.0
    if len(tasks) == 1 or pool is None:
        run_worker(tasks[0], hooks, echo, propose=propose)
        return time.perf_counter() - t0
    # On a journal the pool's processes propose themselves; on an RDB the driver polls for them.
    polls = None if proposes_itself(tasks[0]) else propose
    outcomes = pool.run(tasks, while_waiting=polls)
    for i, (code, _) in enumerate(outcomes):
        if code != 0:
            echo(f"[{name}] worker {i} exited with code {code}")
    seconds = sum(s for _, s in outcomes)
    # What workers that died left (trials given back, a generation not proposed): run it here.
    status = budget_status(study.get_trials(deepcopy=False))
    unproposed = propose is not None and status["used"] < tasks[0].cfg.budget.n_trials
    if any(c != 0 for c, _ in outcomes) and (status["waiting"] or unproposed):
        echo(f"[{name}] finishing the study in the driver")
        t1 = time.perf_counter()
        run_worker(replace(tasks[0], label="d"), hooks, echo, propose=propose)
        seconds += time.perf_counter() - t1
    return seconds


def _sweep_family(task, model, exp_id, client, data, *, pool, hooks, echo
                  ) -> tuple[str, Callable[[], SweepResult]]:  # fmt: skip
    """Run the study's workers; return its parent run id and its summary, to be run (here or
    in the background)."""
    cfg = task.cfg
    locks = lock_dir(task.tracking_uri, task.storage)
    with FileLock(locks / "setup.lock"):
        study, storage, handler, parent_id = _create_study(task, model, exp_id, client)
    name = study.study_name
    if reaped := reap_stale(study, storage, handler):
        echo(f"[{name}] trials {reaped} were left RUNNING by a dead worker: marked FAIL, retried")
    if fixed := repair_runs(study, client, exp_id, parent_id, cfg, model.family):
        echo(f"[{name}] MLflow runs of trials {fixed} disagreed with Optuna: re-logged")
    if orphans := fail_pending_models(client, exp_id, parent_id):
        echo(f"[{name}] models {orphans} were left PENDING by a killed process: marked FAILED")
    trials = study.get_trials(deepcopy=False)
    finished_before = {t.number for t in trials if t.state.is_finished()}
    # The driver proposes; on a journal its pool's processes too, under one lock (proposes_itself).
    propose = proposer(study, cfg, model, handler.proposals) if task.deterministic else None
    added = propose() if propose else enqueue_slots(study, cfg.budget.n_trials)
    if pool is not None and pool.size == 0:
        echo(f"[{name}] every worker process has died: this study runs in the driver")
        pool = None
    n_local = _local_workers(task, study, pool.size if pool is not None else 1)
    used = budget_status(study.get_trials(deepcopy=False))["used"]
    echo(f"[{name}] {used}/{cfg.budget.n_trials or '-'} trials done, {added} added; "
         f"{n_local} local worker(s) (tracking {tracking.mask_url(task.tracking_uri)}, "
         f"storage {storage_label(task.storage)})")  # fmt: skip
    tasks = [replace(task, label=str(i), sampler_seed=sampler_seed(cfg.seed, i, len(trials)))
             for i in range(n_local)]  # fmt: skip
    t0 = time.perf_counter()
    try:
        with blas_threads(1 if task.deterministic else None):
            worker_seconds = _run_local(tasks, study, pool, hooks, echo, propose)
    except KeyboardInterrupt:
        # The pool's processes first hand their trials back and end (within a grace period):
        # a trial one of them still held (interrupted before it could give it back, or killed)
        # then has a dead owner, which the reaper fails and retries; a live one it would skip.
        if pool is not None:
            pool.close(interrupt=True)
        _hand_back(study, storage, handler, client, parent_id, echo)
        raise
    wall = time.perf_counter() - t0
    if reaped := reap_stale(study, storage, handler):
        echo(f"[{name}] trials {reaped} died with their worker: marked FAIL")
    repair_runs(study, client, exp_id, parent_id, cfg, model.family)
    ran = {t.number for t in study.get_trials(deepcopy=False)
           if t.state.is_finished() and t.number not in finished_before}  # fmt: skip
    session = StudySession(wall, frozenset(ran), worker_seconds, data, pool)
    return parent_id, partial(_summarize, locks / f"{name}.lock", cfg, model, study, client,
                              task.tracking_uri, parent_id, session, echo)  # fmt: skip


def _summarize(lock: Path, cfg, model, study, client, uri: str, parent_id: str,
               session: StudySession, echo) -> SweepResult:  # fmt: skip
    # One summary per study, whichever process of this machine gets there first; the other
    # finds it done (finalize_parent compares the study's fingerprint) and skips it.
    with FileLock(lock):
        return finalize_parent(cfg, model, study, client, uri, parent_id, session, echo)


def _hand_back(study: Any, storage: Any, handler: Any, client, parent_id: str, echo) -> None:
    """After Ctrl-C: trials of dead workers failed and re-queued, their runs and the parent
    ended, so nothing is left RUNNING; the next run resumes where this one stopped."""
    try:
        if reaped := reap_stale(study, storage, handler):
            echo(f"[{study.study_name}] interrupted: trials {reaped} handed back for a rerun")
        client.set_terminated(parent_id, status="KILLED")
    except Exception as exc:  # the interrupt matters more than the bookkeeping
        echo(f"[{study.study_name}] interrupted; cleanup incomplete ({exc}); rerun to repair")
