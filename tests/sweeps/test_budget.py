"""Budget slots, exclusive claims and stale-trial recovery, on a journal file (no model fitting)."""

from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState  # noqa: E402

from nnfs_lab.sweeps import budget, workers  # noqa: E402


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
