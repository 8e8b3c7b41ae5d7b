"""MLflow brought back in line with Optuna by the next run after a failed write (issue 16)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nnfs_lab import tracking
from nnfs_lab.sweeps import objective as objective_module
from nnfs_lab.sweeps import sweep

optuna = pytest.importorskip("optuna")


def _counts(client, result) -> Counter:
    return Counter(tracking.trial_state_counts(client, result.experiment_id, result.study_name))


def test_a_failed_mlflow_write_is_repaired_by_the_rerun(tmp_cwd: Path, tiny_config, monkeypatch):
    cfg = tiny_config("disk", n_trials=3, max_epochs=3, mlp=False, plots=False)
    real = tracking.finish_trial_run
    calls = []

    def disk_full_once(client, run_id, **kw):
        calls.append(run_id)
        if len(calls) == 2:  # the second trial's write fails, as on a full disk
            raise OSError(28, "No space left on device")
        return real(client, run_id, **kw)

    monkeypatch.setattr(objective_module.tracking, "finish_trial_run", disk_full_once)
    (first,) = sweep([cfg], echo=lambda s: None, compare=False)
    monkeypatch.setattr(objective_module.tracking, "finish_trial_run", real)
    client = tracking.get_client(tracking.resolve_tracking_uri(None))
    broken = client.get_run(calls[1])
    assert broken.data.tags.get(tracking.TAG_STATE) == "COMPLETE"  # repaired before the summary
    assert broken.data.tags["nnfs_lab.repaired"].startswith("the run says")
    from nnfs_lab.sweeps.storage import make_storage

    storage = make_storage(f"journal:{tmp_cwd / 'optuna-journal.log'}")
    study = optuna.load_study(study_name="disk-nnfs", storage=storage)
    trial = next(t for t in study.trials if t.user_attrs["mlflow_run_id"] == calls[1])
    assert broken.data.metrics["val_accuracy_mean"] == trial.value  # Optuna's record
    assert broken.info.status == "FINISHED" and broken.data.params
    assert _counts(client, first) == {"COMPLETE": 3}


def _swept(tiny_config, name: str):
    """A 2-trial sweep of ``name``: its config, result, client, trial-run filter, a trial run."""
    cfg = tiny_config(name, n_trials=2, max_epochs=3, mlp=False, plots=False)
    (first,) = sweep([cfg], echo=lambda s: None, compare=False)
    client = tracking.get_client(tracking.resolve_tracking_uri(None))
    where = tracking.tag_filter(role="trial", study=first.study_name)
    run = tracking.search_all_runs(client, first.experiment_id, where)[0]
    return cfg, first, client, where, run


def test_a_run_left_running_is_repaired(tmp_cwd: Path, tiny_config):
    cfg, first, client, _, run = _swept(tiny_config, "left")
    client.update_run(run.info.run_id, status="RUNNING")  # as after a crash mid-write
    client.set_tag(run.info.run_id, tracking.TAG_STATE, "RUNNING")
    lines: list[str] = []
    sweep([cfg], echo=lines.append, compare=False)
    assert any("disagreed with Optuna: re-logged" in line for line in lines)
    again = client.get_run(run.info.run_id)
    assert again.info.status == "FINISHED" and again.data.tags[tracking.TAG_STATE] == "COMPLETE"
    assert _counts(client, first) == {"COMPLETE": 2}


def test_a_model_left_pending_is_failed_by_the_rerun(tmp_cwd: Path, tiny_config):
    cfg = tiny_config("pend", n_trials=1, max_epochs=2, mlp=False, plots=False)
    (first,) = sweep([cfg], echo=lambda s: None, compare=False)
    client = tracking.get_client(tracking.resolve_tracking_uri(None))
    # What a kill during model logging leaves: a logged model that never became READY.
    orphan = client.create_logged_model(first.experiment_id, name="half-made",
                                        source_run_id=first.parent_run_id)  # fmt: skip
    assert str(client.get_logged_model(orphan.model_id).status).upper().endswith("PENDING")
    lines: list[str] = []
    sweep([cfg], echo=lines.append, compare=False)
    assert str(client.get_logged_model(orphan.model_id).status).upper().endswith("FAILED")
    assert any("left PENDING" in line for line in lines)


@pytest.mark.e2e  # three whole sweeps (make test-e2e)
def test_a_lost_run_is_made_again_once_and_found_by_later_repairs(tmp_cwd: Path, tiny_config):
    # What a power cut can leave with the store's relaxed syncing (tracking.sqlite_wal): Optuna
    # records a trial whose MLflow run was never stored. The finished trial cannot take the new
    # run's id, so later repairs must find that run by its trial number, not make another.
    cfg, first, client, where, gone = _swept(tiny_config, "lost")
    number = gone.data.tags[tracking.TAG_TRIAL]
    client.delete_run(gone.info.run_id)  # no longer among the experiment's runs
    lines: list[str] = []
    for _ in range(2):  # each rerun repairs before its study and again after it
        sweep([cfg], echo=lines.append, compare=False)
    runs = tracking.search_all_runs(client, first.experiment_id, where)
    again = [r for r in runs if r.data.tags[tracking.TAG_TRIAL] == number]
    assert len(again) == 1, [r.info.run_id for r in again]
    assert again[0].data.tags["nnfs_lab.repaired"] == "no MLflow run was written"
    assert again[0].data.tags[tracking.TAG_STATE] == "COMPLETE"
    assert sum("disagreed with Optuna: re-logged" in line for line in lines) == 1
    assert _counts(client, first) == {"COMPLETE": 2}
