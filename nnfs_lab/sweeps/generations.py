"""Deterministic sweeps: trials proposed in generations, judged against earlier generations.

With several workers, the order in which trials finish decides what TPE samples next and what
the median pruner compares against, so two runs of one experiment differ. Here the budget is
proposed ``budget.generation_size`` trials at a time: generation ``g`` is sampled by a TPE
seeded from ``(seed, g)`` that sees only the finished trials of generations ``< g``, in
(generation, slot) order, and the pruner judges a trial only against completed trials of
earlier generations (:class:`GenerationPruner`). Each trial trains with the experiment's seed.
So trial parameters, values, pruning decisions and the best configuration are the same for any
number of workers, storage or timing, and a resumed sweep ends where an uninterrupted one does
(a trial retried after its worker died keeps its generation and slot).

Proposing is idempotent: the proposals of a generation depend only on earlier generations, so a
crash between two enqueues is repaired by enqueuing the missing slots again.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable
from typing import Any

from nnfs_lab.sweeps.attrs import ATTR_GENERATION, ATTR_SLOT
from nnfs_lab.sweeps.budget import retried_numbers
from nnfs_lab.sweeps.config import ExperimentConfig, ModelConfig
from nnfs_lab.sweeps.locks import FileLock
from nnfs_lab.sweeps.sampling import make_sampler, sampler_seed
from nnfs_lab.sweeps.space import suggest_params

__all__ = ["GenerationPruner", "best_trial", "proposer", "propose_next", "trial_order"]


def trial_order(trial: Any) -> tuple[float, float, int]:
    """Sort key of a trial: (generation, slot, number); trials of async sweeps sort last."""
    attrs = trial.user_attrs
    return (attrs.get(ATTR_GENERATION, math.inf), attrs.get(ATTR_SLOT, math.inf), trial.number)


def best_trial(study: Any) -> Any:
    """The best completed trial; ties go to the earliest in (generation, slot) order, so the
    choice does not depend on trial numbers (which a resumed sweep may shift)."""
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return min(done, key=lambda t: (sign * t.value, trial_order(t)))


def _history(trials: list[Any], generation: int) -> list[Any]:
    """Finished trials of generations before ``generation`` (retried deaths excluded)."""
    from optuna.trial import TrialState

    dead = retried_numbers(trials)
    done = (TrialState.COMPLETE, TrialState.PRUNED)
    past = [t for t in trials if t.state in done and t.number not in dead
            and t.user_attrs.get(ATTR_GENERATION, math.inf) < generation]  # fmt: skip
    return sorted(past, key=trial_order)


def _proposals(study: Any, cfg: ExperimentConfig, model: ModelConfig, g: int, size: int):
    """The parameters of generation ``g``'s ``size`` slots (a pure function of the history)."""
    import optuna

    sampler = make_sampler(cfg, sampler_seed(cfg.seed, "generation", g))
    mem = optuna.create_study(direction=cfg.direction, sampler=sampler)
    mem.add_trials(_history(study.get_trials(deepcopy=False), g))
    out = []
    for _ in range(size):
        trial = mem.ask()  # constant_liar: the generation's earlier asks count as pending
        suggest_params(trial, model.search)
        out.append(dict(trial.params))
    return out


def _current_generation(trials: list[Any]) -> tuple[int, set[int]]:
    """The highest generation proposed so far (-1 for none) and the slots it holds."""
    gens = [t.user_attrs[ATTR_GENERATION] for t in trials if ATTR_GENERATION in t.user_attrs]
    g = max(gens, default=-1)
    slots = {t.user_attrs.get(ATTR_SLOT) for t in trials if t.user_attrs.get(ATTR_GENERATION) == g}
    return g, slots


def _size(cfg: ExperimentConfig, g: int) -> int:
    budget, size = cfg.budget.n_trials or 0, cfg.budget.generation_size
    return max(0, min(size, budget - g * size))


def propose_next(study: Any, cfg: ExperimentConfig, model: ModelConfig) -> int:
    """Enqueue the missing slots of the current generation, or the next generation once every
    trial has finished; return how many trials were enqueued (0: wait, or the budget is done).
    """
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    if any(t.state in (TrialState.WAITING, TrialState.RUNNING) for t in trials):
        return 0  # the current generation is still running
    g, slots = _current_generation(trials)
    if g < 0 or len(slots) >= _size(cfg, g):
        g, slots = g + 1, set()
    size = _size(cfg, g)
    if size == 0:
        return 0
    added = 0
    for slot, params in enumerate(_proposals(study, cfg, model, g, size)):
        if slot not in slots:
            study.enqueue_trial(params, user_attrs={ATTR_GENERATION: g, ATTR_SLOT: slot})
            added += 1
    return added


def proposer(study: Any, cfg: ExperimentConfig, model: ModelConfig, lock: FileLock | None
             ) -> Callable[[], int]:  # fmt: skip
    """:func:`propose_next` on ``study`` as a function of no argument, under ``lock`` (see
    :func:`~nnfs_lab.sweeps.locks.propose_lock`) when several processes may propose."""

    def propose() -> int:
        with lock or contextlib.nullcontext():
            return propose_next(study, cfg, model)

    return propose


class _EarlierGenerations:
    """A view of a study that shows only the trials of generations before ``generation``.

    Read once: those trials have all finished before generation ``generation`` was proposed,
    so they cannot change while it runs (the pruner asks every few epochs of every trial).
    """

    def __init__(self, study: Any, generation: float) -> None:
        self._study = study
        self._trials = [t for t in study.get_trials(deepcopy=False)
                        if trial_order(t)[0] < generation]  # fmt: skip

    def get_trials(self, deepcopy: bool = True, states: Any = None) -> list[Any]:
        trials = [t for t in self._trials if states is None or t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials

    @property
    def trials(self) -> list[Any]:
        return self.get_trials()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)


class GenerationPruner:
    """Wraps a pruner so that it judges a trial against earlier generations only.

    Trials without a generation (asynchronous sweeps) are judged by the wrapped pruner as usual.
    Suits pruners that compare with other trials' values (median, percentile); the wrapped
    pruner must not write to the study. The earlier generations are read once per study and
    generation (:class:`_EarlierGenerations`).
    """

    def __init__(self, pruner: Any) -> None:
        self.pruner = pruner
        self._view: tuple[tuple[str, float], _EarlierGenerations] | None = None

    def prune(self, study: Any, trial: Any) -> bool:
        generation = trial.user_attrs.get(ATTR_GENERATION)
        if generation is None:
            return self.pruner.prune(study, trial)
        key = (study.study_name, generation)
        if self._view is None or self._view[0] != key:
            self._view = (key, _EarlierGenerations(study, generation))
        return self.pruner.prune(self._view[1], trial)
