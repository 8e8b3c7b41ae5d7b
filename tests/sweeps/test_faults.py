"""Faults a sweep survives (issue 16): two sweeps at once on a fresh directory, a journal lock
left by a killed process, a worker joining while the driver is on the first family, Ctrl-C
with several workers."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from nnfs_lab import tracking
from nnfs_lab.sweeps.storage import make_storage

optuna = pytest.importorskip("optuna")
pytestmark = pytest.mark.e2e


def _cmd(python: str, *args: str) -> list[str]:
    return [python, "-m", "nnfs_lab.cli", *args]


def _study(tmp: Path, name: str):
    storage = make_storage(f"journal:{tmp / 'optuna-journal.log'}")
    return optuna.load_study(study_name=name, storage=storage)


def _runs(tmp: Path, experiment: str):
    client = tracking.get_client(tracking.resolve_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}"))
    exp = client.get_experiment_by_name(experiment)
    return client, tracking.search_all_runs(client, exp.experiment_id)


@pytest.mark.no_store  # the point: both processes find no store and must not both create it
def test_two_sweeps_started_together_on_a_fresh_directory(tmp_cwd, tiny_config,
                                                          subprocess_env, python):  # fmt: skip
    cfg = tiny_config("twin", n_trials=4, max_epochs=3, plots=False)
    cmd = _cmd(python, "sweep", str(cfg), "--no-compare")
    procs = [subprocess.Popen(cmd, cwd=tmp_cwd, env=subprocess_env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]  # fmt: skip
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    client, runs = _runs(tmp_cwd, "twin")
    parents = [r for r in runs if r.data.tags.get(tracking.TAG_ROLE) == "parent"]
    assert sorted(r.data.tags[tracking.TAG_FAMILY] for r in parents) == ["mlp", "nnfs"]
    for parent in parents:  # summarized once: one model, one evaluation
        assert parent.info.status == "FINISHED"
        models = [a.path for a in client.list_artifacts(parent.info.run_id)]
        assert models.count("outer_scores.csv") == 1
        study = _study(tmp_cwd, parent.data.tags[tracking.TAG_STUDY])
        assert len(study.trials) == 4  # the budget, shared, each trial run once
    trials = [r for r in runs if r.data.tags.get(tracking.TAG_ROLE) == "trial"]
    assert len(trials) == 8 and {r.info.status for r in trials} == {"FINISHED"}
    again = subprocess.run(cmd, cwd=tmp_cwd, env=subprocess_env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0 and "0/4" not in again.stdout


def test_a_journal_lock_left_by_a_killed_process_does_not_stall(tmp_path, python):
    journal = tmp_path / "optuna-journal.log"
    holder = subprocess.Popen([python, "-c", (
        "import sys, time; from nnfs_lab.sweeps.locks import FlockJournalLock; "
        f"FlockJournalLock({str(journal)!r}).acquire(); print('held', flush=True); time.sleep(60)"
    )], stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    (tmp_path / "optuna-journal.log.lock").symlink_to(tmp_path / "nowhere")  # Optuna's old lock
    t0 = time.perf_counter()
    study = optuna.create_study(storage=make_storage(f"journal:{journal}"))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert time.perf_counter() - t0 < 5  # no 30 s grace-period wait


def _wait_for(predicate, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _study_exists(tmp: Path, name: str) -> bool:
    try:
        _study(tmp, name)
        return True
    except (KeyError, FileNotFoundError):
        return False


def test_a_joining_worker_serves_every_family(tmp_cwd, tiny_config, subprocess_env, python):
    cfg = tiny_config("duet", n_trials=6, max_epochs=15, plots=False)
    with open(tmp_cwd / "driver.log", "w") as log:
        driver = subprocess.Popen(_cmd(python, "sweep", str(cfg), "--no-compare"), cwd=tmp_cwd,
                                  env=subprocess_env, stdout=log, stderr=log)  # fmt: skip
    try:
        _wait_for(lambda: _study_exists(tmp_cwd, "duet-nnfs"))
        worker = subprocess.run(_cmd(python, "worker", str(cfg), "--storage",
                                     str(tmp_cwd / "optuna-journal.log")),
                                cwd=tmp_cwd, env=subprocess_env, capture_output=True, text=True,
                                timeout=300)  # fmt: skip
    finally:
        driver.wait(timeout=300)
    assert driver.returncode == 0, (tmp_cwd / "driver.log").read_text()
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert "[duet-nnfs] worker" in worker.stdout and "[duet-mlp] worker" in worker.stdout


def die_without_handing_back(trial, params):
    """A worker that, once interrupted, ends without giving its trial back (as one interrupted
    between its claim and its trial's start does); picklable: spawned workers import it."""
    import os

    signal.signal(signal.SIGTERM, lambda *_: os._exit(3))
    trial.set_user_attr("test.hooked", True)
    time.sleep(120)


def test_ctrl_c_reaps_the_trials_of_workers_that_ended_without_handing_them_back(
    tmp_cwd, tiny_config
):
    import _thread
    import threading

    from nnfs_lab.sweeps import sweep
    from nnfs_lab.sweeps.objective import SweepHooks

    cfg = tiny_config("drop", n_trials=4, max_epochs=3, mlp=False, plots=False)

    def interrupt_once_both_hold_a_trial():
        _wait_for(lambda: _study_exists(tmp_cwd, "drop-nnfs") and sum(
            t.user_attrs.get("test.hooked", False) for t in _study(tmp_cwd, "drop-nnfs").trials
        ) == 2)  # fmt: skip
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_both_hold_a_trial, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        sweep([cfg], workers=2, compare=False, echo=lambda s: None,
              hooks=SweepHooks(before_trial=die_without_handing_back))  # fmt: skip
    trials = _study(tmp_cwd, "drop-nnfs").trials
    assert not [t for t in trials if t.state.name == "RUNNING"]
    # Both held trials failed and were queued again (their retries carry the same attributes).
    held = sorted(t.state.name for t in trials if t.user_attrs.get("test.hooked"))
    assert held == ["FAIL", "FAIL", "WAITING", "WAITING"]
    _, runs = _runs(tmp_cwd, "drop")
    assert not [r for r in runs if r.info.status == "RUNNING"]


def test_ctrl_c_with_two_workers_leaves_nothing_running(tmp_cwd, tiny_config, subprocess_env,
                                                        python):  # fmt: skip
    cfg = tiny_config("halt", n_trials=8, max_epochs=400, mlp=False, plots=False)
    with open(tmp_cwd / "sweep.log", "w") as log:
        proc = subprocess.Popen(_cmd(python, "sweep", str(cfg), "--workers", "2",
                                     "--no-compare"), cwd=tmp_cwd, env=subprocess_env,
                                stdout=log, stderr=log, start_new_session=True)  # fmt: skip
    try:
        _wait_for(
            lambda: (
                _study_exists(tmp_cwd, "halt-nnfs")
                and any(t.state.name == "RUNNING" for t in _study(tmp_cwd, "halt-nnfs").trials)
            )
        )
        proc.send_signal(signal.SIGINT)  # to the driver only: it interrupts its workers
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (tmp_cwd / "sweep.log").read_text()
    assert not [t for t in _study(tmp_cwd, "halt-nnfs").trials if t.state.name == "RUNNING"]
    _, runs = _runs(tmp_cwd, "halt")
    assert not [r for r in runs if r.info.status == "RUNNING"]


def test_ctrl_c_while_a_summary_runs_beside_the_next_study_and_the_rerun_completes(
    tmp_cwd, tiny_config, subprocess_env, python
):
    # nnfs first, then mlp: nnfs's summary (its held-out folds queued in the pool beside
    # mlp's workers) runs in the driver's background thread when Ctrl-C comes.
    cfg = tiny_config("halt2", n_trials=6, max_epochs=300, plots=False)
    with open(tmp_cwd / "sweep.log", "w") as log:
        proc = subprocess.Popen(_cmd(python, "sweep", str(cfg), "--workers", "2",
                                     "--overlap-summaries"),
                                cwd=tmp_cwd, env=subprocess_env, stdout=log, stderr=log,
                                start_new_session=True)  # fmt: skip
    try:
        _wait_for(
            lambda: (
                _study_exists(tmp_cwd, "halt2-mlp")
                and any(t.state.name == "RUNNING" for t in _study(tmp_cwd, "halt2-mlp").trials)
            )
        )
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        stopped_in = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (tmp_cwd / "sweep.log").read_text()
    assert stopped_in < 30, f"took {stopped_in:.0f}s to stop"
    _, runs = _runs(tmp_cwd, "halt2")
    assert not [r for r in runs if r.info.status == "RUNNING"]
    rerun = subprocess.run(_cmd(python, "sweep", str(cfg), "--workers", "2"), cwd=tmp_cwd,
                           env=subprocess_env, capture_output=True, text=True,
                           timeout=600)  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    client, runs = _runs(tmp_cwd, "halt2")
    parents = [r for r in runs if r.data.tags.get("nnfs_lab.finalized")]
    assert {r.data.tags.get(tracking.TAG_FAMILY) for r in parents} == {"nnfs", "mlp"}
    assert all(r.info.status == "FINISHED" for r in parents)
    assert any(r.info.run_name == "comparison" for r in runs)
