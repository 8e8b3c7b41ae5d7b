"""Budget slots, exclusive claims and stale-trial recovery, on a journal file (no model fitting)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState  # noqa: E402

from nnfs_lab import tracking  # noqa: E402
from nnfs_lab.sweeps import attrs, budget, locks, stale, workers  # noqa: E402


def test_reap_stale_fails_retries_and_ends_the_mlflow_run(journal_study, dead_pid):
    study, storage, handler, client, exp, _ = journal_study
    budget.enqueue_slots(study, 2)
    study_id = storage.get_study_id_from_name(study.study_name)
    mine = workers.claim_slot(study, storage, study_id)  # this process: alive, not stale
    dead = workers.claim_slot(study, storage, study_id)
    storage.set_trial_user_attr(dead, attrs.ATTR_PID, dead_pid())
    storage.set_trial_param(
        dead, "lr", 0.01, optuna.distributions.FloatDistribution(1e-4, 1.0, log=True)
    )
    dead_number = storage.get_trial(dead).number
    parent = study.user_attrs[attrs.STUDY_PARENT_RUN_ID]
    run_id = tracking.start_trial_run(
        client, exp, parent, study_name=study.study_name, family="nnfs",
        trial_number=dead_number, params={},
    )  # fmt: skip

    assert stale.reap_stale(study, storage, handler) == [dead_number]
    assert stale.reap_stale(study, storage, handler) == []  # reaped once only
    assert storage.get_trial(mine).state == TrialState.RUNNING
    trials = study.trials
    assert trials[dead_number].state == TrialState.FAIL
    (retry,) = [t for t in trials if t.state == TrialState.WAITING]
    assert retry.params == {"lr": 0.01}
    assert attrs.ATTR_PID not in retry.user_attrs  # not judged by its dead origin's owner
    assert retry.system_attrs["failed_trial"] == dead_number
    run = client.get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags[tracking.TAG_LOST] == "true"
    # The retry is claimed like any slot, with the dead trial's parameters and its origin noted.
    again = workers.claim_slot(study, storage, study_id)
    assert storage.get_trial(again).user_attrs[attrs.ATTR_RETRY_OF] == dead_number


def test_unowned_running_trial_without_the_claim_lock_is_stale_only_when_old(
    journal_study, monkeypatch
):
    study, storage, handler, *_ = journal_study
    handler.claims = None  # a claim this machine cannot see whole (another machine's)
    study_id = storage.get_study_id_from_name(study.study_name)
    budget.enqueue_slots(study, 1)
    (t,) = study.trials
    tid = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
    storage.set_trial_state_values(tid, TrialState.RUNNING)  # claimed, then the worker died
    assert stale.reap_stale(study, storage, handler) == []
    monkeypatch.setattr(stale, "UNOWNED_STALE_SECONDS", -1.0)
    assert stale.reap_stale(study, storage, handler) == [t.number]


_DIE_MID_CLAIM = """
import os, sys
import optuna
from optuna.trial import TrialState
from nnfs_lab.sweeps import locks, storage
spec, name = sys.argv[1:]
st = storage.make_storage(spec)
sid = st.get_study_id_from_name(name)
tid = st.get_trial_id_from_study_id_trial_number(sid, 0)
locks.claim_lock(spec).acquire()
assert st.set_trial_state_values(tid, TrialState.RUNNING)
os._exit(9)  # killed between the claim and the owner's attributes
"""


def test_a_worker_killed_mid_claim_leaves_a_trial_reaped_at_once(journal_study):
    study, storage, handler, *_, spec = journal_study
    budget.enqueue_slots(study, 1)
    proc = subprocess.run([sys.executable, "-c", _DIE_MID_CLAIM, spec, study.study_name])
    assert proc.returncode == 9
    (t,) = study.trials
    assert t.state == TrialState.RUNNING and attrs.ATTR_PID not in t.user_attrs
    # Not after UNOWNED_STALE_SECONDS: the claim lock says the claimer died mid-claim.
    assert stale.reap_stale(study, storage, handler) == [t.number]
    assert [s.state for s in study.trials] == [TrialState.FAIL, TrialState.WAITING]


def test_a_claim_in_progress_is_waited_for_not_reaped(journal_study):
    study, storage, handler, *_, spec = journal_study
    budget.enqueue_slots(study, 1)
    study_id = storage.get_study_id_from_name(study.study_name)
    claimed, claimer_lock = threading.Event(), locks.claim_lock(spec)

    def slow_claim() -> None:  # another worker between its two writes, holding the lock
        with claimer_lock:
            tid = storage.get_trial_id_from_study_id_trial_number(study_id, 0)
            storage.set_trial_state_values(tid, TrialState.RUNNING)
            claimed.set()
            time.sleep(0.3)
            storage.set_trial_user_attr(tid, attrs.ATTR_HOST, socket.gethostname())
            storage.set_trial_user_attr(tid, attrs.ATTR_PID, os.getpid())

    claimer = threading.Thread(target=slow_claim)
    claimer.start()
    assert claimed.wait(10)
    assert stale.reap_stale(study, storage, handler) == []  # waited for the claim to finish
    claimer.join()
    assert study.trials[0].state == TrialState.RUNNING


def test_claim_slot_writes_state_and_owner_under_the_claim_lock(journal_study, flock_held):
    study, storage, handler, *_, spec = journal_study
    budget.enqueue_slots(study, 1)
    study_id = storage.get_study_id_from_name(study.study_name)
    seen = []
    path = locks.claim_lock(spec).path
    real_state, real_attr = storage.set_trial_state_values, storage.set_trial_user_attr

    def state(tid, *args, **kw):  # is the lock held (by this claim) during each write?
        seen.append(("state", flock_held(path)))
        return real_state(tid, *args, **kw)

    def attr(tid, key, value):
        seen.append((key, flock_held(path)))
        return real_attr(tid, key, value)

    storage.set_trial_state_values, storage.set_trial_user_attr = state, attr
    assert workers.claim_slot(study, storage, study_id, claims=handler.claims) is not None
    known = stale.process_identity(os.getpid())
    owner = [attrs.ATTR_HOST, *([attrs.ATTR_PROCESS] if known else []), attrs.ATTR_PID]
    assert seen[: len(owner) + 1] == [("state", True)] + [(key, True) for key in owner]


@pytest.mark.skipif(stale.process_identity(os.getpid()) is None, reason="no /proc here")
@pytest.mark.parametrize("recorded", ["{boot}/0", "an-earlier-boot/{start}"])
def test_a_trial_whose_pid_now_names_another_process_is_dead(journal_study, recorded):
    # A pid is reused by a later process, or after a crash and reboot: the recorded pid then
    # names an unrelated live process (here this one, recorded as another).
    study, storage, handler, *_ = journal_study
    budget.enqueue_slots(study, 2)
    study_id = storage.get_study_id_from_name(study.study_name)
    other = workers.claim_slot(study, storage, study_id, claims=handler.claims)
    mine = workers.claim_slot(study, storage, study_id, claims=handler.claims)
    me = stale.process_identity(os.getpid())
    assert storage.get_trial(mine).user_attrs[attrs.ATTR_PROCESS] == me
    boot, start = me.split("/")
    storage.set_trial_user_attr(other, attrs.ATTR_PROCESS, recorded.format(boot=boot, start=start))
    # Both name this live process; only the one recorded as another process is dead.
    assert stale.reap_stale(study, storage, handler) == [storage.get_trial(other).number]
    assert storage.get_trial(mine).state == TrialState.RUNNING
    (retry,) = [t for t in study.trials if t.state == TrialState.WAITING]
    assert attrs.ATTR_PROCESS not in retry.user_attrs


_OWN_IDENTITY = """
import os, sys, time
from nnfs_lab.sweeps import stale
print(stale.process_identity(os.getpid()), flush=True)
t0 = time.process_time()
while time.process_time() - t0 < 0.3:  # CPU time passes: the identity must not move with it
    pass
print(stale.process_identity(os.getpid()), flush=True)
sys.stdin.readline()
"""


@pytest.mark.skipif(stale.process_identity(os.getpid()) is None, reason="no /proc here")
def test_a_process_identity_is_the_same_from_inside_and_outside_and_over_time():
    before = stale.process_identity(os.getpid())
    proc = subprocess.Popen([sys.executable, "-c", _OWN_IDENTITY], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        first, own = proc.stdout.readline().strip(), proc.stdout.readline().strip()
        assert first == own == stale.process_identity(proc.pid) != before  # as the reaper reads
    finally:
        proc.communicate("")
    assert stale.process_identity(proc.pid) is None  # gone
    assert stale.process_identity(os.getpid()) == before


def test_an_owner_whose_process_cannot_be_read_is_judged_by_its_pid(journal_study, monkeypatch):
    study, storage, handler, *_ = journal_study
    budget.enqueue_slots(study, 1)
    study_id = storage.get_study_id_from_name(study.study_name)
    tid = workers.claim_slot(study, storage, study_id, claims=handler.claims)
    storage.set_trial_user_attr(tid, attrs.ATTR_PROCESS, "recorded/1")
    monkeypatch.setattr(stale, "process_identity", lambda pid: None)  # e.g. hidepid=2
    assert stale.reap_stale(study, storage, handler) == []  # this process lives: not reaped


def test_a_dead_trial_is_failed_and_retried_under_the_propose_lock(
    journal_study, dead_pid, flock_held
):
    # A proposer must never see the generation done between the FAIL and the retry's enqueue.
    study, storage, handler, *_, spec = journal_study
    budget.enqueue_slots(study, 1)
    study_id = storage.get_study_id_from_name(study.study_name)
    dead = workers.claim_slot(study, storage, study_id, claims=handler.claims)
    storage.set_trial_user_attr(dead, attrs.ATTR_PID, dead_pid())
    held = []
    real = type(handler).__call__
    handler.__class__ = type("Spy", (type(handler),), {
        "__call__": lambda self, s, t: (held.append(flock_held(
            locks.propose_lock(spec).path)), real(self, s, t))[1]})  # fmt: skip
    assert stale.reap_stale(study, storage, handler) == [storage.get_trial(dead).number]
    assert held == [True]


def test_other_hosts_trials_are_not_judged_on_a_journal(journal_study, dead_pid):
    study, storage, handler, *_ = journal_study
    budget.enqueue_slots(study, 1)
    study_id = storage.get_study_id_from_name(study.study_name)
    tid = workers.claim_slot(study, storage, study_id)
    storage.set_trial_user_attr(tid, attrs.ATTR_HOST, socket.gethostname() + "-elsewhere")
    storage.set_trial_user_attr(tid, attrs.ATTR_PID, dead_pid())
    assert stale.reap_stale(study, storage, handler) == []
    assert not workers.others_running(study, storage)
