"""Sweep workers: claim trials of a shared Optuna study, run them, and clean up after dead workers.

The budget is a set of *slots*: the driver enqueues one empty ``WAITING`` trial per trial still
to run. A worker claims a slot by moving it to ``RUNNING``, which both Optuna storages do
atomically (a second claimant is refused), samples its parameters from TPE at that moment, and
runs it. So any number of workers, in any number of processes or machines, run exactly the
budget and never the same trial twice; a worker stops when no slot is left and no trial is
running anywhere that could still give one back.

A trial whose worker died is *stale*. On an RDB storage (PostgreSQL) workers beat a heartbeat and
Optuna fails a trial whose heartbeat is older than the grace period; on a journal file (one
machine) a trial is stale when the process that claimed it is gone. Either way
:class:`StaleTrialHandler` ends its MLflow child run FAILED and re-enqueues the same parameters
as a new trial, so the budget still completes. The stale trial stays FAIL in Optuna and does
not use up budget (:func:`budget_status`).
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import socket
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnfs_lab import tracking, tuning
from nnfs_lab.config import ExperimentConfig

__all__ = [
    "StaleTrialHandler",
    "WorkerTask",
    "budget_status",
    "enqueue_slots",
    "open_study",
    "reap_stale",
    "run_worker",
    "spawn_workers",
]

ATTR_HOST = "nnfs_lab.host"
ATTR_PID = "nnfs_lab.pid"
#: Study user attributes the driver writes so that workers anywhere can find the MLflow side.
STUDY_EXPERIMENT_ID = "mlflow_experiment_id"
STUDY_PARENT_RUN_ID = "mlflow_parent_run_id"
STUDY_FAMILY = "nnfs_lab.family"
STUDY_TRACKING_URI = "nnfs_lab.tracking_uri"

_OWNER_ATTRS = (ATTR_HOST, ATTR_PID, tuning.ATTR_RUN_ID, tuning.ATTR_ERROR, tuning.ATTR_RETRY_OF)

#: A RUNNING trial that never got its owner's host/pid attributes (the worker died within
#: milliseconds of claiming it) is stale after this long.
_UNOWNED_STALE_SECONDS = 60.0


@dataclass(frozen=True)
class WorkerTask:
    """Everything a worker needs (picklable, for spawned processes).

    Attributes
    ----------
    cfg : ExperimentConfig
    family : str
    storage : str
        Optuna storage spec (:func:`nnfs_lab.tuning.resolve_storage`).
    tracking_uri : str
    timeout : float, optional
        Seconds after which the worker claims no new trial.
    label : str
        Shown in progress lines and logged as the ``nnfs_lab.worker`` tag.
    sampler_seed : int
    heartbeat_interval, grace_period : int
        Seconds (RDB storages only).
    poll_seconds : float
        How often an idle worker checks for trials given back by dead workers.
    max_retry : int
        How many times one configuration is retried after its worker died.
    budget_total : int, optional
        Shown in the progress bar.
    """

    cfg: ExperimentConfig
    family: str
    storage: str
    tracking_uri: str
    timeout: float | None = None
    label: str = "0"
    sampler_seed: int = 0
    heartbeat_interval: int = 10
    grace_period: int = 30
    poll_seconds: float = 1.0
    max_retry: int = 3
    budget_total: int | None = None


# ------------------------------------------------------------------------------- stale trials


class StaleTrialHandler:
    """Called for each trial failed because its worker died (Optuna's stale-trial callback).

    Ends the trial's MLflow child run FAILED (creating it when the worker died before logging
    anything), then re-enqueues the same configuration with Optuna's
    ``RetryHeartbeatStaleTrialCallback``, which records the original trial number in
    ``system_attrs["failed_trial"]`` / ``["retry_history"]``.
    """

    def __init__(self, tracking_uri: str, max_retry: int | None = 3) -> None:
        self.tracking_uri = tracking_uri
        self.max_retry = max_retry

    def __call__(self, study: Any, trial: Any) -> None:
        import optuna

        attrs = study.user_attrs
        try:
            client = tracking.get_client(self.tracking_uri)
            tracking.fail_trial_runs(
                client,
                attrs[STUDY_EXPERIMENT_ID],
                attrs[STUDY_PARENT_RUN_ID],
                study_name=study.study_name,
                family=attrs.get(STUDY_FAMILY, "?"),
                trial_numbers=[trial.number],
                reason="worker died (heartbeat or process lost); the trial is retried",
            )
        except Exception as exc:  # the retry matters more than the bookkeeping
            warnings.warn(f"could not end the MLflow run of trial {trial.number}: {exc}",
                          stacklevel=2)  # fmt: skip
        # The retry inherits the trial's user attributes: drop the dead owner's, or a reaper
        # could judge the retry dead in the instant between its claim and its new owner's.
        template = copy.copy(trial)
        template.user_attrs = {k: v for k, v in trial.user_attrs.items() if k not in _OWNER_ATTRS}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=self.max_retry)
            retry(study, template)


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's live process
        return False
    try:  # a killed child its parent has not reaped yet is a zombie: as good as gone
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _age_seconds(trial: Any) -> float:
    start = trial.datetime_start
    return math.inf if start is None else (time.time() - start.timestamp())


def _locally_dead(trial: Any, host: str) -> bool:
    """A RUNNING trial whose owner on this machine is gone (or that never got an owner)."""
    owner, pid = trial.user_attrs.get(ATTR_HOST), trial.user_attrs.get(ATTR_PID)
    if owner is None or pid is None:
        return _age_seconds(trial) > _UNOWNED_STALE_SECONDS
    return owner == host and _process_gone(int(pid))


def _heartbeat_enabled(storage: Any) -> bool:
    return bool(getattr(storage, "heartbeat_interval", None))


def reap_stale(study: Any, storage: Any, handler: StaleTrialHandler) -> list[int]:
    """Fail the trials left RUNNING by dead workers, end their MLflow runs, retry them.

    Returns the numbers of the trials this call failed (another process may reap concurrently;
    each trial is failed, and so retried, exactly once).
    """
    import optuna
    from optuna.trial import TrialState

    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if not running:
        return []
    if _heartbeat_enabled(storage):
        before = {t.number for t in running}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)  # runs the handler for what it fails
        now = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
        reaped = sorted(before - now)
        # A worker that died between claiming and its first heartbeat is invisible to Optuna.
        extra = [t for t in running if t.number in now and ATTR_HOST not in t.user_attrs
                 and _age_seconds(t) > _UNOWNED_STALE_SECONDS]  # fmt: skip
    else:
        host = socket.gethostname()
        extra = [t for t in running if _locally_dead(t, host)]
        reaped = []
    study_id = storage.get_study_id_from_name(study.study_name)
    for t in extra:
        tid = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
        try:
            if not storage.set_trial_state_values(tid, TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # someone else reaped (or the trial just finished)
        handler(study, storage.get_trial(tid))
        reaped.append(t.number)
    # A trial that left RUNNING meanwhile because it finished (even by failing) is not stale:
    # only a FAIL without the objective's error attribute is a death.
    died = {
        t.number
        for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
        if tuning.ATTR_ERROR not in t.user_attrs
    }
    return sorted(n for n in reaped if n in died)


def budget_status(trials: list[Any]) -> dict[str, int]:
    """How a study's trials stand against its budget.

    ``used``: COMPLETE, PRUNED, and FAIL except trials that died with their worker and were
    retried (the retry takes their slot); ``running`` and ``waiting`` hold slots too.
    """
    from optuna.trial import TrialState

    retried = {n for t in trials for n in t.system_attrs.get("retry_history", ())}
    out = {"used": 0, "running": 0, "waiting": 0, "complete": 0, "pruned": 0, "fail": 0,
           "stale": 0}  # fmt: skip
    for t in trials:
        if t.state == TrialState.COMPLETE:
            out["used"] += 1
            out["complete"] += 1
        elif t.state == TrialState.PRUNED:
            out["used"] += 1
            out["pruned"] += 1
        elif t.state == TrialState.FAIL:
            if t.number in retried:
                out["stale"] += 1
            else:
                out["used"] += 1
                out["fail"] += 1
        elif t.state == TrialState.RUNNING:
            out["running"] += 1
        elif t.state == TrialState.WAITING:
            out["waiting"] += 1
    return out


def enqueue_slots(study: Any, budget: int | None) -> int:
    """Enqueue empty trials so that used + running + waiting reaches ``budget``; return how many.

    Parameters are not fixed: TPE samples them when a worker claims the slot, from everything
    finished by then.
    """
    if budget is None:
        return 0
    status = budget_status(study.get_trials(deepcopy=False))
    missing = budget - status["used"] - status["running"] - status["waiting"]
    for _ in range(max(0, missing)):
        study.enqueue_trial({})
    return max(0, missing)


# ------------------------------------------------------------------------------------ worker


def open_study(task: WorkerTask, *, seed: int | None = None) -> tuple[Any, Any, StaleTrialHandler]:
    """Load the task's study (it must exist: the driver creates it) with its storage and handler."""
    import optuna

    handler = StaleTrialHandler(task.tracking_uri, task.max_retry)
    storage = tuning.make_storage(
        task.storage,
        heartbeat_interval=task.heartbeat_interval,
        grace_period=task.grace_period,
        stale_callback=handler,
    )
    name = task.cfg.study_name(task.family)
    try:
        study = optuna.load_study(
            study_name=name,
            storage=storage,
            sampler=tuning.make_sampler(task.cfg, task.sampler_seed if seed is None else seed),
            pruner=tuning.make_pruner(task.cfg),
        )
    except KeyError:
        raise tracking.NotFoundError(
            f"no study {name!r} in {tuning.storage_label(task.storage)}; create it with "
            f"`nnfs-lab sweep {task.cfg.path} --storage ...` first"
        ) from None
    return study, storage, handler


class _Heartbeat:
    """Records the trial's heartbeat now and every ``interval`` seconds until the block ends.

    Optuna's own heartbeat thread belongs to ``Study.optimize``, which cannot claim a slot
    without creating a trial when none is left; this is the same loop for our claim loop.
    """

    def __init__(self, storage: Any, trial_id: int) -> None:
        self.storage, self.trial_id = storage, trial_id
        self.interval = getattr(storage, "heartbeat_interval", None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        if self.interval:
            self.storage.record_heartbeat(self.trial_id)
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception:  # a transient DB error: the next beat may succeed
                pass

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _claim(study: Any, storage: Any, study_id: int) -> Any | None:
    """Move one WAITING trial to RUNNING for this worker; None when no slot is left."""
    import optuna
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        tid = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
        try:
            if not storage.set_trial_state_values(tid, TrialState.RUNNING):
                continue  # another worker claimed it first
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
        storage.set_trial_user_attr(tid, ATTR_HOST, socket.gethostname())
        storage.set_trial_user_attr(tid, ATTR_PID, os.getpid())
        origin = t.system_attrs.get("failed_trial")  # set by the retry callback
        if origin is not None:
            storage.set_trial_user_attr(tid, tuning.ATTR_RETRY_OF, origin)
        return tid
    return None


def _others_running(study: Any, storage: Any) -> bool:
    """Whether some trial still runs that might be given back (so an idle worker should wait)."""
    from optuna.trial import TrialState

    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if _heartbeat_enabled(storage):
        return bool(running)
    # A journal file has no heartbeats: only trials of this machine can be judged. A trial of
    # another machine sharing the file is not waited for (use an RDB storage across machines).
    host = socket.gethostname()
    return any(t.user_attrs.get(ATTR_HOST, host) == host for t in running)


def run_worker(
    task: WorkerTask,
    hooks: tuning.SweepHooks | None = None,
    echo: Callable[[str], None] | None = None,
) -> int:
    """Claim and run trials of ``task``'s study until no slot is left or ``task.timeout``.

    The study, its MLflow experiment and parent run must exist (the driver creates them and
    records their ids as study user attributes).

    Returns
    -------
    int
        Trials this worker ran.
    """
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    echo = echo or _print
    study, storage, handler = open_study(task)
    attrs = study.user_attrs
    client = tracking.get_client(task.tracking_uri)
    ctx = tuning.TrialContext(
        cfg=task.cfg,
        family=task.family,
        client=client,
        experiment_id=attrs[STUDY_EXPERIMENT_ID],
        parent_run_id=attrs[STUDY_PARENT_RUN_ID],
        worker=task.label,
        hooks=hooks or tuning.SweepHooks(),
    )
    objective = tuning.make_objective(ctx, tuning.prepare_data(task.cfg))
    study_id = storage.get_study_id_from_name(study.study_name)
    deadline = None if task.timeout is None else time.monotonic() + task.timeout
    progress = _Progress(task, echo)
    ran = 0
    while deadline is None or time.monotonic() < deadline:
        for n in reap_stale(study, storage, handler):
            echo(f"[{study.study_name}] trial {n} lost its worker: marked FAIL and retried")
        tid = _claim(study, storage, study_id)
        if tid is None:
            if task.cfg.budget.n_trials is None:  # a time budget only: make a new trial
                tid = storage.create_new_trial(study_id)
                storage.set_trial_user_attr(tid, ATTR_HOST, socket.gethostname())
                storage.set_trial_user_attr(tid, ATTR_PID, os.getpid())
            elif _others_running(study, storage):
                time.sleep(task.poll_seconds)
                continue
            else:
                break
        # A fresh Study object per trial: its trial cache (which TPE reads) starts empty, so
        # the sampler sees every trial finished so far, by any worker.
        study = optuna.load_study(
            study_name=study.study_name, storage=storage, sampler=study.sampler,
            pruner=study.pruner,
        )  # fmt: skip
        trial = optuna.trial.Trial(study, tid)
        value, state = None, TrialState.FAIL
        with _Heartbeat(storage, tid):
            try:
                value, state = objective(trial), TrialState.COMPLETE
            except optuna.TrialPruned:
                state = TrialState.PRUNED
            except Exception as exc:
                state = TrialState.FAIL
                if tuning.ATTR_ERROR not in trial.user_attrs:  # raised before the objective's try
                    trial.set_user_attr(tuning.ATTR_ERROR, f"{type(exc).__name__}: {exc}"[:300])
            except BaseException:
                # Interrupted (Ctrl-C, SystemExit): give the trial back rather than count it.
                with contextlib.suppress(Exception):
                    if storage.set_trial_state_values(tid, TrialState.FAIL):
                        handler(study, storage.get_trial(tid))
                raise
        frozen = study.tell(trial, value if state == TrialState.COMPLETE else None, state=state)
        ran += 1
        progress(study, frozen)
    return ran


class _Progress:
    """One line per finished trial with a bar of the study's progress against its budget."""

    def __init__(self, task: WorkerTask, echo: Callable[[str], None]) -> None:
        self.echo, self.objective = echo, task.cfg.objective
        self.label = f"{task.cfg.study_name(task.family)} w{task.label}"

    def __call__(self, study: Any, frozen: Any) -> None:
        status = budget_status(study.get_trials(deepcopy=False))
        total = status["used"] + status["running"] + status["waiting"]
        done = status["used"]
        width = 20
        filled = round(width * done / total) if total else width
        bar = "#" * filled + "." * (width - filled)
        value = f"{frozen.value:.4f}" if frozen.value is not None else "-"
        if frozen.state.name == "PRUNED":
            value = f"pruned@{frozen.last_step}"
        try:
            best = f"{study.best_value:.4f}"
        except ValueError:
            best = "-"
        secs = (
            (frozen.datetime_complete - frozen.datetime_start).total_seconds()
            if frozen.datetime_complete and frozen.datetime_start
            else math.nan
        )
        note = ""
        if frozen.state.name == "FAIL":
            note = "  " + str(frozen.user_attrs.get(tuning.ATTR_ERROR, ""))[:120]
        self.echo(
            f"[{self.label}] [{bar}] {done:>3}/{total} trial {frozen.number:>3} "
            f"{frozen.state.name:<8} {self.objective}={value} best={best} ({secs:.1f}s){note}"
        )


def _print(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------------------- local processes


@contextlib.contextmanager
def _single_threaded_blas():
    """Environment for spawned workers: one BLAS thread each.

    N workers on N cores with multi-threaded BLAS would oversubscribe the machine; the variables
    must be set before the child imports NumPy, i.e. in the environment it is spawned with.
    """
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    for n in names:
        os.environ.setdefault(n, "1")
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def _spawned_worker(task: WorkerTask, hooks: tuning.SweepHooks | None) -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MPLBACKEND", "Agg")
    run_worker(task, hooks)


def spawn_workers(
    tasks: list[WorkerTask], hooks: tuning.SweepHooks | None = None
) -> list[int | None]:
    """Run each task in its own spawned process; wait for all; return their exit codes."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_spawned_worker, args=(t, hooks)) for t in tasks]
    with _single_threaded_blas():
        for p in procs:
            p.start()
    try:
        for p in procs:
            p.join()
    except BaseException:
        for p in procs:  # only our own children, by handle
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=10)
        raise
    return [p.exitcode for p in procs]
