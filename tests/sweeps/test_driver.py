"""End-to-end sweeps on tiny data: runs, statuses, artifacts, resume, workers, a killed worker."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
pytestmark = pytest.mark.e2e  # whole sweeps, some in subprocesses: make test-e2e
mlflow = pytest.importorskip("mlflow")

from nnfs_lab import tracking  # noqa: E402
from nnfs_lab.sweeps import (  # noqa: E402
    budget,
    data,
    objective,
    sweep,  # noqa: E402
)
from nnfs_lab.sweeps import load_experiment as load_config  # noqa: E402
from nnfs_lab.sweeps import storage as sweep_storage  # noqa: E402
from nnfs_lab.sweeps.parent_artifacts import best_trials  # noqa: E402

FAMILIES = ["nnfs", "mlp"]


def _store(tmp: Path):
    uri = tracking.resolve_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}")
    return tracking.get_client(uri)


def _children(client, exp_id: str, study: str):
    return tracking.search_all_runs(
        client,
        exp_id,
        f"tags.`{tracking.TAG_ROLE}` = 'trial' and tags.`{tracking.TAG_STUDY}` = '{study}'",
    )


def _study(tmp: Path, name: str):
    return optuna.load_study(
        study_name=name, storage=sweep_storage.make_storage(f"journal:{tmp / 'optuna-journal.log'}")
    )


def _force(trial, params):
    if trial.number == 2:
        raise RuntimeError("forced failure")


def _prune_on_epoch(trial, logs):
    # Raised from inside the per-epoch hook, i.e. through the estimator's callback/partial_fit
    # loop, exactly where a real pruning decision is raised.
    if trial.number == 1 and logs["epoch"] >= 2:
        raise optuna.TrialPruned("forced")


def test_sweep_end_to_end_and_resume(tmp_cwd: Path, tiny_config):
    cfg = tiny_config("tiny", n_trials=4, max_epochs=5)
    hooks = objective.SweepHooks(before_trial=_force, on_epoch=_prune_on_epoch)
    lines: list[str] = []
    results = sweep([cfg], hooks=hooks, echo=lines.append)
    assert [r.family for r in results] == FAMILIES
    assert all(r.trials_run == 4 for r in results)
    assert any("[####################]   4/4" in line for line in lines)  # the progress bar
    # The sweep switched the store to WAL mode before its workers started (sqlite_wal).
    assert tracking.journal_mode(tmp_cwd / "mlflow.db") == "wal"
    client = _store(tmp_cwd)
    exp = client.get_experiment_by_name("tiny")
    parents = tracking.search_all_runs(
        client, exp.experiment_id, f"tags.`{tracking.TAG_ROLE}` = 'parent'"
    )
    assert sorted(p.data.tags[tracking.TAG_FAMILY] for p in parents) == sorted(FAMILIES)
    for parent in parents:
        pid, study_name = parent.info.run_id, parent.data.tags[tracking.TAG_STUDY]
        assert parent.info.status == "FINISHED"
        assert parent.data.tags["importance_method"].startswith("fANOVA")
        assert "best_value" in parent.data.metrics
        assert any(k.startswith("best.") for k in parent.data.tags)  # best parameters
        assert parent.data.params["space.learning_rate" if "nnfs" in study_name
                                  else "space.learning_rate_init"].endswith("log")  # fmt: skip
        # The verdict's data: one row per held-out fold (1 repeat x 2 folds), headline means.
        assert 0 <= parent.data.metrics["test_accuracy_mean"] <= 1
        assert parent.data.metrics["eval_failed"] == 0
        arts = {a.path for a in client.list_artifacts(pid)}
        assert {"trials.csv", "config.toml", "outer_scores.csv", "optimization_history.png",
                "training_animation.gif"} <= arts  # fmt: skip
        # fANOVA needs variance among the completed trials' values; else the reason is kept.
        assert ("param_importances.png" in arts
                or "nnfs_lab.plot_skipped.param_importances.png" in parent.data.tags)  # fmt: skip
        # The shipped model's boundary while it trained: images with step = epoch.
        frames = [a.path for a in client.list_artifacts(pid, "images")]
        assert frames and all("decision_boundary" in f for f in frames)
        assert "refit on all" in parent.data.tags["nnfs_lab.model_fit"]
        assert parent.data.tags["nnfs_lab.model_uri"].startswith("models:/")
        kids = _children(client, exp.experiment_id, study_name)
        by_number = {int(k.data.tags[tracking.TAG_TRIAL]): k for k in kids}
        assert sorted(by_number) == [0, 1, 2, 3]
        assert all(k.data.tags["mlflow.parentRunId"] == pid for k in kids)
        assert by_number[1].info.status == "KILLED"
        assert by_number[1].data.tags[tracking.TAG_STATE] == "PRUNED"
        assert by_number[2].info.status == "FAILED"
        assert by_number[2].data.tags[tracking.TAG_STATE] == "FAIL"
        assert "forced failure" in by_number[2].data.tags["nnfs_lab.error"]
        best = int(parent.data.tags["nnfs_lab.best_trial"])
        for n in (0, 3):
            run = by_number[n]
            assert run.info.status == "FINISHED"
            assert run.data.tags[tracking.TAG_STATE] == "COMPLETE"
            hist = client.get_metric_history(run.info.run_id, "train_loss")
            assert [m.step for m in hist] == [1, 2, 3, 4, 5]  # per-epoch step metrics
            assert len(client.get_metric_history(run.info.run_id, "val_loss")) == 5
            summary = client.get_metric_history(run.info.run_id, "val_accuracy_mean")
            assert [m.step for m in summary] == [0]  # single values at step 0
            assert run.data.params  # parameters arrive with the trial's one batched write
            # Figures are drawn after the study, for the best trials only.
            arts = {a.path for a in client.list_artifacts(run.info.run_id)}
            assert arts == ({"learning_curves.png"} if n == best else set()) or n != best
        assert len(client.get_metric_history(by_number[1].info.run_id, "train_loss")) == 2
        study = _study(tmp_cwd, study_name)
        states = Counter(t.state.name for t in study.trials)
        assert states == {"COMPLETE": 2, "PRUNED": 1, "FAIL": 1}
        # Each Optuna trial points at its own MLflow run.
        assert {t.user_attrs["mlflow_run_id"] for t in study.trials} == {
            k.info.run_id for k in kids
        }

        # The logged best model serves class probabilities through pyfunc (columns x0, x1).
        model = mlflow.pyfunc.load_model(parent.data.tags["nnfs_lab.model_uri"])
        split = data.prepare_data(load_config(cfg))
        proba = model.predict(tracking.feature_frame(split.X_test))
        assert proba.shape == (len(split.X_test), len(split.classes))

    comparison = tracking.search_all_runs(
        client, exp.experiment_id, f"tags.`{tracking.TAG_ROLE}` = 'comparison'"
    )
    assert len(comparison) == 1
    arts = {a.path for a in client.list_artifacts(comparison[0].info.run_id)}
    assert {"comparison.csv", "comparison.html", "comparison.png", "paired_tests.csv"} <= arts

    # A rerun with the budget met runs nothing and duplicates nothing.
    n_runs = len(tracking.search_all_runs(client, exp.experiment_id))
    again = sweep([cfg], echo=lines.append)
    assert all(r.trials_run == 0 for r in again)
    assert len(tracking.search_all_runs(client, exp.experiment_id)) == n_runs
    # A larger budget resumes: exactly the difference is run.
    more = sweep([cfg], n_trials=6, families=["mlp"], echo=lines.append, compare=False)
    assert more[0].trials_run == 2
    assert len(tracking.search_all_runs(client, exp.experiment_id)) == n_runs + 2
    assert len(_study(tmp_cwd, "tiny-mlp").trials) == 6


def test_two_workers_log_every_trial_once(tmp_cwd: Path, tiny_config):
    cfg = tiny_config("duo", n_trials=6, max_epochs=4, mlp=False)
    (res,) = sweep([cfg], workers=2, echo=lambda s: None, compare=False)
    assert res.trials_run == 6
    client = _store(tmp_cwd)
    exp = client.get_experiment_by_name("duo")
    study = _study(tmp_cwd, "duo-nnfs")
    kids = _children(client, exp.experiment_id, "duo-nnfs")
    numbers = sorted(int(k.data.tags[tracking.TAG_TRIAL]) for k in kids)
    assert numbers == sorted(t.number for t in study.trials) == list(range(6))
    # Which worker ran which trial depends on timing (a fast worker may run them all).
    assert {k.data.tags["nnfs_lab.worker"] for k in kids} <= {"0", "1"}
    assert {k.info.status for k in kids} == {"FINISHED"}
    # Each Optuna trial points at its own MLflow run.
    assert {t.user_attrs["mlflow_run_id"] for t in study.trials} == {k.info.run_id for k in kids}
    # The pool's processes drew the five best trials' curves on their runs, and only those.
    drawn = {
        k.info.run_id
        for k in kids
        if "learning_curves.png" in {a.path for a in client.list_artifacts(k.info.run_id)}
    }
    assert drawn == {t.user_attrs["mlflow_run_id"] for t in best_trials(study)}
    assert len(drawn) == 5


def test_killed_worker_then_rerun_completes_budget(
    tmp_cwd: Path, tiny_config, subprocess_env, python
):
    cfg = tiny_config("killed", n_trials=3, max_epochs=40, mlp=False, plots=False)
    cmd = [python, "-m", "nnfs_lab.cli", "sweep", str(cfg), "--no-compare"]
    with open(tmp_cwd / "first.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=tmp_cwd, env=subprocess_env, stdout=log, stderr=log)
    try:
        # Kill as soon as the journal shows trial 0 finished and a later trial running.
        deadline = time.monotonic() + 120
        journal = tmp_cwd / "optuna-journal.log"
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists():
                try:
                    trials = _study(tmp_cwd, "killed-nnfs").trials
                except KeyError:  # study not created yet
                    trials = []
                if any(t.number >= 1 and t.state.name == "RUNNING" for t in trials):
                    break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    study = _study(tmp_cwd, "killed-nnfs")
    running = [t.number for t in study.trials if t.state.name == "RUNNING"]
    assert running, "the kill should have caught a trial in flight"

    out = subprocess.run(
        cmd, cwd=tmp_cwd, env=subprocess_env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "left RUNNING by a dead worker" in out.stdout
    study = _study(tmp_cwd, "killed-nnfs")
    states = {t.number: t.state.name for t in study.trials}
    assert all(states[n] == "FAIL" for n in running)
    # The dead trial's configuration was run again, and the budget completed without it.
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") in running]
    assert len(retries) == len(running) and all(t.state.name == "COMPLETE" for t in retries)
    for t in retries:  # the parameters sampled before the kill are kept
        original = study.trials[t.system_attrs["failed_trial"]].params
        assert {k: t.params[k] for k in original} == original
    status = budget.budget_status(study.trials)
    assert status["used"] == 3 and status["running"] == status["waiting"] == 0
    client = _store(tmp_cwd)
    exp = client.get_experiment_by_name("killed")
    kids = _children(client, exp.experiment_id, "killed-nnfs")
    assert sorted(int(k.data.tags[tracking.TAG_TRIAL]) for k in kids) == sorted(states)
    by_number = {int(k.data.tags[tracking.TAG_TRIAL]): k for k in kids}
    for n in running:
        assert by_number[n].info.status == "FAILED"
        assert by_number[n].data.tags[tracking.TAG_LOST] == "true"
    assert "RUNNING" not in {k.info.status for k in kids}
    assert tracking.trial_state_counts(client, exp.experiment_id, "killed-nnfs") == {
        "COMPLETE": 3,
        "LOST": len(running),
    }


def test_a_failed_summary_ends_its_parent_killed_not_running(tmp_cwd: Path, tiny_config,
                                                             monkeypatch):  # fmt: skip
    # One worker: the summary runs in the submit itself and raises there; the study's parent
    # run must still be ended (KILLED: the next run summarizes it), as after Ctrl-C.
    from nnfs_lab.sweeps import driver

    def broken(*args, **kwargs):
        raise RuntimeError("the summary broke")

    monkeypatch.setattr(driver, "finalize_parent", broken)
    cfg = tiny_config("sumfail", n_trials=2, max_epochs=2, mlp=False, plots=False)
    with pytest.raises(RuntimeError, match="the summary broke"):
        sweep([cfg], echo=lambda s: None, compare=False)
    client = _store(tmp_cwd)
    exp = client.get_experiment_by_name("sumfail")
    parents = tracking.search_all_runs(
        client, exp.experiment_id, f"tags.`{tracking.TAG_ROLE}` = 'parent'"
    )
    assert [p.info.status for p in parents] == ["KILLED"]


def _parent(client, name: str):
    exp = client.get_experiment_by_name(name)
    (parent,) = tracking.search_all_runs(
        client, exp.experiment_id, f"tags.`{tracking.TAG_ROLE}` = 'parent'"
    )
    return parent, {a.path for a in client.list_artifacts(parent.info.run_id)}


def test_a_pool_closed_under_the_curves_stops_the_summary_and_a_rerun_makes_it(
    tmp_cwd: Path, tiny_config, monkeypatch
):
    # Ctrl-C closes the pool while the best trials' learning curves are pending: the summary
    # stops there (no scores, no model, not marked summarized), its parent ends KILLED, and
    # the next run summarizes the study again without running a trial.
    from nnfs_lab.sweeps import parent_artifacts
    from nnfs_lab.sweeps.pool import PoolClosed

    real = parent_artifacts.start_jobs

    def closed_under_the_curves(pool, jobs, *, what, redo_here=True):
        values = real(pool, jobs, what=what, redo_here=redo_here)
        if not what.startswith("learning curves"):
            return values

        def closed():
            raise PoolClosed("the pool was closed")

        return closed

    monkeypatch.setattr(parent_artifacts, "start_jobs", closed_under_the_curves)
    cfg = tiny_config("curvesclosed", n_trials=2, max_epochs=2, mlp=False, plots=True)
    with pytest.raises(PoolClosed):
        sweep([cfg], echo=lambda s: None, compare=False)
    client = _store(tmp_cwd)
    parent, artifacts = _parent(client, "curvesclosed")
    assert parent.info.status == "KILLED"
    assert "nnfs_lab.finalized" not in parent.data.tags
    assert "outer_scores.csv" not in artifacts

    monkeypatch.setattr(parent_artifacts, "start_jobs", real)
    (result,) = sweep([cfg], echo=lambda s: None, compare=False)
    assert result.trials_run == 0 and result.parent_run_id == parent.info.run_id
    parent, artifacts = _parent(client, "curvesclosed")
    assert parent.info.status == "FINISHED" and "nnfs_lab.finalized" in parent.data.tags
    assert "outer_scores.csv" in artifacts
