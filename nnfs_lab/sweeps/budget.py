"""The budget as slots: how a study's trials stand against it, and topping it up.

The driver enqueues one empty ``WAITING`` trial per trial still to run. A worker claims a slot by
moving it to ``RUNNING``, which both Optuna storages do atomically, so any number of workers run
exactly the budget and never the same trial twice.
"""

from __future__ import annotations

from typing import Any

__all__ = ["budget_status", "enqueue_slots", "retried_numbers"]


def retried_numbers(trials: list[Any]) -> set[int]:
    """Numbers of the trials that died with their worker and were run again (Optuna's retry
    callback lists them in the retry's ``retry_history``)."""
    return {n for t in trials for n in t.system_attrs.get("retry_history", ())}


def budget_status(trials: list[Any]) -> dict[str, int]:
    """How a study's trials stand against its budget.

    ``used``: COMPLETE, PRUNED, and FAIL except trials that died with their worker and were
    retried (the retry takes their slot); ``running`` and ``waiting`` hold slots too.
    """
    from optuna.trial import TrialState

    retried = retried_numbers(trials)
    out = {"used": 0, "running": 0, "waiting": 0, "complete": 0, "pruned": 0, "fail": 0,
           "stale": 0}  # fmt: skip
    for t in trials:
        if t.state == TrialState.COMPLETE:
            out["used"] += 1
            out["complete"] += 1
        elif t.state == TrialState.PRUNED:
            out["used"] += 1
            out["pruned"] += 1
        elif t.state == TrialState.FAIL:
            if t.number in retried:
                out["stale"] += 1
            else:
                out["used"] += 1
                out["fail"] += 1
        elif t.state == TrialState.RUNNING:
            out["running"] += 1
        elif t.state == TrialState.WAITING:
            out["waiting"] += 1
    return out


def enqueue_slots(study: Any, budget: int | None) -> int:
    """Enqueue empty trials so that used + running + waiting reaches ``budget``; return how many.

    Parameters are not fixed: TPE samples them when a worker claims the slot, from everything
    finished by then.
    """
    if budget is None:
        return 0
    status = budget_status(study.get_trials(deepcopy=False))
    missing = budget - status["used"] - status["running"] - status["waiting"]
    for _ in range(max(0, missing)):
        study.enqueue_trial({})
    return max(0, missing)
