"""Budget slots, exclusive claims and stale-trial recovery, on a journal file (no model fitting)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState  # noqa: E402

from nnfs_lab import tracking  # noqa: E402
from nnfs_lab.sweeps import attrs, budget, stale, workers  # noqa: E402
from nnfs_lab.sweeps import storage as sweep_storage  # noqa: E402


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One MLflow DB for the module: creating one runs MLflow's migrations (seconds)."""
    uri = tracking.resolve_tracking_uri(f"sqlite:///{tmp_path_factory.mktemp('w')}/mlflow.db")
    client = tracking.get_client(uri)
    return uri, client, tracking.ensure_experiment(client, "w", uri)


@pytest.fixture
def journal_study(store, tmp_path: Path):
    """A study on a fresh journal file, linked to an MLflow parent run like the driver does."""
    uri, client, exp = store
    tracking.get_client(uri)
    name = f"w-{uuid.uuid4().hex[:8]}"  # one experiment, a study (and parent run) per test
    parent = tracking.ensure_parent_run(
        client, exp, study_name=name, family="nnfs", params={}, tags={}
    )
    spec = f"journal:{tmp_path / 'journal.log'}"
    handler = stale.StaleTrialHandler(uri, max_retry=2)
    storage = sweep_storage.make_storage(spec, stale_callback=handler)
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    study.set_user_attr(attrs.STUDY_EXPERIMENT_ID, exp)
    study.set_user_attr(attrs.STUDY_PARENT_RUN_ID, parent)
    study.set_user_attr(attrs.STUDY_FAMILY, "nnfs")
    return study, storage, handler, client, exp, spec


def test_enqueue_slots_tops_up_to_the_budget(journal_study):
    study, *_ = journal_study
    assert budget.enqueue_slots(study, 3) == 3
    assert budget.enqueue_slots(study, 3) == 0  # idempotent: a rerun adds nothing
    assert budget.enqueue_slots(study, 5) == 2
    assert budget.budget_status(study.trials)["waiting"] == 5
    assert budget.enqueue_slots(study, None) == 0


def test_budget_status_does_not_count_retried_trials(journal_study):
    study, storage, handler, *_ = journal_study
    budget.enqueue_slots(study, 3)
    study_id = storage.get_study_id_from_name(study.study_name)
    done = workers.claim_slot(study, storage, study_id)
    study.tell(storage.get_trial(done).number, 0.5)
    lost = workers.claim_slot(study, storage, study_id)
    storage.set_trial_state_values(lost, TrialState.FAIL)
    handler(study, storage.get_trial(lost))  # the retry takes the dead trial's slot
    status = budget.budget_status(study.trials)
    assert status == {"used": 1, "running": 0, "waiting": 2, "complete": 1, "pruned": 0,
                      "fail": 0, "stale": 1}  # fmt: skip
