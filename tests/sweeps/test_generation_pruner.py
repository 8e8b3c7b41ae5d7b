"""GenerationPruner: a trial is judged against earlier generations only, read once each."""

from __future__ import annotations

import pytest

from nnfs_lab.sweeps.attrs import ATTR_GENERATION
from nnfs_lab.sweeps.generations import GenerationPruner

optuna = pytest.importorskip("optuna")


def _trial(generation, values, state="COMPLETE"):
    from optuna.trial import TrialState, create_trial

    return create_trial(state=TrialState[state], value=values[-1] if state == "COMPLETE" else None,
                        intermediate_values=dict(enumerate(values, 1)),
                        user_attrs={ATTR_GENERATION: generation})  # fmt: skip


class CountingStudy:
    """A study whose trial reads are counted."""

    def __init__(self, study):
        self.study, self.reads = study, 0

    def get_trials(self, deepcopy=True, states=None):
        self.reads += 1
        return self.study.get_trials(deepcopy=deepcopy, states=states)

    def __getattr__(self, name):
        return getattr(self.study, name)


def test_judged_against_earlier_generations_only_and_read_once_per_generation():
    study = optuna.create_study(direction="maximize")
    for v in (0.8, 0.9, 0.85):  # generation 0: good trials
        study.add_trial(_trial(0, [v, v]))
    study.add_trial(_trial(1, [0.1, 0.1]))  # generation 1: a bad one, same generation as probe
    counting = CountingStudy(study)
    pruner = GenerationPruner(optuna.pruners.MedianPruner(n_startup_trials=1))
    weak, strong = _trial(1, [0.5], "RUNNING"), _trial(1, [0.95], "RUNNING")
    assert pruner.prune(counting, weak) and not pruner.prune(counting, strong)
    assert counting.reads == 1  # generation 0 read once for both decisions
    # Generation 2 sees generation 1's bad trial too: the median drops below 0.5.
    study.add_trial(_trial(1, [0.1, 0.1]))
    study.add_trial(_trial(1, [0.2, 0.2]))
    later = _trial(2, [0.5], "RUNNING")
    assert not pruner.prune(counting, later) and counting.reads == 2
    # Without a generation (asynchronous sweeps) the wrapped pruner sees every trial.
    assert not pruner.prune(counting, _trial(None, [0.5], "RUNNING"))
