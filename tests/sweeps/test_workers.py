"""Budget slots, exclusive claims and stale-trial recovery, on a journal file (no model fitting)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState  # noqa: E402

from nnfs_lab import tracking  # noqa: E402
from nnfs_lab.sweeps import attrs, budget, workers  # noqa: E402
from nnfs_lab.sweeps import load_experiment as load_config  # noqa: E402
from nnfs_lab.sweeps import storage as sweep_storage  # noqa: E402


def test_a_slot_is_claimed_once(journal_study):
    study, storage, *_, spec = journal_study
    budget.enqueue_slots(study, 2)
    other = sweep_storage.make_storage(spec)  # a second process's view of the same journal
    study_id = storage.get_study_id_from_name(study.study_name)
    other_study = optuna.load_study(study_name=study.study_name, storage=other)
    a = workers.claim_slot(study, storage, study_id)
    b = workers.claim_slot(other_study, other, study_id)
    c = workers.claim_slot(study, storage, study_id)
    assert a is not None and b is not None and a != b
    assert c is None  # no slot left: a worker never creates a trial beyond the budget
    trial = storage.get_trial(a)
    assert trial.state == TrialState.RUNNING
    assert trial.user_attrs[attrs.ATTR_PID] == os.getpid()


def test_worker_needs_an_existing_study(tmp_cwd: Path):
    cfg = load_config(Path(__file__).resolve().parents[2] / "experiments" / "spiral.toml")
    uri = tracking.resolve_tracking_uri(None)
    spec = sweep_storage.resolve_storage(None, uri)
    task = workers.WorkerTask(cfg=cfg, family="nnfs", storage=spec,
                              tracking_uri=uri)  # fmt: skip
    with pytest.raises(tracking.NotFoundError, match="no study 'spiral-nnfs'"):
        workers.open_study(task)
