"""Sweep workers: claim trials of a shared Optuna study and run them, here or in spawned processes.

The budget is a set of slots (:mod:`~nnfs_lab.sweeps.budget`). A worker claims a slot, samples its
parameters from TPE at that moment, and runs it; it stops when no slot is left and no trial is
running anywhere that could still give one back (:mod:`~nnfs_lab.sweeps.stale`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nnfs_lab.sweeps.attrs import (
    ATTR_ERROR,
    ATTR_HOST,
    ATTR_PID,
    ATTR_PROCESS,
    ATTR_RETRY_OF,
    STUDY_EXPERIMENT_ID,
    STUDY_PARENT_RUN_ID,
)
from nnfs_lab.sweeps.budget import budget_status
from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.data import prepare_data
from nnfs_lab.sweeps.generations import GenerationPruner, proposer
from nnfs_lab.sweeps.locks import FileLock, claim_lock, propose_lock
from nnfs_lab.sweeps.objective import SweepHooks, TrialContext, make_objective
from nnfs_lab.sweeps.progress import Progress, echo_line
from nnfs_lab.sweeps.sampling import make_pruner, make_sampler
from nnfs_lab.sweeps.stale import (
    StaleTrialHandler,
    heartbeat_enabled,
    process_identity,
    reap_stale,
)
from nnfs_lab.sweeps.storage import make_storage, storage_label
from nnfs_lab.tracking import NotFoundError, get_client

__all__ = [
    "WorkerTask",
    "claim_slot",
    "open_storage",
    "open_study",
    "others_running",
    "own_proposer",
    "proposes_itself",
    "run_worker",
]


@dataclass(frozen=True)
class WorkerTask:
    """Everything a worker needs (picklable, for spawned processes).

    Attributes
    ----------
    cfg : ExperimentConfig
    family : str
    storage : str
        Optuna storage spec (:func:`nnfs_lab.sweeps.storage.resolve_storage`).
    tracking_uri : str
    timeout : float, optional
        Seconds after which the worker claims no new trial.
    label : str
        Shown in progress lines and logged as the ``nnfs_lab.worker`` tag.
    sampler_seed : int
    heartbeat_interval, grace_period : int
        Seconds (RDB storages only).
    poll_seconds : float
        How often an idle worker checks for new slots or trials given back by dead workers.
    max_retry : int
        How many times one configuration is retried after its worker died.
    deterministic : bool
        Slots are proposed in generations. On a journal file the driver's worker that finds a
        generation done proposes the next one itself (``proposes``, under
        :func:`~nnfs_lab.sweeps.locks.propose_lock`); otherwise the driver does, and an idle
        worker waits for it while the budget is not yet used.
    idle_timeout : float
        Seconds an idle worker waits for new slots before giving up.
    proposes : bool
        A process of the driver's own (its pool), which may propose the next generation; a
        joining worker (``nnfs-lab worker``) never does: its experiment file need not carry
        the driver's ``--trials`` or mode.
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
    poll_seconds: float = 0.05
    max_retry: int = 3
    deterministic: bool = False
    idle_timeout: float = 120.0
    proposes: bool = False


def open_storage(task: WorkerTask) -> tuple[Any, StaleTrialHandler]:
    """The task's Optuna storage, with heartbeats and the handler of trials whose worker died."""
    handler = StaleTrialHandler(task.tracking_uri, task.max_retry, claims=claim_lock(task.storage),
                                proposals=propose_lock(task.storage))  # fmt: skip
    storage = make_storage(task.storage, heartbeat_interval=task.heartbeat_interval,
                           grace_period=task.grace_period, stale_callback=handler)  # fmt: skip
    return storage, handler


def open_study(task: WorkerTask, *, seed: int | None = None) -> tuple[Any, Any, StaleTrialHandler]:
    """Load the task's study (it must exist: the driver creates it) with its storage and handler."""
    import optuna

    storage, handler = open_storage(task)
    name = task.cfg.study_name(task.family)
    try:
        study = optuna.load_study(
            study_name=name,
            storage=storage,
            sampler=make_sampler(task.cfg, task.sampler_seed if seed is None else seed),
            pruner=GenerationPruner(make_pruner(task.cfg)),
        )
    except KeyError:
        raise NotFoundError(
            f"no study {name!r} in {storage_label(task.storage)}; create it with "
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


def _own(storage: Any, tid: int) -> None:
    storage.set_trial_user_attr(tid, ATTR_HOST, socket.gethostname())
    if process := process_identity(os.getpid()):  # before the pid: an owner is whole with it
        storage.set_trial_user_attr(tid, ATTR_PROCESS, process)
    storage.set_trial_user_attr(tid, ATTR_PID, os.getpid())


def claim_slot(study: Any, storage: Any, study_id: int, *, claims: FileLock | None = None
               ) -> Any | None:  # fmt: skip
    """Move one WAITING trial to RUNNING for this worker; its trial id (None when none is left).

    ``claims`` (:func:`~nnfs_lab.sweeps.locks.claim_lock`) is held from the state change to the
    owner attributes, so a worker killed in between leaves a trial the reaper can tell dead.
    """
    import optuna
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        tid = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
        with claims or contextlib.nullcontext():
            try:
                if not storage.set_trial_state_values(tid, TrialState.RUNNING):
                    continue  # another worker claimed it first
            except optuna.exceptions.UpdateFinishedTrialError:
                continue
            _own(storage, tid)
        origin = t.system_attrs.get("failed_trial")  # set by the retry callback
        if origin is not None:
            storage.set_trial_user_attr(tid, ATTR_RETRY_OF, origin)
        return tid
    return None


def others_running(study: Any, storage: Any) -> bool:
    """Whether some trial still runs that might be given back (so an idle worker should wait)."""
    from optuna.trial import TrialState

    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if heartbeat_enabled(storage):
        return bool(running)
    # A journal file has no heartbeats: only trials of this machine can be judged. A trial of
    # another machine sharing the file is not waited for (use an RDB storage across machines).
    host = socket.gethostname()
    return any(t.user_attrs.get(ATTR_HOST, host) == host for t in running)


def _next_trial_id(task: WorkerTask, study: Any, storage: Any, study_id: int,
                   propose: Callable[[], int] | None, claims: FileLock | None
                   ) -> int | None:  # fmt: skip
    """A claimed slot; a new trial under a time-only budget; -1 to wait; None when done."""
    tid = claim_slot(study, storage, study_id, claims=claims)
    if tid is not None:
        return tid
    if task.cfg.budget.n_trials is None:  # a time budget only: make a new trial
        with claims or contextlib.nullcontext():
            tid = storage.create_new_trial(study_id)
            _own(storage, tid)
        return tid
    if others_running(study, storage):
        return -1
    if propose is not None:
        propose()  # the next generation, unless another process has just proposed it
        tid = claim_slot(study, storage, study_id, claims=claims)
        if tid is not None:
            return tid
        return -1 if others_running(study, storage) else None  # others took the slots, or done
    if task.deterministic:
        # The proposer (the driver) enqueues the next generation once this one is done.
        return -1 if budget_status(study.get_trials(deepcopy=False))["used"] < (
            task.cfg.budget.n_trials) else None  # fmt: skip
    return None


def proposes_itself(task: WorkerTask) -> bool:
    """Whether ``task``'s worker proposes its study's next generations itself: a process the
    driver started (``task.proposes``) on a deterministic study in a journal file, whose
    proposals every local process serializes under one lock. Not for an asynchronous study, an
    RDB storage (workers on other machines share no lock), or a joining worker, whose file may
    not carry the driver's budget."""
    return task.deterministic and task.proposes and task.storage.startswith("journal:")


def own_proposer(task: WorkerTask, study: Any, lock: FileLock | None) -> Callable[[], int] | None:
    """The proposer of ``task``'s study under ``lock`` (the study's propose lock) when
    :func:`proposes_itself`, else None."""
    if not proposes_itself(task):
        return None
    return proposer(study, task.cfg, task.cfg.model(task.family), lock)


def _run_trial(study: Any, storage: Any, handler: StaleTrialHandler, tid: int, objective) -> Any:
    """Run trial ``tid`` under a heartbeat and tell Optuna its outcome; the frozen trial."""
    import optuna
    from optuna.trial import TrialState

    trial = optuna.trial.Trial(study, tid)
    value, state = None, TrialState.FAIL
    with _Heartbeat(storage, tid):
        try:
            value, state = objective(trial), TrialState.COMPLETE
        except optuna.TrialPruned:
            state = TrialState.PRUNED
        except Exception as exc:
            state = TrialState.FAIL
            if ATTR_ERROR not in trial.user_attrs:  # raised before the objective's try
                trial.set_user_attr(ATTR_ERROR, f"{type(exc).__name__}: {exc}"[:300])
        except BaseException:
            # Interrupted (Ctrl-C, SystemExit): give the trial back rather than count it.
            with contextlib.suppress(Exception):
                handler.give_back(study, storage, tid)
            raise
    return study.tell(trial, value if state == TrialState.COMPLETE else None, state=state)


def _objective_for(task: WorkerTask, study: Any, hooks: SweepHooks | None):
    attrs = study.user_attrs
    ctx = TrialContext(
        cfg=task.cfg,
        family=task.family,
        client=get_client(task.tracking_uri),
        experiment_id=attrs[STUDY_EXPERIMENT_ID],
        parent_run_id=attrs[STUDY_PARENT_RUN_ID],
        worker=task.label,
        hooks=hooks or SweepHooks(),
    )
    return make_objective(ctx, prepare_data(task.cfg))


def run_worker(
    task: WorkerTask,
    hooks: SweepHooks | None = None,
    echo: Callable[[str], None] | None = None,
    propose: Callable[[], int] | None = None,
) -> int:
    """Claim and run trials of ``task``'s study until no slot is left or ``task.timeout``.

    The study, its MLflow experiment and parent run must exist (the driver creates them and
    records their ids as study user attributes). ``propose()`` enqueues the next generation
    of a deterministic sweep when the current one is done: the driver's own, given to its one
    in-process worker, else this worker's own on a journal file (:func:`own_proposer`).

    Returns
    -------
    int
        Trials this worker ran.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    echo = echo or echo_line
    study, storage, handler = open_study(task)
    objective = _objective_for(task, study, hooks)
    study_id = storage.get_study_id_from_name(study.study_name)
    propose = propose or own_proposer(task, study, handler.proposals)
    deadline = None if task.timeout is None else time.monotonic() + task.timeout
    progress = Progress(f"{study.study_name} w{task.label}", task.cfg.objective, echo)
    ran, idle_since = 0, None
    while deadline is None or time.monotonic() < deadline:
        for n in reap_stale(study, storage, handler):
            echo(f"[{study.study_name}] trial {n} lost its worker: marked FAIL and retried")
        tid = _next_trial_id(task, study, storage, study_id, propose, handler.claims)
        if tid is None:
            break
        if tid < 0:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > task.idle_timeout:
                echo(f"[{study.study_name}] no new trial for {task.idle_timeout:.0f}s: stopping")
                break
            time.sleep(task.poll_seconds)
            continue
        idle_since = None
        # A fresh Study object per trial: its trial cache (which TPE reads) starts empty, so
        # the sampler sees every trial finished so far, by any worker.
        study = optuna.load_study(study_name=study.study_name, storage=storage,
                                  sampler=study.sampler, pruner=study.pruner)  # fmt: skip
        # On an RDB storage that Study wraps it in a new trial cache, which must know the
        # claimed trial before its fixed (enqueued) parameters are set: read the trials once.
        study.get_trials(deepcopy=False)
        progress(study, _run_trial(study, storage, handler, tid, objective))
        ran += 1
    return ran
