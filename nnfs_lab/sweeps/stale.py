"""Trials whose worker died (*stale* trials): detect them, fail them, end their runs, retry them.

On an RDB storage (PostgreSQL) workers beat a heartbeat and Optuna fails a trial whose heartbeat is
older than the grace period; on a journal file (one machine) a trial is stale when the process that
claimed it is gone, or its pid now names another process (pids are reused, and after a reboot they
start over: the owner records which process it was). Either way :class:`StaleTrialHandler` ends its
MLflow child run FAILED and re-enqueues the same configuration as a new trial, so the budget still
completes (an asynchronous trial samples its parameters as it runs: those a power cut lost before
they reached the disk are sampled again). The stale trial stays FAIL in Optuna and does not use up
budget (:func:`nnfs_lab.sweeps.budget.budget_status`).

A worker claims a trial in two steps (its state, then its owner: host, process, pid). On one
machine every claim holds the handler's ``claims`` lock across both, so a RUNNING trial seen
without an owner while holding that lock was claimed by a process that died between the two: it is
stale at once (a journal file belongs to one machine: workers of several machines share an RDB). On
an RDB storage such a trial is stale only after :data:`UNOWNED_STALE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import os
import socket
import time
import warnings
from pathlib import Path
from typing import Any

from nnfs_lab.sweeps.attrs import (
    ATTR_ERROR,
    ATTR_HOST,
    ATTR_PID,
    ATTR_PROCESS,
    OWNER_ATTRS,
    STUDY_EXPERIMENT_ID,
    STUDY_FAMILY,
    STUDY_PARENT_RUN_ID,
)
from nnfs_lab.sweeps.locks import FileLock
from nnfs_lab.tracking import fail_trial_runs, get_client

__all__ = [
    "UNOWNED_STALE_SECONDS",
    "StaleTrialHandler",
    "heartbeat_enabled",
    "process_identity",
    "reap_stale",
]

#: A RUNNING trial that never got its owner's host/pid attributes (the worker died within
#: milliseconds of claiming it) is stale after this long.
UNOWNED_STALE_SECONDS = 60.0


class StaleTrialHandler:
    """Called for each trial failed because its worker died (Optuna's stale-trial callback).

    Ends the trial's MLflow child run FAILED (creating it when the worker died before logging
    anything), then re-enqueues the same configuration with Optuna's
    ``RetryHeartbeatStaleTrialCallback``, which records the original trial number in
    ``system_attrs["failed_trial"]`` / ``["retry_history"]``.
    """

    def __init__(
        self,
        tracking_uri: str,
        max_retry: int | None = 3,
        *,
        claims: FileLock | None = None,
        proposals: FileLock | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.max_retry = max_retry
        #: Held by every claim of this machine from the trial's state to its owner attributes.
        self.claims = claims
        #: Held by whoever proposes a generation: a trial is failed and its retry enqueued
        #: under it, so no proposer sees the generation done in between.
        self.proposals = proposals

    def __call__(self, study: Any, trial: Any) -> None:
        import optuna

        attrs = study.user_attrs
        try:
            client = get_client(self.tracking_uri)
            fail_trial_runs(
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
        template.user_attrs = {k: v for k, v in trial.user_attrs.items() if k not in OWNER_ATTRS}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=self.max_retry)
            retry(study, template)

    def give_back(self, study: Any, storage: Any, trial_id: int) -> bool:
        """Fail the RUNNING trial ``trial_id`` and retry it (this handler), under the propose
        lock so that no proposer sees its generation done in between; False when the trial
        had already left RUNNING (finished, or failed by someone else)."""
        import optuna
        from optuna.trial import TrialState

        with self.proposals or contextlib.nullcontext():
            try:
                if not storage.set_trial_state_values(trial_id, TrialState.FAIL):
                    return False
            except optuna.exceptions.UpdateFinishedTrialError:
                return False
            self(study, storage.get_trial(trial_id))
        return True


@functools.cache
def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def process_identity(pid: int) -> str | None:
    """Which process ``pid`` names now: ``"<boot id>/<start time>"`` (Linux), or None where the
    system does not tell (no such process, no ``/proc``, another user's hidden process)."""
    boot = _boot_id()
    try:  # field 22 of /proc/<pid>/stat: clock ticks from boot to the process's start
        start = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None
    return f"{boot}/{start}" if boot else None


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


def _unowned(trial: Any) -> bool:
    return ATTR_HOST not in trial.user_attrs or ATTR_PID not in trial.user_attrs


def _locally_dead(trial: Any, host: str) -> bool:
    """A RUNNING trial whose owner on this machine is gone (or that never got an owner)."""
    if _unowned(trial):
        return _age_seconds(trial) > UNOWNED_STALE_SECONDS
    attrs = trial.user_attrs
    if attrs[ATTR_HOST] != host:
        return False
    pid, recorded = int(attrs[ATTR_PID]), attrs.get(ATTR_PROCESS)
    if _process_gone(pid):
        return True
    now = None if recorded is None else process_identity(pid)
    return now is not None and now != recorded  # the pid names another process now


def _dead_claims(study: Any, running: list[Any], claims: FileLock | None) -> list[Any]:
    """RUNNING trials still without an owner once every claim of this machine is whole."""
    from optuna.trial import TrialState

    if claims is None or not any(_unowned(t) for t in running):
        return []
    with claims:
        return [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                if _unowned(t)]  # fmt: skip


def heartbeat_enabled(storage: Any) -> bool:
    """Whether ``storage`` judges trials by heartbeats (an RDB storage with heartbeats on)."""
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
    if heartbeat_enabled(storage):
        before = {t.number for t in running}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)  # runs the handler for what it fails
        now = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
        reaped = sorted(before - now)
        # A worker that died between claiming and its first heartbeat is invisible to Optuna.
        extra = [t for t in running if t.number in now and ATTR_HOST not in t.user_attrs
                 and _age_seconds(t) > UNOWNED_STALE_SECONDS]  # fmt: skip
    else:
        host = socket.gethostname()
        extra = [t for t in running if _locally_dead(t, host)]
        seen = {t.number for t in extra}
        extra += [t for t in _dead_claims(study, running, handler.claims) if t.number not in seen]
        reaped = []
    study_id = storage.get_study_id_from_name(study.study_name)
    for t in extra:
        tid = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
        if handler.give_back(study, storage, tid):  # else someone else reaped it, or it ended
            reaped.append(t.number)
    # A trial that left RUNNING meanwhile because it finished (even by failing) is not stale:
    # only a FAIL without the objective's error attribute is a death.
    died = {
        t.number
        for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
        if ATTR_ERROR not in t.user_attrs
    }
    return sorted(n for n in reaped if n in died)
